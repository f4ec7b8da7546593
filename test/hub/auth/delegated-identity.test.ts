// Delegated identity: a front-end's service token with the `delegate` scope names the end user
// in X-Meshprobe-On-Behalf-Of, and the hub limits each user apart; without the scope the header
// is refused (403), a malformed subject too (400). Also: the local 401 hint, createToken, whoami.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { createBearerAuthorize } from '../../../hub/auth/bearer-authorize.ts';
import type { Hub, HubOptions } from '../../../hub/http/server.ts';
import { isRefusal } from '../../../hub/core/principal.ts';
import { HubClient } from '../../../shared/wire/hub-client.ts';
import { HubError } from '../../../shared/model/errors.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';
import { withTestHub } from '../../helpers/test-hub.ts';


const withHub = (options: Partial<HubOptions>, body: (hub: Hub) => Promise<void>): Promise<void> =>
  withTestHub({ agents: [new ScriptedAgent({ name: 'a1' })], ...options }, (t) => body(t.hub));

async function errorOf(p: Promise<unknown>): Promise<HubError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof HubError, `a HubError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

const versionAs = (hub: Hub, token: string, onBehalfOf: string) =>
  fetch(hub.url + '/v1/version', { headers: { authorization: `Bearer ${token}`, 'x-meshprobe-on-behalf-of': onBehalfOf } });

test('per-user limits apply separately to two users delegated by one service token', async () => {
  // The service's aggregate (service-rate.test.ts) is off here: this is about the users' own buckets.
  await withHub({ control: { subjectRatePerS: 1, subjectBurst: 2, serviceRatePerS: 0 } }, async (hub) => {
    const service = (await hub.tokens.issue({ sub: 'service:bot', scopes: ['measure', 'delegate'] })).token;
    const bot = new HubClient({ url: hub.url, token: service });
    const alice = bot.onBehalfOf('telegram:1001');
    const bob = bot.onBehalfOf('email:bob@example.org');

    await alice.version();
    await alice.version();
    const limited = await errorOf(alice.version());
    assert.equal(limited.status, 429);
    assert.equal(limited.code, 'MP_ERR_RATE_LIMITED');
    assert.match(limited.message, /too many requests for telegram:1001 \(via service:bot\)/);

    // Bob has a bucket of his own, and so does the service itself.
    await bob.version();
    await bob.version();
    assert.match((await errorOf(bob.version())).message, /too many requests for email:bob@example\.org \(via service:bot\)/);
    await bot.version();
    const who = await bot.onBehalfOf('telegram:2002').whoami();
    assert.equal(who.sub, 'telegram:2002');
    assert.equal(who.via, 'service:bot');
  });
});

test('the header from a token without the delegate scope gets 403 with a one-line reason', async () => {
  await withHub({}, async (hub) => {
    const plain = (await hub.tokens.issue({ sub: 'service:bot', scopes: ['measure', 'token:create'] })).token;
    const res = await versionAs(hub, plain, 'telegram:42');
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'MP_ERR_FORBIDDEN');
    assert.match(body.error.message, /^service:bot may not act on behalf of others: .*delegate scope$/);
    assert.ok(!body.error.message.includes('\n'));

    const err = await errorOf(new HubClient({ url: hub.url, token: plain, onBehalfOf: 'telegram:42' }).agents());
    assert.equal(err.status, 403);
  });
  await withHub({ allowAnonymous: true }, async (hub) => {
    const res = await fetch(hub.url + '/v1/version', { headers: { 'x-meshprobe-on-behalf-of': 'telegram:42' } });
    assert.equal(res.status, 403, 'anonymous callers cannot delegate either');
    await res.body?.cancel();
  });
});

test('a malformed delegated subject gets 400 naming the header', async () => {
  await withHub({}, async (hub) => {
    const service = (await hub.tokens.issue({ sub: 'service:bot', scopes: ['measure', 'delegate'] })).token;
    const bad = ['telegram:abc', 'telegram:', 'email:nobody', 'admin', 'agent:lax1', 'email:a b@example.org', 'email:a\tb@example.org', `email:${'x'.repeat(300)}@example.org`];
    for (const subject of bad) {
      const res = await versionAs(hub, service, subject);
      assert.equal(res.status, 400, subject);
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'MP_ERR_BAD_REQUEST', subject);
      assert.match(body.error.message, /X-Meshprobe-On-Behalf-Of/, subject);
      assert.ok(!body.error.message.includes('\n'), subject);
    }
    const good = await versionAs(hub, service, 'email:alice@example.org');
    assert.equal(good.status, 200);
    await good.body?.cancel();
    // The client refuses what the hub would refuse, before sending anything.
    assert.throws(() => new HubClient({ url: hub.url, token: service }).onBehalfOf('telegram:-1'), /not telegram:<user id> or email:<address>/);
  });
});

test('HubClient.createToken mints through POST /v1/tokens and whoami reads the new token back', async () => {
  await withHub({}, async (hub) => {
    const admin = new HubClient({ url: hub.url, token: (await hub.tokens.issue({ sub: 'admin', scopes: ['admin'] })).token });
    const created = await admin.createToken({ sub: 'email:carol@example.org', scope: ['measure', 'read'], ttl: '2h' });
    assert.equal(created.sub, 'email:carol@example.org');
    assert.equal(created.scope, 'measure read');
    const hours = (Date.parse(created.expiresAt) - Date.now()) / 3_600_000;
    assert.ok(hours > 1.9 && hours <= 2, `expires in 2 h (got ${hours})`);
    const me = await new HubClient({ url: hub.url, token: created.token }).whoami();
    assert.deepEqual({ sub: me.sub, scope: me.scope, jti: me.jti, via: me.via }, { sub: created.sub, scope: 'measure read', jti: created.jti, via: undefined });

    // A token:create service may only mint user scopes: the hub's reason comes back as Forbidden.
    const minter = new HubClient({ url: hub.url, token: (await hub.tokens.issue({ sub: 'service:bot', scopes: ['token:create'] })).token });
    const refused = await errorOf(minter.createToken({ sub: 'telegram:7', scope: 'admin' }));
    assert.equal(refused.status, 403);
    assert.equal(refused.code, 'MP_ERR_FORBIDDEN');
    assert.match(refused.message, /may only mint/);
    const badTtl = await errorOf(admin.createToken({ sub: 'telegram:7', ttl: 'soon' }));
    assert.equal(badTtl.status, 400);
    assert.match(badTtl.message, /^ttl:/);
  });
});

test('a 401 names the admin token file to loopback clients only', async () => {
  const file = '/var/lib/meshprobe/admin.token';
  await withHub({ control: { localTokenFile: file } }, async (hub) => {
    const res = await fetch(hub.url + '/v1/version');
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: { message: string } };
    assert.match(body.error.message, /needs a bearer token.*; on this machine an admin token is in \/var\/lib\/meshprobe\/admin\.token$/);
    const cli = await fetch(hub.url + '/v1/cli', { method: 'POST', body: 'version' });
    assert.equal(cli.status, 401);
    const text = await cli.text();
    assert.equal(text.trim().split('\n').length, 1, 'one line');
    assert.match(text, /admin\.token/);

    // The same authorize for a client elsewhere: no path. (A request object with a remote
    // address: tests may not reach this hub from another machine.)
    const authorize = createBearerAuthorize({ tokens: hub.tokens, localTokenFile: file });
    const remote = { headers: {}, socket: { remoteAddress: '198.18.0.7' } } as unknown as IncomingMessage;
    const verdict = await authorize(remote, { name: 'version', method: 'GET', path: '/v1/version' });
    assert.ok(isRefusal(verdict));
    assert.equal(verdict.status, 401);
    assert.doesNotMatch(verdict.message, /admin\.token|\/var\//);
  });
  await withHub({}, async (hub) => {
    const res = await fetch(hub.url + '/v1/version');
    assert.doesNotMatch(((await res.json()) as { error: { message: string } }).error.message, /admin\.token/, 'no hint without the setting');
  });
});
