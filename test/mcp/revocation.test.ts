// The MCP endpoint refuses tokens the hub has revoked: it asks the hub (GET /v1/whoami) and
// trusts a "still valid" answer only for a short time (MESHPROBE_MCP_TOKEN_CHECK_S).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hub } from '../../hub/http/server.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { mcpHandlerFromEnv } from '../../mcp/config.ts';
import { HubTokenStatus } from '../../mcp/token-status.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';

let testHub: TestHub;
let hub: Hub;
let mcp: McpTestServer;
let base: string;
let admin: string;

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

const initialize = (token: string) =>
  fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify(INIT),
  });

const revoke = async (jti: string) => {
  const res = await fetch(`${hub.url}/v1/tokens/${jti}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  assert.equal(res.status, 200);
};

before(async () => {
  testHub = await startTestHub();
  hub = testHub.hub;
  admin = (await hub.tokens.issue({ sub: 'admin', scopes: ['admin'] })).token;
  mcp = await serveMcp(mcpHandlerFromEnv({ MESHPROBE_MCP_TOKEN_CHECK_S: '0.2' }, { hubUrl: hub.url }));
  base = mcp.base;
});

after(async () => {
  await mcp.close();
  await testHub.close();
});

test('a token revoked at the hub gets 401 on /mcp (after the check TTL at most)', async () => {
  const user = await hub.tokens.issue({ sub: 'telegram:21', scopes: ['measure'] });
  const ok = await initialize(user.token);
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  await revoke(user.jti);
  await new Promise((r) => setTimeout(r, 250));
  const res = await initialize(user.token);
  assert.equal(res.status, 401);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer error="invalid_token"/);
  assert.match(challenge, /revoked/);
  assert.match(((await res.json()) as { error_description: string }).error_description, /the token has been revoked/);
});

test('a token revoked before its first use on /mcp is refused at once', async () => {
  const user = await hub.tokens.issue({ sub: 'telegram:22', scopes: ['measure'] });
  await revoke(user.jti);
  const res = await initialize(user.token);
  assert.equal(res.status, 401);
  await res.body?.cancel();
});

test('the revocation check fails closed (503) when the hub cannot be asked', async () => {
  const port = await closedPort();
  const status = new HubTokenStatus({ hubUrl: `http://127.0.0.1:${port}` });
  const user = await hub.tokens.issue({ sub: 'telegram:23', scopes: ['measure'] });
  const refusal = await status.check(user.token, user.jti, user.exp);
  assert.equal(refusal?.status, 503);
  assert.equal(refusal?.error, 'temporarily_unavailable');
  const live = new HubTokenStatus({ hubUrl: hub.url });
  assert.equal(await live.check(user.token, user.jti, user.exp), undefined, 'a good token passes');
});
