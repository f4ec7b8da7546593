// The hub's HTTP API with real JWT auth: bad tokens get 401 with a Bearer challenge, wrong
// scopes 403, too many requests 429 with Retry-After; tokens are minted and revoked over HTTP.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { TokenService } from '../../../hub/auth/token-service.ts';
import type { Hub, HubOptions } from '../../../hub/http/server.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';
import { withTestHub } from '../../helpers/test-hub.ts';
import { algNone, claimsOf, hs256WithPublicKey, tamperedPayload } from './forged-tokens.ts';

let dataRoot: string;
before(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'mp-httpauth-'));
});
after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

const withHub = (options: Partial<HubOptions>, body: (hub: Hub, admin: string) => Promise<void>): Promise<void> =>
  withTestHub({ agents: [new ScriptedAgent({ name: 'a1' })], ...options }, async (t) => body(t.hub, await t.token(['admin'])));

const measure = (hub: Hub, token?: string, headers: Record<string, string> = {}) =>
  fetch(hub.url + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], count: 1 }),
  });

test('every kind of bad token gets 401 with WWW-Authenticate: Bearer; a good one streams', async () => {
  await withHub({}, async (hub, admin) => {
    const user = await hub.tokens.issue({ sub: 'telegram:5', scopes: ['measure'] });
    const claims = claimsOf(user.token);
    const past = await TokenService.open(hub.dataDir, { now: () => Date.now() - 86_400_000 });
    const otherIss = await TokenService.open(hub.dataDir, { issuer: 'https://evil.example' });
    const otherAud = await TokenService.open(hub.dataDir, { audience: 'urn:other' });
    const strangerDir = join(dataRoot, 'stranger' + Math.random());
    const stranger = await TokenService.open(strangerDir);
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const kidSpoof = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: hub.tokens.key.kid })
      .setSubject('admin').setIssuer(hub.tokens.issuer).setAudience(hub.tokens.audience).setIssuedAt().setExpirationTime('1h').setJti('spoof')
      .sign(privateKey);
    const bad: Record<string, string | undefined> = {
      missing: undefined,
      empty: '',
      forged: tamperedPayload(user.token, { scope: 'admin', sub: 'admin' }),
      expired: (await past.issue({ sub: 'telegram:5', scopes: ['measure'], ttlS: 60 })).token,
      'wrong issuer': (await otherIss.issue({ sub: 'telegram:5', scopes: ['measure'] })).token,
      'wrong audience': (await otherAud.issue({ sub: 'telegram:5', scopes: ['measure'] })).token,
      'alg none': algNone({ ...claims, scope: 'admin' }),
      'wrong key': (await stranger.issue({ sub: 'admin', scopes: ['admin'] })).token,
      'wrong key, our kid': kidSpoof,
      garbage: 'abc.def.ghi',
    };
    hs256WithPublicKey(hub.tokens, { ...claims, scope: 'admin' }).forEach((t, i) => (bad[`HS256 with public key #${i + 1}`] = t));
    for (const [name, token] of Object.entries(bad)) {
      const res = await measure(hub, token);
      assert.equal(res.status, 401, name);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="meshprobe"/, name);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'MP_ERR_UNAUTHORIZED', name);
      assert.ok(!body.error.message.includes('\n'));
    }
    const ok = await measure(hub, user.token);
    assert.equal(ok.status, 200);
    await ok.text();
    const okAdmin = await measure(hub, admin);
    assert.equal(okAdmin.status, 200);
    await okAdmin.text();
    await rm(strangerDir, { recursive: true, force: true });
  });
});

test('scopes: read-only tokens cannot measure, agent tokens cannot measure, users cannot mint', async () => {
  await withHub({}, async (hub) => {
    const read = (await hub.tokens.issue({ sub: 'viewer', scopes: ['read'] })).token;
    const agent = (await hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token;
    const user = (await hub.tokens.issue({ sub: 'telegram:1', scopes: ['measure'] })).token;
    for (const [token, who] of [[read, 'viewer'], [agent, 'agent:lax1']] as const) {
      const res = await measure(hub, token);
      assert.equal(res.status, 403);
      assert.match(res.headers.get('www-authenticate') ?? '', /insufficient_scope/);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, new RegExp(`^${who} may not use /v1/measurements`));
    }
    assert.equal((await fetch(hub.url + '/v1/agents', { headers: { authorization: `Bearer ${read}` } })).status, 200);
    const mint = await fetch(hub.url + '/v1/tokens', { method: 'POST', headers: { authorization: `Bearer ${user}` }, body: JSON.stringify({ sub: 'x', scope: 'measure' }) });
    assert.equal(mint.status, 403);
    assert.equal((await fetch(hub.url + '/healthz')).status, 200, 'health stays public');
    assert.equal((await fetch(hub.url + '/.well-known/jwks.json')).status, 200, 'JWKS is public');
  });
});

test('revoking by the token keeps the revocation for the longest lifetime, not the token\'s exp: a renewal shares its jti with a later exp', async () => {
  await withHub({}, async (hub, admin) => {
    const short = await hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'], ttlS: 60 });
    const res = await fetch(hub.url + '/v1/tokens/revoke', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ token: short.token }) });
    assert.equal(res.status, 200);
    // A renewal: same sub and jti, a later exp (what the agent gateway issues before expiry).
    const renewed = await hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'], ttlS: 3600, jti: short.jti });
    assert.equal((await measure(hub, renewed.token)).status, 401);
    // After the short token's own expiry a restarted hub must still refuse the renewal: the
    // stored entry outlives it (reloaded from the data directory as a restart would).
    const later = await TokenService.open(hub.dataDir, { now: () => Date.now() + 120_000 });
    await assert.rejects(later.verify(renewed.token), /revoked/);
  });
});

test('POST /v1/tokens mints, whoami reads, revoke kills; token:create is limited to user scopes', async () => {
  await withHub({}, async (hub, admin) => {
    const post = (path: string, token: string, body: unknown) =>
      fetch(hub.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const res = await post('/v1/tokens', admin, { sub: 'telegram:77', scope: 'measure read', ttl: '2h' });
    assert.equal(res.status, 201);
    const minted = (await res.json()) as { token: string; jti: string; expiresAt: string; scope: string };
    assert.equal(minted.scope, 'measure read');
    assert.ok(Math.abs(new Date(minted.expiresAt).getTime() - Date.now() - 7200_000) < 5000);
    const who = (await (await fetch(hub.url + '/v1/whoami', { headers: { authorization: `Bearer ${minted.token}` } })).json()) as { sub: string; jti: string };
    assert.equal(who.sub, 'telegram:77');
    assert.equal(who.jti, minted.jti);
    const jwks = (await (await fetch(hub.url + '/.well-known/jwks.json')).json()) as { keys: Array<{ kid: string; d?: string; alg: string }> };
    assert.equal(jwks.keys[0]!.kid, hub.tokens.key.kid);
    assert.equal(jwks.keys[0]!.d, undefined);
    assert.equal((await post('/v1/tokens/revoke', admin, { jti: minted.jti })).status, 200);
    assert.equal((await measure(hub, minted.token)).status, 401);

    const bot = (await hub.tokens.issue({ sub: 'service:telegram', scopes: ['token:create', 'measure'] })).token;
    assert.equal((await post('/v1/tokens', bot, { sub: 'telegram:1', scope: 'measure' })).status, 201);
    assert.equal((await post('/v1/tokens', bot, { sub: 'telegram:1', scope: 'admin' })).status, 403);
    assert.equal((await post('/v1/tokens', bot, { sub: 'agent:lax1', scope: 'measure' })).status, 403);
    assert.equal((await post('/v1/tokens/revoke', bot, { jti: minted.jti })).status, 403, 'only admins revoke');
    const bad = await post('/v1/tokens', admin, { sub: 'x', scope: 'measure', ttl: 'forever' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^ttl:/);
  });
});

test('DELETE /v1/tokens/:jti revokes (admin only): the token gets 401 on its next use', async () => {
  await withHub({}, async (hub, admin) => {
    const del = (jti: string, token: string) => fetch(`${hub.url}/v1/tokens/${encodeURIComponent(jti)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    const user = await hub.tokens.issue({ sub: 'telegram:8', scopes: ['measure'] });
    const ok = await measure(hub, user.token);
    assert.equal(ok.status, 200);
    await ok.text();
    assert.equal((await del(user.jti, user.token)).status, 403, 'a user cannot revoke');
    const res = await del(user.jti, admin);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { revoked: user.jti });
    const after = await measure(hub, user.token);
    assert.equal(after.status, 401);
    assert.match(((await after.json()) as { error: { message: string } }).error.message, /revoked/);
    const bad = await del('no spaces allowed', admin);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^jti:/);
    const get = await fetch(`${hub.url}/v1/tokens/${user.jti}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'DELETE');
  });
});

test('MESHPROBE_ALLOW_ANONYMOUS lets token-less requests through but still rejects bad tokens', async () => {
  await withHub({ allowAnonymous: true }, async (hub) => {
    const anon = await measure(hub);
    assert.equal(anon.status, 200);
    await anon.text();
    assert.equal((await measure(hub, 'bad.token.here')).status, 401);
  });
});

test('per-subject and per-IP request rates answer 429 with Retry-After', async () => {
  await withHub({ control: { subjectRatePerS: 1, subjectBurst: 2 } }, async (hub) => {
    const user = (await hub.tokens.issue({ sub: 'telegram:9', scopes: ['read'] })).token;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 4; i++) {
      const res = await fetch(hub.url + '/v1/version', { headers: { authorization: `Bearer ${user}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.text();
    }
    assert.deepEqual(statuses.slice(0, 2), [200, 200]);
    assert.equal(statuses.at(-1), 429);
    assert.ok(Number(retryAfter) >= 1);
  });
  await withHub({ control: { ipRatePerS: 1, ipBurst: 2, exemptLoopback: false } }, async (hub, admin) => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await fetch(hub.url + '/v1/version', { headers: { authorization: `Bearer ${admin}` } });
      statuses.push(res.status);
      await res.text();
    }
    assert.equal(statuses.at(-1), 429);
  });
});

test('GET /metrics exposes the hub metrics in Prometheus text format', async () => {
  await withHub({ allowAnonymous: true }, async (hub) => {
    await (await measure(hub)).text();
    const res = await fetch(hub.url + '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    const text = await res.text();
    assert.match(text, /meshprobe_hub_requests_total\{route="measurements",method="POST",status="200"\} 1/);
    assert.match(text, /meshprobe_hub_open_streams\{route="measurements"\} 0/);
    assert.match(text, /meshprobe_hub_agents_connected 0/);
    assert.match(text, /meshprobe_hub_relay_latency_seconds_bucket/);
    assert.match(text, /meshprobe_hub_events_total\{type="reply"\} 1/);
  });
});
