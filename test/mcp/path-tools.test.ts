// The ipinfo and route tools end to end: the SDK's real Client and StreamableHTTPClientTransport
// against McpHttpHandler on 127.0.0.1:0, in front of a real hub whose enrichment has a tiny .mmdb
// written by the test and whose BGP table is imported from an MRT dump the test writes. Every
// structuredContent is checked against the outputSchema tools/list publishes; the text carries
// the substance (AS, place, prefix, path, next hop).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { RouteIndex } from '../../hub/bgp/route-index.ts';
import { createEnrichment, type Enrichment } from '../../hub/enrich/enrichment.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { writeMmdb } from '../helpers/mmdb-writer.ts';
import { writeMrt } from '../helpers/mrt-writer.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

let dir: string;
let t: TestHub;
let mcp: McpTestServer;
let client: Client;
let table: RouteIndex;
let enrichment: Enrichment;
let tools: Map<string, Tool>;
const ajv = new Ajv({ strict: false });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mp-mcp-path-'));
  const db = join(dir, 'city.mmdb');
  await writeFile(db, writeMmdb([['198.18.0.0/15', { autonomous_system_number: 64500, autonomous_system_organization: 'Bench Net' }]], { databaseType: 'GeoLite2-ASN' }));
  const dump = join(dir, 'rib.mrt');
  await writeFile(
    dump,
    writeMrt(
      [{ address: '198.18.0.2', asn: 64496 }, { address: '2001:db8::2', asn: 64497 }],
      [
        { prefix: '198.18.0.0/15', entries: [{ peer: 0, asPath: [64496, 64500], nextHop: '198.18.0.2' }] },
        { prefix: '198.18.7.0/24', entries: [{ peer: 0, asPath: [64496, 64499, 64501], nextHop: '198.18.0.2' }, { peer: 1, asPath: [64497, 64501], nextHop: '198.18.0.3' }] },
        { prefix: '2001:db8::/32', entries: [{ peer: 1, asPath: [64497, 64502], nextHop: '2001:db8::2', pathId: 3 }] },
      ],
    ),
  );
  table = RouteIndex.open(join(dir, 'bgp'));
  await table.import([dump]);
  enrichment = createEnrichment({ order: ['labels', 'mmdb', 'bgp'], mmdb: [db], mmdbWatchIntervalMs: 0, bgp: table.source() });
  const enricher = enrichment.enricher;
  t = await startTestHub({ paths: { lookup: (a) => enricher.lookupSettled(a), sources: enricher.sourceNames, bgp: table } });
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: t.url },
    verifier: new BearerVerifier({ jwks: new URL(`${t.url}/.well-known/jwks.json`), issuer: t.hub.tokens.issuer, audience: t.hub.tokens.audience }),
  }));
  client = new Client({ name: 'mcp-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { requestInit: { headers: { authorization: `Bearer ${await t.token(['measure'], 'telegram:42')}` } } }));
  tools = new Map((await client.listTools()).tools.map((x) => [x.name, x]));
});
after(async () => {
  await client?.close();
  await mcp?.close();
  await t?.close();
  enrichment?.close();
  table?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (!r.isError) {
    const validate = ajv.compile(tools.get(name)!.outputSchema!);
    assert.ok(validate(r.structuredContent), `${name}: ${JSON.stringify(validate.errors)}`);
  }
  return r;
}

const text = (r: CallToolResult) => r.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');

test('tools/list publishes ipinfo and route, read-only, with output schemas', () => {
  for (const name of ['ipinfo', 'route']) {
    const tool = tools.get(name);
    assert.ok(tool, name);
    assert.equal(tool.annotations?.readOnlyHint, true);
    assert.equal(tool.outputSchema?.type, 'object');
  }
});

test('ipinfo answers the mmdb AS, the special-range label and the BGP prefix, in text and structure', async () => {
  const r = await call('ipinfo', { address: '198.18.7.9' });
  assert.notEqual(r.isError, true, text(r));
  const s = r.structuredContent as { address: string; info: Record<string, unknown>; sources: string[] };
  assert.equal(s.address, '198.18.7.9');
  assert.equal(s.info['asn'], 64500);
  assert.equal(s.info['asName'], 'Bench Net');
  assert.equal(s.info['prefix'], '198.18.7.0/24');
  assert.equal(s.info['originAsn'], 64501);
  assert.ok(s.sources.includes('bgp'), s.sources.join());
  assert.match(text(r), /^198\.18\.7\.9\n/);
  assert.match(text(r), /^ {2}AS {6}AS64500 Bench Net$/m);
  assert.match(text(r), /^ {2}BGP {5}198\.18\.7\.0\/24 AS64501$/m);
});

test('ipinfo labels a special range, and a bad address is a one-line error', async () => {
  const r = await call('ipinfo', { address: '192.0.2.1' });
  assert.notEqual(r.isError, true, text(r));
  assert.deepEqual((r.structuredContent as { info: unknown }).info, { label: 'documentation' });
  assert.equal(text(r), '192.0.2.1\n  range   documentation\n');
  const bad = await call('ipinfo', { address: 'example.com' });
  assert.equal(bad.isError, true);
  assert.equal(text(bad), "ipinfo: 'example.com' is not an IPv4 or IPv6 address");
});

test('route by address, prefix, origin, neighbour and path answers from the table', async () => {
  const byAddress = await call('route', { address: '198.18.7.200' });
  assert.notEqual(byAddress.isError, true, text(byAddress));
  const routes = (byAddress.structuredContent as { routes: { prefix: string; originAs: number; asPath: string; peerAs: number }[] }).routes;
  assert.deepEqual(routes.map((x) => [x.prefix, x.originAs, x.asPath, x.peerAs]), [['198.18.7.0/24', 64501, '64496 64499 64501', 64496], ['198.18.7.0/24', 64501, '64497 64501', 64497]]);
  assert.match(text(byAddress), /^198\.18\.7\.0\/24 AS64501\n {2}path 64496 64499 64501\n {2}via 198\.18\.0\.2 AS64496 \d+d\n/);

  const v6 = await call('route', { prefix: '2001:db8::/48' });
  assert.deepEqual((v6.structuredContent as { routes: { prefix: string; pathId: number }[] }).routes.map((x) => [x.prefix, x.pathId]), [['2001:db8::/32', 3]]);
  assert.match(text(v6), /^2001:db8::\/32 AS64502 #3$/m);

  const origin = await call('route', { origin: 'AS64501' });
  assert.equal((origin.structuredContent as { routes: unknown[] }).routes.length, 2);
  const neighbor = await call('route', { neighbor: 64497 });
  assert.deepEqual((neighbor.structuredContent as { routes: { prefix: string }[] }).routes.map((x) => x.prefix).sort(), ['198.18.7.0/24', '2001:db8::/32']);
  const path = await call('route', { path: '64499 64501', limit: 1 });
  const p = path.structuredContent as { routes: { prefix: string }[]; truncated: boolean; table: { prefixes: number } };
  assert.deepEqual(p.routes.map((x) => x.prefix), ['198.18.7.0/24']);
  assert.equal(p.truncated, false);
  assert.equal(p.table.prefixes, 3);
});

test('route refuses no question or two questions in one line, naming the choices', async () => {
  const none = await call('route', {});
  assert.equal(none.isError, true);
  assert.equal(text(none), 'route: give one of PREFIX, ADDR, --origin, --neighbor or --path');
  const two = await call('route', { origin: 64500, neighbor: 64496 });
  assert.equal(two.isError, true);
  const swapped = await call('route', { address: '198.18.0.0/15' });
  assert.equal(swapped.isError, true);
  assert.match(text(swapped), /^route: address takes an address/);
});
