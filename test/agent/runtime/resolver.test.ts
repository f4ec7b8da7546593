import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from '../../../agent/runtime/resolver.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';

let dns: TestDnsServer;
let r: Resolver;
before(async () => {
  dns = await startDnsServer({ 'target.test': ['127.0.0.1', '::1'], 'v6only.test': ['::1'], 'lo2.test': ['127.0.0.2'] });
  r = new Resolver({ servers: dns.servers });
});
after(() => dns.close());

test('a name resolves through the configured DNS server (A first)', async () => {
  assert.deepEqual(await r.resolve('target.test'), { address: '127.0.0.1', family: 4 });
  assert.ok(dns.queries.some((q) => q.name === 'target.test' && q.type === 'A'));
});

test('family 6 asks for AAAA', async () => {
  assert.deepEqual(await r.resolve('target.test', 6), { address: '::1', family: 6 });
});

test('a name with only AAAA falls back to IPv6 when no family is given', async () => {
  assert.deepEqual(await r.resolve('v6only.test'), { address: '::1', family: 6 });
});

test('names are case-insensitive', async () => {
  assert.deepEqual(await r.resolve('LO2.Test'), { address: '127.0.0.2', family: 4 });
});

test('NXDOMAIN becomes MP_ERR_RESOLVE with a one-line reason', async () => {
  await assert.rejects(r.resolve('nope.test'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MP_ERR_RESOLVE');
    assert.equal(err.message, 'cannot resolve nope.test: Name or service not known');
    return true;
  });
});

test('a name without an address of the asked family fails clearly', async () => {
  await assert.rejects(r.resolve('v6only.test', 4), /cannot resolve v6only\.test: No address associated with hostname/);
});

test('IP literals pass through without a query', async () => {
  const before = dns.queries.length;
  assert.deepEqual(await r.resolve('127.0.0.9'), { address: '127.0.0.9', family: 4 });
  assert.deepEqual(await r.resolve('::1'), { address: '::1', family: 6 });
  assert.deepEqual(await r.resolve('[::1]'), { address: '::1', family: 6 });
  assert.equal(dns.queries.length, before);
});

test('an IP literal of the other family is refused', async () => {
  await assert.rejects(r.resolve('127.0.0.1', 6), { code: 'MP_ERR_RESOLVE' });
});

test('reverse finds the PTR name, undefined when there is none', async () => {
  assert.equal(await r.reverse('127.0.0.2'), 'lo2.test');
  assert.equal(await r.reverse('::1'), 'target.test');
  assert.equal(await r.reverse('127.0.0.77'), undefined);
  assert.equal(await r.reverse('not-an-ip'), undefined);
});

test('a dead DNS server fails with a clear reason, not a hang', async () => {
  const dead = await startDnsServer({});
  const port = dead.port;
  await dead.close();
  const r2 = new Resolver({ servers: [`127.0.0.1:${port}`], timeoutMs: 200 });
  await assert.rejects(r2.resolve('target.test'), /cannot resolve target\.test: /);
});

test('a malformed server list is a bad request', () => {
  assert.throws(() => new Resolver({ servers: ['not a server'] }), { code: 'MP_ERR_BAD_REQUEST' });
});
