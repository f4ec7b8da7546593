// The MCP endpoint's gate: bearer JWTs checked against a JWKS (algorithm, signature, issuer,
// audience, expiry, scope), the RFC 9728 metadata a 401 points at, and the Host/Origin check.
// Keys are made here; test/mcp/mcp-e2e.test.ts repeats the essentials with the hub's own tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { CryptoKey } from 'jose';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import type { Hub } from '../../hub/http/server.ts';

const ISS = 'urn:test:hub';
const AUD = 'urn:test:api';
let key: CryptoKey;
let otherKey: CryptoKey;
let hub: Hub;
let mcp: McpTestServer;
let base: string;
let testHub: TestHub;

async function token(o: { scope?: string; exp?: number | string; iss?: string; aud?: string; signWith?: CryptoKey; kid?: string } = {}): Promise<string> {
  return new SignJWT({ scope: o.scope ?? 'measure' })
    .setProtectedHeader({ alg: 'EdDSA', kid: o.kid ?? 'k1', typ: 'JWT' })
    .setSubject('telegram:42')
    .setIssuer(o.iss ?? ISS)
    .setAudience(o.aud ?? AUD)
    .setIssuedAt()
    .setJti(crypto.randomUUID())
    .setExpirationTime(o.exp ?? '10m')
    .sign(o.signWith ?? key);
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function post(headers: Record<string, string>, body: unknown = INIT): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
}

before(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  key = pair.privateKey;
  ({ privateKey: otherKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' }));
  // The public half as a JWKS, like the hub publishes it.
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  testHub = await startTestHub();
  hub = testHub.hub;
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: hub.url },
    verifier: new BearerVerifier({ jwks: { keys: [jwk] }, issuer: ISS, audience: AUD }),
  }));
  base = mcp.base;
});

after(async () => {
  await mcp.close();
  await testHub.close();
});

function assertChallenge(res: Response, error: string): void {
  const h = res.headers.get('www-authenticate') ?? '';
  assert.match(h, /^Bearer /);
  assert.match(h, new RegExp(`error="${error}"`));
  assert.ok(h.includes(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`), h);
}

test('a request without a token gets 401 with a Bearer challenge pointing at the resource metadata', async () => {
  const res = await post({});
  assert.equal(res.status, 401);
  assertChallenge(res, 'invalid_request');
  const body = (await res.json()) as { error: string; error_description: string };
  assert.equal(body.error_description, 'missing bearer token');
});

test('the protected-resource metadata (RFC 9728) names this endpoint and the scope', async () => {
  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.resource, `${base}/mcp`);
    assert.deepEqual(doc.scopes_supported, ['measure']);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
  }
});

test('an expired token gets 401 invalid_token', async () => {
  const t = await token({ exp: Math.floor(Date.now() / 1000) - 3600 });
  const res = await post({ authorization: `Bearer ${t}` });
  assert.equal(res.status, 401);
  assertChallenge(res, 'invalid_token');
  assert.equal(((await res.json()) as { error_description: string }).error_description, 'the token has expired');
});

test('a forged token (right claims and kid, another key) gets 401', async () => {
  const res = await post({ authorization: `Bearer ${await token({ signWith: otherKey })}` });
  assert.equal(res.status, 401);
  assertChallenge(res, 'invalid_token');
});

test('alg none, wrong issuer and wrong audience get 401', async () => {
  const none = new UnsecuredJWT({ scope: 'measure' }).setSubject('x').setIssuer(ISS).setAudience(AUD).setExpirationTime('10m').encode();
  for (const t of [none, await token({ iss: 'urn:someone:else' }), await token({ aud: 'urn:another:api' }), 'not-a-jwt']) {
    const res = await post({ authorization: `Bearer ${t}` });
    assert.equal(res.status, 401, t);
    assertChallenge(res, 'invalid_token');
  }
});

test('a valid token without the measure scope gets 403 insufficient_scope', async () => {
  const res = await post({ authorization: `Bearer ${await token({ scope: 'read agent' })}` });
  assert.equal(res.status, 403);
  assertChallenge(res, 'insufficient_scope');
});

test('the SDK client sees the 401 as StreamableHTTPError 401', async () => {
  const client = new Client({ name: 't', version: '1' });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`))), (err: unknown) => {
    assert.ok(err instanceof StreamableHTTPError);
    assert.equal(err.code, 401);
    return true;
  });
});

test('a valid token with measure scope (or admin) connects and lists the tools', async () => {
  for (const scope of ['measure', 'admin']) {
    const client = new Client({ name: 't', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${await token({ scope })}` } },
    });
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['dns', 'http', 'ipinfo', 'list_agents', 'monitor_add', 'monitor_list', 'monitor_remove', 'monitor_show', 'mtr', 'owd', 'ping', 'probe', 'route', 'tcpconnect', 'tcpping', 'traceroute']);
    await client.close();
  }
});

test('a foreign Host or Origin is refused before auth (DNS rebinding)', async () => {
  const t = await token();
  // fetch() will not let us set Host, so speak HTTP/1.1 directly.
  const { request } = await import('node:http');
  const status = await new Promise<number>((ok, fail) => {
    const req = request(`${base}/mcp`, { method: 'POST', headers: { host: 'evil.example:80', authorization: `Bearer ${t}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', fail);
    req.end(JSON.stringify(INIT));
  });
  assert.equal(status, 403);
  const res = await post({ authorization: `Bearer ${t}`, origin: 'http://evil.example' });
  assert.equal(res.status, 403);
  assert.match(((await res.json()) as { error: { message: string } }).error.message, /Origin 'http:\/\/evil\.example' is not allowed/);
  const ok = await post({ authorization: `Bearer ${t}`, origin: base });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
});

test('when the hub keys cannot be fetched the answer is 503, not a 401 that blames the token', async () => {
  // A port that was just free: nothing listens there.
  const port = await closedPort();
  const s = await serveMcp(new McpHttpHandler({
    hub: { url: hub.url },
    verifier: new BearerVerifier({ jwks: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`), issuer: ISS, audience: AUD }),
  }));
  try {
    const res = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await token()}` },
      body: JSON.stringify(INIT),
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('www-authenticate'), null);
    assert.equal(((await res.json()) as { error: string }).error, 'temporarily_unavailable');
  } finally {
    await s.close();
  }
});

test('a browser page on an allowed origin gets CORS: preflight answered, session header exposed', async () => {
  const pre = await fetch(`${base}/mcp`, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:6274');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  const res = await post({ authorization: `Bearer ${await token()}`, origin: 'http://localhost:6274' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
  await res.body?.cancel();
  const foreign = await fetch(`${base}/mcp`, { method: 'OPTIONS', headers: { origin: 'http://evil.example' } });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);
});
