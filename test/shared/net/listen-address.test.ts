import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkListen, parseListen, urlFor } from '../../../shared/net/listen-address.ts';

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

// One parser for the hub, MCP, SMTP, Telegram webhook and agent metrics listeners (issue 12).
test('checkListen names the problem in a few words, for callers that prefix their own setting', () => {
  const cases: Array<[string, string]> = [
    ['127.0.0.1:70000', 'port 70000 is above 65535'],
    ['127.0.0.1', 'it has no port'],
    ['::1:80', 'an IPv6 host needs brackets, e.g. [::1]:7464'],
    ['[::1]', 'brackets must hold an IPv6 address followed by :port, e.g. [::1]:7464'],
    ['[1.2.3.4]:80', '[1.2.3.4] is not an IPv6 address'],
    ['[127.0.0.1%eth0]:80', '[127.0.0.1%eth0] is not an IPv6 address'],
    ['host:http', "port 'http' is not a number"],
    ['127.0.0.1 :80', 'it contains whitespace'],
    ['', 'it is empty'],
  ];
  for (const [text, problem] of cases) assert.deepEqual(checkListen(text), { ok: false, problem }, text);
  assert.deepEqual(checkListen('[2001:db8::1]:0'), { ok: true, address: { host: '2001:db8::1', port: 0 } });
  assert.deepEqual(checkListen('[fe80::1%eth0]:80'), { ok: true, address: { host: 'fe80::1%eth0', port: 80 } });
  assert.deepEqual(checkListen(':2525', { defaultHost: '::1' }), { ok: true, address: { host: '::1', port: 2525 } });
});

test('parseListen names the setting and gives an example on its port', () => {
  assert.throws(
    () => parseListen('nonsense', { setting: 'SMTP listen address', example: '127.0.0.1:2525' }),
    { message: 'SMTP listen address "nonsense" is malformed: it has no port (expected host:port, e.g. 127.0.0.1:2525 or [::1]:2525)' },
  );
});
