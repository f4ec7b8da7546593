// The traceroute tool over several agents answers with the path picture as image content, after
// a line that says where the paths join: the SDK's real client against the MCP handler, in front
// of a real hub with two real LocalAgents tracing loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { NODE_BORDER } from '../../shared/render/path-picture.ts';

let testHub: TestHub;
let mcp: McpTestServer;
let client: Client;

before(async () => {
  testHub = await startTestHub({ agents: [new LocalAgent({ name: 'lax1' }), new LocalAgent({ name: 'fra1' })] });
  const hub = testHub.hub;
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: hub.url },
    mode: 'stateless',
    verifier: new BearerVerifier({ jwks: new URL(`${hub.url}/.well-known/jwks.json`), issuer: hub.tokens.issuer, audience: hub.tokens.audience }),
  }));
  const token = (await hub.tokens.issue({ sub: 'telegram:42', scopes: ['measure'], ttlS: 600 })).token;
  client = new Client({ name: 'mcp-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
});

after(async () => {
  await client?.close();
  await mcp?.close();
  await testHub?.close();
});

test('traceroute from two agents: text, then where the paths join, then the path picture as a PNG', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = (await client.callTool({ name: 'traceroute', arguments: { targets: ['127.0.0.1'], from: ['lax1', 'fra1'], protocol: 'icmp', queriesPerHop: 1 } })) as CallToolResult;
  assert.notEqual(r.isError, true, JSON.stringify(r.content));
  const texts = r.content.filter((c) => c.type === 'text').map((c) => (c.type === 'text' ? c.text : ''));
  assert.ok(texts.some((x) => /^paths to 127\.0\.0\.1: paths join at 127\.0\.0\.1 \(hop 1\); slowest (lax1|fra1) [\d.]+ ms$/.test(x)), JSON.stringify(texts));
  const images = r.content.filter((c) => c.type === 'image');
  assert.equal(images.length, 1);
  const image = images[0]!;
  assert.ok(image.type === 'image');
  assert.equal(image.mimeType, 'image/png');
  const png = PNG.sync.read(Buffer.from(image.data, 'base64'));
  // Two agents and the target: three frames, counted by their top-left corners in the pixels.
  const border = NODE_BORDER.join(',');
  const is = (x: number, y: number) => x >= 0 && y >= 0 && x < png.width && y < png.height && [0, 1, 2].map((k) => png.data[(y * png.width + x) * 4 + k]).join(',') === border;
  let corners = 0;
  for (let y = 0; y < png.height; y++) for (let x = 0; x < png.width; x++) if (is(x, y) && !is(x - 1, y) && !is(x, y - 1) && is(x + 1, y) && is(x, y + 1)) corners++;
  assert.equal(corners, 3);
});

test('a trace from one agent carries no path picture', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = (await client.callTool({ name: 'traceroute', arguments: { targets: ['127.0.0.1'], from: ['lax1'], protocol: 'icmp', queriesPerHop: 1 } })) as CallToolResult;
  assert.notEqual(r.isError, true, JSON.stringify(r.content));
  assert.equal(r.content.filter((c) => c.type === 'image').length, 0);
});
