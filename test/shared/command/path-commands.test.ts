import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommand } from '../../../shared/command/grammar.ts';
import { formatIpinfo, formatRoutes } from '../../../shared/render/path-info-text.ts';

test('ipinfo and whois take one address, canonicalised', () => {
  assert.deepEqual(parseCommand('ipinfo 2001:DB8:0::1'), { ok: true, command: 'ipinfo', address: '2001:db8::1', json: false });
  assert.deepEqual(parseCommand('/whois 198.18.0.1 --json'), { ok: true, command: 'ipinfo', address: '198.18.0.1', json: true });
  for (const bad of ['ipinfo', 'ipinfo example.com', 'ipinfo 1.1.1.1 2.2.2.2']) {
    const r = parseCommand(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.usage, /^usage: ipinfo ADDR$/);
  }
});

test('route: an address, a prefix, --origin, --neighbor, --path, --limit', () => {
  const q = (line: string) => {
    const r = parseCommand(line);
    assert.ok(r.ok && r.command === 'route', `${line}: ${JSON.stringify(r)}`);
    return { query: r.query, limit: r.limit };
  };
  assert.deepEqual(q('route 198.18.0.1'), { query: { by: 'address', address: '198.18.0.1' }, limit: 100 });
  assert.deepEqual(q('route 198.18.0.5/15'), { query: { by: 'prefix', prefix: '198.18.0.0/15' }, limit: 100 });
  assert.deepEqual(q('route --origin AS64500'), { query: { by: 'origin', asn: 64500 }, limit: 100 });
  assert.deepEqual(q('bgp --neighbor 64496 --limit 5'), { query: { by: 'neighbor', asn: 64496 }, limit: 5 });
  assert.deepEqual(q("route --path '64496 AS64500'"), { query: { by: 'path', asns: [64496, 64500] }, limit: 100 });
  for (const [line, reason] of [
    ['route', /one of PREFIX, ADDR/],
    ['route 198.18.0.1 --origin 1', /one of PREFIX, ADDR/],
    ['route --origin ASX', /AS number/],
    ['route --origin 4294967296', /AS number/],
    ['route --limit 0 --origin 1', /--limit/],
    ['route example.com', /not a prefix or an address/],
  ] as const) {
    const r = parseCommand(line);
    assert.ok(!r.ok, line);
    if (!r.ok) assert.match(r.message, reason, line);
  }
});

test('answers render in lines that fit a phone', () => {
  const now = Date.parse('2026-01-02T00:00:00Z');
  const text = formatRoutes([{ prefix: '198.18.0.0/15', originAs: 64500, asPath: '64496 64500', nextHop: '198.18.0.2', peer: '198.18.0.2', peerAs: 64496, pathId: 0, originatedAt: '2026-01-01T21:00:00Z' }], { count: 1, truncated: true, table: { routes: 1, prefixes: 1, peers: 1, dumpedAt: null } }, now);
  assert.equal(text, '198.18.0.0/15 AS64500\n  path 64496 64500\n  via 198.18.0.2 AS64496 3h\n(first 1; --limit N for more)\n');
  assert.match(formatRoutes([], { count: 0, truncated: false }, now), /no BGP table is loaded/);
  const info = formatIpinfo({ address: '198.18.0.1', info: { asn: 64500, asName: 'Bench', label: 'benchmark', prefix: '198.18.0.0/15', originAsn: 64500, country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.405 }, sources: [] });
  for (const line of [...text.split('\n'), ...info.split('\n')]) assert.ok(line.length <= 36, line);
  assert.match(formatIpinfo({ address: '192.0.2.1', sources: ['special-ranges'] }), /nothing known/);
});
