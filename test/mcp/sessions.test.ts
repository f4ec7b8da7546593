// Stateful MCP sessions are bounded per user: one subject firing initialize requests gets its
// cap (429 naming it) while other users still get sessions; and /mcp is rate-limited with the
// same per-subject buckets as /v1 in the embedded hub.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TokenService } from '../../hub/auth/token-service.ts';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { startNode } from '../helpers/node-process.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

const ISS = 'urn:test:hub';
const AUD = 'urn:test:api';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
let key: CryptoKey;
let testHub: TestHub;
let mcp: McpTestServer;

const tokenFor = (sub: string) =>
  new SignJWT({ scope: 'measure' }).setProtectedHeader({ alg: 'EdDSA', kid: 'k1' }).setSubject(sub).setIssuer(ISS).setAudience(AUD).setIssuedAt().setJti(crypto.randomUUID()).setExpirationTime('10m').sign(key);

const initialize = (url: string | URL, token: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify(INIT),
  });

before(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  key = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  testHub = await startTestHub();
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: testHub.url },
    mode: 'stateful',
    maxSessionsPerCaller: 3,
    verifier: new BearerVerifier({ jwks: { keys: [jwk] }, issuer: ISS, audience: AUD }),
  }));
});

after(async () => {
  await mcp?.close();
  await testHub?.close();
});

test('one subject firing 30 initialize requests at once gets its cap of sessions, the rest 429 naming the cap; other users still get sessions', async () => {
  const greedy = await tokenFor('telegram:666');
  const answers = await Promise.all(Array.from({ length: 30 }, () => initialize(mcp.url, greedy)));
  const statuses = answers.map((r) => r.status);
  assert.equal(statuses.filter((s) => s === 200).length, 3, statuses.join(' '));
  assert.equal(statuses.filter((s) => s === 429).length, 27, statuses.join(' '));
  const refused = answers.find((r) => r.status === 429)!;
  const body = (await refused.json()) as { error: { message: string } };
  assert.equal(body.error.message, 'too many MCP sessions for telegram:666: the cap is 3 per user; end one (DELETE with its Mcp-Session-Id) or let it idle out');
  const sessions = answers.filter((r) => r.status === 200).map((r) => r.headers.get('mcp-session-id')!);
  await Promise.all(answers.map((r) => (r.bodyUsed ? undefined : r.body?.cancel())));

  // Another user, with the SDK's own client: a session and its tools.
  const client = new Client({ name: 'other-user', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { requestInit: { headers: { authorization: `Bearer ${await tokenFor('telegram:7')}` } } }));
  assert.ok((await client.listTools()).tools.length > 0);
  await client.close();

  // Ending a session frees its slot.
  const del = await fetch(mcp.url, { method: 'DELETE', headers: { authorization: `Bearer ${greedy}`, 'mcp-session-id': sessions[0]! } });
  assert.equal(del.status, 200);
  const again = await initialize(mcp.url, greedy);
  assert.equal(again.status, 200);
  await again.body?.cancel();
});

test('the embedded hub rate-limits /mcp with the per-subject bucket of /v1: 429 with Retry-After, shared with /v1, per user', async () => {
  const dir = await mkdtemp(`${tmpdir()}/mcp-sessions-`);
  // 0.2 requests/s, burst 1: a second request within 5 s is over the limit, whatever the load.
  const hub = startNode('bin/start.ts', [], {
    MESHPROBE_LISTEN: '127.0.0.1:0',
    MESHPROBE_DATA_DIR: dir,
    MESHPROBE_MCP_MODE: 'stateful',
    MESHPROBE_SUBJECT_RATE: '0.2',
    MESHPROBE_MCP_TOKEN_CHECK_S: 'off',
    MESHPROBE_ALLOW_ANONYMOUS: undefined,
    MESHPROBE_HUB_TOKEN: undefined,
  });
  try {
    const url = (await hub.waitFor(/listening on (http:\/\/[^\s)]+)/))[1]!;
    // Minted with the hub's key directly: over HTTP the admin's own bucket (burst 1) would run dry.
    const tokens = await TokenService.open(dir);
    const mint = async (sub: string) => (await tokens.issue({ sub, scopes: ['measure', 'read'] })).token;
    const alice = await mint('telegram:1');
    const bob = await mint('telegram:2');

    const first = await initialize(`${url}/mcp`, alice);
    assert.equal(first.status, 200, await first.clone().text());
    await first.body?.cancel();
    const second = await initialize(`${url}/mcp`, alice);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    assert.match(((await second.json()) as { error: { message: string } }).error.message, /^too many requests for telegram:1; retry in \d+ s$/);
    // The same bucket as the JSON API's.
    const v1 = await fetch(`${url}/v1/whoami`, { headers: { authorization: `Bearer ${alice}` } });
    assert.equal(v1.status, 429);
    await v1.body?.cancel();
    // Bob's bucket is his own.
    const other = await initialize(`${url}/mcp`, bob);
    assert.equal(other.status, 200);
    await other.body?.cancel();
  } finally {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
