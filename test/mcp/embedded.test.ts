// The MCP endpoint as people run it: mounted in the embedded hub (`npm start`, bin/start.ts, its
// own process with its local agent and its own Ed25519 identity), and standalone (mcp/main.ts,
// another process) in front of that hub. Tokens are the hub's own: minted through
// POST /v1/tokens with the admin token the hub writes, or by the hub's token module.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Ajv } from 'ajv';
import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { TokenService } from '../../hub/auth/token-service.ts';
import { startNode } from '../helpers/node-process.ts';
import type { NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

let dir: string;
let hub: NodeProcess;
let hubUrl: string;
let admin: string;

before(async () => {
  dir = await mkdtemp(`${tmpdir()}/mcp-embedded-`);
  hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dir, MESHPROBE_MCP_MODE: 'stateless', MESHPROBE_ALLOW_ANONYMOUS: undefined, MESHPROBE_HUB_TOKEN: undefined });
  hubUrl = (await hub.waitFor(/listening on (http:\/\/[^\s)]+)/))[1]!;
  admin = (await readFile(`${dir}/admin.token`, 'utf8')).trim();
});

after(async () => {
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function mint(scope: string, sub = 'telegram:4242'): Promise<string> {
  const res = await fetch(`${hubUrl}/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sub, scope, ttl: '1h' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

async function initialize(mcpUrl: string, token: string | undefined): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

async function connect(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'mcp-embedded-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

test('the embedded hub announces its MCP endpoint', async () => {
  await hub.waitFor(/MCP.*\/mcp/);
});

test('embedded /mcp: no token, an expired token and a forged token get 401 with a Bearer challenge', async () => {
  const metadata = `${hubUrl}/.well-known/oauth-protected-resource/mcp`;
  const none = await initialize(`${hubUrl}/mcp`, undefined);
  assert.equal(none.status, 401);
  assert.ok((none.headers.get('www-authenticate') ?? '').includes(`resource_metadata="${metadata}"`), none.headers.get('www-authenticate') ?? '');

  // Expired: the hub's own key, issued two hours ago for one minute.
  const past = await TokenService.open(dir, { now: () => Date.now() - 2 * 3600_000 });
  const expired = (await past.issue({ sub: 'telegram:4242', scopes: ['measure'], ttlS: 60 })).token;
  const res1 = await initialize(`${hubUrl}/mcp`, expired);
  assert.equal(res1.status, 401);
  assert.match(res1.headers.get('www-authenticate') ?? '', /error="invalid_token".*resource_metadata=/);

  // Forged: the hub's kid, issuer and audience, signed with a key that is not the hub's.
  const real = await mint('measure');
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const forged = await new SignJWT({ scope: 'measure admin' })
    .setProtectedHeader({ alg: 'EdDSA', kid: decodeProtectedHeader(real).kid!, typ: 'JWT' })
    .setSubject('admin').setIssuer(past.issuer).setAudience(past.audience).setExpirationTime('1h').setJti('x')
    .sign(privateKey);
  const res2 = await initialize(`${hubUrl}/mcp`, forged);
  assert.equal(res2.status, 401);
  assert.match(res2.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

  const doc = (await (await fetch(metadata)).json()) as { resource: string };
  assert.equal(doc.resource, `${hubUrl}/mcp`);
});

test('embedded /mcp: a hub token without the measure scope gets 403', async () => {
  const res = await initialize(`${hubUrl}/mcp`, await mint('read'));
  assert.equal(res.status, 403);
  assert.match(res.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
});

test('embedded /mcp: a measure token pings 127.0.0.1 three times through the hub', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const client = await connect(`${hubUrl}/mcp`, await mint('measure'));
  try {
    const { tools } = await client.listTools();
    const r = (await client.callTool({ name: 'ping', arguments: { targets: ['127.0.0.1'], count: 3, intervalMs: 100 } })) as CallToolResult;
    assert.notEqual(r.isError, true, JSON.stringify(r.content));
    const validate = new Ajv({ strict: false }).compile(tools.find((x) => x.name === 'ping')!.outputSchema!);
    assert.ok(validate(r.structuredContent), JSON.stringify(validate.errors));
    const s = r.structuredContent as { parts: { replies: unknown[]; summary: { received: number } }[] };
    assert.equal(s.parts[0]!.replies.length, 3);
    assert.equal(s.parts[0]!.summary.received, 3);
  } finally {
    await client.close();
  }
});

test('standalone mcp/main.ts (stateful) in front of the hub: 401 without a token, tools with one', async (t) => {
  const mcp = startNode('mcp/main.ts', ['--listen', '127.0.0.1:0'], { MESHPROBE_HUB: hubUrl, MESHPROBE_MCP_MODE: 'stateful', MESHPROBE_ALLOW_ANONYMOUS: undefined, MESHPROBE_HUB_TOKEN: undefined });
  try {
    const mcpUrl = (await mcp.waitFor(/MCP server on (http:\/\/\S+)/))[1]!;
    const none = await initialize(mcpUrl, undefined);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer .*resource_metadata=/);

    const client = await connect(mcpUrl, await mint('measure'));
    try {
      assert.ok((client.transport as StreamableHTTPClientTransport).sessionId, 'a session was opened');
      const agents = (await client.callTool({ name: 'list_agents', arguments: {} })) as CallToolResult;
      assert.notEqual(agents.isError, true, JSON.stringify(agents.content));
      assert.ok((agents.structuredContent as { agents: { name: string }[] }).agents.length >= 1);
      if (rawSkipReason()) return t.skip(rawSkipReason()!);
      const r = (await client.callTool({ name: 'ping', arguments: { targets: ['127.0.0.1'], count: 2, intervalMs: 100 } })) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      assert.equal((r.structuredContent as { totals: { received: number } }).totals.received, 2);
    } finally {
      await client.close();
    }
  } finally {
    await mcp.stop();
  }
});
