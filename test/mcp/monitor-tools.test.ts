// The monitor tools end to end: the SDK's real Client and StreamableHTTPClientTransport against
// McpHttpHandler on 127.0.0.1:0, in front of a real hub with its SQLite store and an agent that
// speaks the real protocol. add → list shows it → show (text + heatmap image) → remove → list empty;
// every structuredContent checked against the outputSchema tools/list publishes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { PNG } from 'pngjs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { Histogram } from '../../shared/model/histogram.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { MonitorAgent } from '../helpers/monitor-agent.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

let t: TestHub;
let mcp: McpTestServer;
let client: Client;
let agent: MonitorAgent;
let tools: Map<string, Tool>;
const ajv = new Ajv({ strict: false });

before(async () => {
  t = await startTestHub();
  agent = await MonitorAgent.connect(t.url, (await t.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token, 'lax1');
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
  await agent?.close();
  await t?.close();
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

test('monitor_add → monitor_list → monitor_show (text and heatmap image) → monitor_remove → empty list', async () => {
  const added = await call('monitor_add', { target: 'mcp@127.0.0.1', interval: '2s', from: ['lax1'] });
  assert.notEqual(added.isError, true, text(added));
  const view = (added.structuredContent as { monitor: { id: number; name: string; intervalMs: number } }).monitor;
  assert.equal(view.name, 'mcp');
  assert.equal(view.intervalMs, 2000);
  assert.match(text(added), /^added monitor #\d+ mcp/);

  await agent.assigned([view.id]);
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
  const h = new Histogram();
  for (const r of [1, 2]) h.add(r);
  await agent.reportAcked(1, [{ m: view.id, t: minute, sent: 2, recv: 2, sum: 3, min: 1, max: 2, hist: h.pairs(), last: 2, lastAt: minute + 1000, addr: '127.0.0.1' }]);

  const list = await call('monitor_list', {});
  const monitors = (list.structuredContent as { monitors: { name: string; stats: { agent: string; sent: number }[] }[] }).monitors;
  assert.deepEqual(monitors.map((m) => m.name), ['mcp']);
  assert.deepEqual(monitors[0]!.stats.map((s) => [s.agent, s.sent]), [['lax1', 2]]);
  assert.match(text(list), /^mcp +127\.0\.0\.1 +2 +2 +100% +0% /m);

  const show = await call('monitor_show', { monitor: 'mcp', range: '1h' });
  assert.notEqual(show.isError, true, text(show));
  assert.match(text(show), /^ {2}p50 [\d.]+ p95 [\d.]+ p99 [\d.]+$/m);
  const image = show.content.find((c) => c.type === 'image') as { data: string; mimeType: string } | undefined;
  assert.ok(image, 'the heatmap as image content');
  assert.equal(image.mimeType, 'image/png');
  const png = PNG.sync.read(Buffer.from(image.data, 'base64'));
  assert.ok(png.width > 100 && png.height > 100, `${png.width}×${png.height}`);
  assert.equal((show.structuredContent as { monitor: { rangeMs: number } }).monitor.rangeMs, 3_600_000);

  const removed = await call('monitor_remove', { monitor: view.id });
  assert.deepEqual(removed.structuredContent, { removed: { id: view.id, name: 'mcp' } });
  const empty = await call('monitor_list', {});
  assert.deepEqual((empty.structuredContent as { monitors: unknown[] }).monitors, []);
});

test('bad arguments and unknown monitors are isError results with one line', async () => {
  const bad = await call('monitor_add', { target: '127.1' });
  assert.equal(bad.isError, true);
  assert.match(text(bad), /^monitor add: '127\.1' is a shorthand IPv4 form/);
  const slow = await call('monitor_add', { target: '127.0.0.1', interval: '2h' });
  assert.match(text(slow), /interval must be at most 1h/);
  const missing = await call('monitor_show', { monitor: 'nosuch' });
  assert.equal(missing.isError, true);
  assert.match(text(missing), /nosuch/);
  assert.equal(text(missing).split('\n').length, 1);
});
