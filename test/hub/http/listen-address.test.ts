import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseListen, urlFor } from '../../../hub/http/listen-address.ts';

test('parseListen accepts host:port, [v6]:port, :port and a bare port', () => {
  const cases: Array<[string, { host: string; port: number }]> = [
    ['127.0.0.1:7464', { host: '127.0.0.1', port: 7464 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:7464', { host: '::1', port: 7464 }],
    [':8080', { host: '127.0.0.1', port: 8080 }],
    ['9000', { host: '127.0.0.1', port: 9000 }],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseListen(text), want, text);
});

test('parseListen refuses malformed addresses with a fix-it message', () => {
  for (const bad of ['127.0.0.1', '::1:80', '[::1]', '[1.2.3.4]:80', 'host:http', '127.0.0.1:70000', '']) {
    assert.throws(() => parseListen(bad), (err: Error) => /expected host:port/.test(err.message) && !err.message.includes('\n'), bad);
  }
});

test('urlFor brackets IPv6 and maps wildcard binds to loopback', () => {
  assert.equal(urlFor('127.0.0.1', 7464), 'http://127.0.0.1:7464');
  assert.equal(urlFor('::1', 1), 'http://[::1]:1');
  assert.equal(urlFor('0.0.0.0', 2), 'http://127.0.0.1:2');
  assert.equal(urlFor('::', 3), 'http://[::1]:3');
});
