import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitHostPort } from '../../../shared/net/host-port.ts';

test('host:port splitting keeps bare IPv6 literals whole', () => {
  assert.deepEqual(splitHostPort('example.net:443'), { host: 'example.net', port: '443' });
  assert.deepEqual(splitHostPort('[2001:db8::1]:80'), { host: '2001:db8::1', port: '80' });
  assert.deepEqual(splitHostPort('2001:db8::1'), { host: '2001:db8::1' });
  assert.deepEqual(splitHostPort('::1'), { host: '::1' });
  assert.deepEqual(splitHostPort('127.0.0.1'), { host: '127.0.0.1' });
});

test('a bracketed IPv6 literal without a port loses its brackets (the hub checks the address inside)', () => {
  assert.deepEqual(splitHostPort('[::1]'), { host: '::1' });
  assert.deepEqual(splitHostPort('[::ffff:127.0.0.1]:22'), { host: '::ffff:127.0.0.1', port: '22' });
});
