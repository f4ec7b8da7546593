/**
 * The online providers against a local server answering in each provider's documented JSON
 * shape. The addresses asked about are public ones, sent only as text to that loopback server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo as NetAddress } from 'node:net';
import { test } from 'node:test';
import { createEnrichment } from '../../../hub/enrich/enrichment.ts';
import { ip2locationProvider, ipinfoProvider, ipregistryProvider, OnlineSource } from '../../../hub/enrich/online-source.ts';

/** ipinfo.io's documented answer for 8.8.8.8. */
const IPINFO = { ip: '8.8.8.8', hostname: 'dns.google', city: 'Mountain View', region: 'California', country: 'US', loc: '37.4056,-122.0775', org: 'AS15169 Google LLC', postal: '94043', timezone: 'America/Los_Angeles' };
/** ip2location.io's documented answer. */
const IP2LOCATION = { ip: '8.8.8.8', country_code: 'US', country_name: 'United States of America', region_name: 'California', city_name: 'Mountain View', latitude: 37.38605, longitude: -122.08385, zip_code: '94035', time_zone: '-07:00', asn: '15169', as: 'Google LLC', is_proxy: false };
/** ipregistry.co's documented answer (abridged to the fields read and a few around them). */
const IPREGISTRY = {
  ip: '8.8.8.8',
  type: 'IPv4',
  hostname: 'dns.google',
  connection: { asn: 15169, domain: 'google.com', organization: 'Google LLC', route: '8.8.8.0/24', type: 'hosting' },
  location: { continent: { code: 'NA', name: 'North America' }, country: { code: 'US', name: 'United States' }, region: { code: 'US-CA', name: 'California' }, city: 'Mountain View', postal: '94043', latitude: 37.42240524291992, longitude: -122.08421325683594 },
};

interface Provider {
  server: Server;
  url: string;
  requests: IncomingMessage[];
  status: number;
}

async function provider(answer: (req: IncomingMessage) => unknown): Promise<Provider> {
  const p: Provider = { server: createServer(), url: '', requests: [], status: 200 };
  p.server.on('request', (req, res) => {
    p.requests.push(req);
    if (p.status !== 200) {
      res.writeHead(p.status, p.status === 429 ? { 'retry-after': '30' } : {}).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(req)));
  });
  p.server.listen(0, '127.0.0.1');
  await once(p.server, 'listening');
  p.url = `http://127.0.0.1:${(p.server.address() as NetAddress).port}`;
  return p;
}

const EXPECTED = { asn: 15169, asName: 'Google LLC', country: 'US', city: 'Mountain View' };

test('each provider: the key goes where it documents, and its answer maps to the same fields', async () => {
  const cases = [
    { make: (url: string) => ipinfoProvider('tok-1', url), body: IPINFO, check: (r: IncomingMessage) => r.headers.authorization === 'Bearer tok-1' && r.url === '/8.8.8.8/json' },
    { make: (url: string) => ip2locationProvider('key-2', url), body: IP2LOCATION, check: (r: IncomingMessage) => /[?&]key=key-2/.test(r.url!) && /[?&]ip=8\.8\.8\.8/.test(r.url!) },
    { make: (url: string) => ipregistryProvider('key-3', url), body: IPREGISTRY, check: (r: IncomingMessage) => r.url === '/8.8.8.8?key=key-3' },
  ];
  for (const c of cases) {
    const p = await provider(() => c.body);
    try {
      let answered = 0;
      const s = new OnlineSource(c.make(p.url), { onAnswer: () => answered++ });
      assert.equal(s.lookup('8.8.8.8'), undefined, `${s.name}: a miss answers at once, with nothing`);
      await s.settle('8.8.8.8');
      assert.equal(answered, 1);
      const got = s.lookup('8.8.8.8');
      assert.ok(got, s.name);
      assert.deepEqual({ asn: got.asn, asName: got.asName, country: got.country, city: got.city }, EXPECTED, s.name);
      assert.ok(got.lat !== undefined && Math.abs(got.lat - 37.4) < 0.1 && got.lon !== undefined && Math.abs(got.lon + 122.08) < 0.01, s.name);
      assert.equal(p.requests.length, 1);
      assert.ok(c.check(p.requests[0]!), `${s.name}: ${p.requests[0]!.url}`);
    } finally {
      p.server.close();
    }
  }
});

test('answers are cached until their TTL, then asked again; the cache is bounded', async () => {
  const p = await provider(() => IPINFO);
  try {
    let now = 1_000_000;
    const s = new OnlineSource(ipinfoProvider('t', p.url), { ttlMs: 60_000, cacheSize: 2, ratePerS: 0, now: () => now });
    s.lookup('8.8.8.8');
    await s.settle('8.8.8.8');
    assert.ok(s.lookup('8.8.8.8'));
    now += 59_000;
    assert.ok(s.lookup('8.8.8.8'), 'still fresh');
    assert.equal(s.requests, 1);
    now += 2_000;
    assert.equal(s.lookup('8.8.8.8'), undefined, 'expired: asked again');
    await s.settle('8.8.8.8');
    assert.equal(s.requests, 2);
    for (const a of ['9.9.9.9', '1.1.1.1']) {
      s.lookup(a);
      await s.settle(a);
    }
    assert.equal(s.cacheSize, 2, 'bounded');
  } finally {
    p.server.close();
  }
});

test('the rate limit holds requests back, and special-range addresses are never sent', async () => {
  const p = await provider(() => IPINFO);
  try {
    const now = 5_000_000;
    const s = new OnlineSource(ipinfoProvider('t', p.url), { ratePerS: 1, maxInFlight: 100, now: () => now });
    for (let i = 1; i <= 10; i++) s.lookup(`9.9.9.${i}`);
    for (const a of ['10.0.0.1', '192.168.1.1', '127.0.0.1', 'fd00::1', '100.64.0.1']) s.lookup(a);
    await Promise.all(Array.from({ length: 10 }, (_, i) => s.settle(`9.9.9.${i + 1}`)));
    assert.equal(s.requests, 2, 'burst of 2 at 1/s');
    assert.equal(p.requests.length, 2);
  } finally {
    p.server.close();
  }
});

test('a refused key or a 429 pauses the provider and logs one line without the key', async () => {
  const p = await provider(() => IPINFO);
  try {
    p.status = 401;
    let now = 0;
    const logs: string[] = [];
    const s = new OnlineSource(ipinfoProvider('secret-token', p.url), { ratePerS: 0, now: () => now, log: (l) => logs.push(l) });
    s.lookup('8.8.8.8');
    await s.settle('8.8.8.8');
    s.lookup('8.8.4.4');
    assert.equal(s.requests, 1, 'paused after a 401');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /HTTP 401 \(check its key\)/);
    assert.ok(!logs[0]!.includes('secret-token'));
    now += 61_000;
    p.status = 429;
    s.lookup('8.8.4.4');
    await s.settle('8.8.4.4');
    now += 10_000;
    s.lookup('8.8.4.4');
    assert.equal(s.requests, 2, "paused for the 429's Retry-After");
  } finally {
    p.server.close();
  }
});

test('through the enricher: the first lookup answers at once, a settled one has the provider merged', async () => {
  const p = await provider(() => IPREGISTRY);
  try {
    const en = createEnrichment({ bundledDirectory: null, ipregistryKey: 'k', providerUrls: { ipregistry: p.url } });
    assert.equal(en.enricher.lookup('8.8.8.8'), undefined);
    const info = await en.enricher.lookupSettled('8.8.8.8', 5000);
    assert.equal(info?.asn, 15169);
    assert.equal(en.enricher.lookup('8.8.8.8')?.country, 'US', 'later lookups (later events) carry it');
    en.close();
  } finally {
    p.server.close();
  }
});
