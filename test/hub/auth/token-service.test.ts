import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { TokenService } from '../../../hub/auth/token-service.ts';
import { SIGNING_KEY_FILE } from '../../../hub/auth/signing-key.ts';
import { parseTtl } from '../../../hub/auth/ttl.ts';
import { mayMint } from '../../../hub/auth/scopes.ts';
import { algNone, claimsOf, hs256WithPublicKey, tamperedPayload } from './forged-tokens.ts';

async function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-auth-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rejects(service: TokenService, token: string, pattern: RegExp): Promise<void> {
  await assert.rejects(service.verify(token), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'MP_ERR_UNAUTHORIZED');
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes(token.slice(0, 20)), 'the message never echoes the token');
    return true;
  });
}

test('the signing key is created once with mode 0600 and reused after a restart', async () => {
  await withDir(async (dir) => {
    const a = await TokenService.open(dir);
    const mode = (await stat(join(dir, SIGNING_KEY_FILE))).mode & 0o777;
    assert.equal(mode, 0o600);
    const jwk = JSON.parse(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8'));
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.kid, a.key.kid);
    const { token } = await a.issue({ sub: 'admin', scopes: ['admin'] });
    const b = await TokenService.open(dir);
    assert.equal(b.key.kid, a.key.kid);
    const claims = await b.verify(token);
    assert.equal(claims.sub, 'admin');
    assert.deepEqual(claims.scopes, ['admin']);
    // The JWKS carries only the public half.
    const [pub] = b.jwks().keys;
    assert.equal(pub!.d, undefined);
    assert.equal(pub!.alg, 'EdDSA');
  });
});

test('two processes starting at once end up with one key', async () => {
  await withDir(async (dir) => {
    const [a, b] = await Promise.all([TokenService.open(dir), TokenService.open(dir)]);
    assert.equal(a.key.kid, b.key.kid);
  });
});

test('issued tokens carry sub, scope, exp, iss, aud, jti and iat', async () => {
  await withDir(async (dir) => {
    const s = await TokenService.open(dir);
    const issued = await s.issue({ sub: 'telegram:42', scopes: ['measure'], ttlS: 3600 });
    const c = claimsOf(issued.token);
    assert.equal(c.sub, 'telegram:42');
    assert.equal(c.scope, 'measure');
    assert.equal(c.iss, 'urn:meshprobe:hub');
    assert.equal(c.aud, 'urn:meshprobe:api');
    assert.equal(c.exp, (c.iat as number) + 3600);
    assert.equal(c.jti, issued.jti);
    assert.equal(new Date(issued.expiresAt).getTime(), (c.exp as number) * 1000);
  });
});

test('forged, expired, wrong-issuer, wrong-audience, alg none, HS256-with-public-key and wrong-key tokens are refused', async () => {
  await withDir(async (dir) => {
    const s = await TokenService.open(dir);
    const good = await s.issue({ sub: 'telegram:1', scopes: ['measure'] });
    const claims = claimsOf(good.token);

    await rejects(s, tamperedPayload(good.token, { scope: 'admin' }), /signature/);

    const past = await TokenService.open(dir, { now: () => Date.now() - 7200_000 });
    await rejects(s, (await past.issue({ sub: 'x', scopes: ['measure'], ttlS: 60 })).token, /expired/);

    const otherIssuer = await TokenService.open(dir, { issuer: 'https://evil.example' });
    await rejects(s, (await otherIssuer.issue({ sub: 'x', scopes: ['admin'] })).token, /issuer/);

    const otherAudience = await TokenService.open(dir, { audience: 'urn:someone:else' });
    await rejects(s, (await otherAudience.issue({ sub: 'x', scopes: ['admin'] })).token, /audience/);

    await rejects(s, algNone({ ...claims, scope: 'admin' }), /EdDSA|malformed|invalid/);
    for (const t of hs256WithPublicKey(s, { ...claims, scope: 'admin' })) await rejects(s, t, /EdDSA/);

    await withDir(async (other) => {
      const stranger = await TokenService.open(other);
      await rejects(s, (await stranger.issue({ sub: 'admin', scopes: ['admin'] })).token, /signature/);
    });

    // A genuine EdDSA signature by a key that merely claims our kid.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const spoof = await new SignJWT({ scope: 'admin' })
      .setProtectedHeader({ alg: 'EdDSA', kid: s.key.kid })
      .setSubject('admin').setIssuer(s.issuer).setAudience(s.audience).setIssuedAt().setExpirationTime('1h').setJti('x1')
      .sign(privateKey);
    await rejects(s, spoof, /signature/);

    await rejects(s, 'not.a.token', /malformed|invalid|not a JWT/);
    await rejects(s, 'garbage', /not a JWT/);
  });
});

test('a token without jti or exp is refused even when correctly signed', async () => {
  await withDir(async (dir) => {
    const s = await TokenService.open(dir);
    const noExp = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('a').setIssuer(s.issuer).setAudience(s.audience).setIssuedAt().setJti('j').sign(s.key.privateKey);
    await rejects(s, noExp, /exp/);
    const noJti = await new SignJWT({ scope: 'admin' }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('a').setIssuer(s.issuer).setAudience(s.audience).setIssuedAt().setExpirationTime('1h').sign(s.key.privateKey);
    await rejects(s, noJti, /jti/);
  });
});

test('revocation by jti survives a restart', async () => {
  await withDir(async (dir) => {
    const s = await TokenService.open(dir);
    const t = await s.issue({ sub: 'telegram:9', scopes: ['measure'] });
    await s.verify(t.token);
    await s.revoke(t.jti, t.exp);
    await rejects(s, t.token, /revoked/);
    const again = await TokenService.open(dir);
    await rejects(again, t.token, /revoked/);
    await assert.rejects(again.revoke('bad jti with spaces'), /jti/);
  });
});

test('bad issue requests fail with a reason naming the field', async () => {
  await withDir(async (dir) => {
    const s = await TokenService.open(dir);
    await assert.rejects(s.issue({ sub: '', scopes: ['measure'] }), /\bsub is empty\b/);
    await assert.rejects(s.issue({ sub: 'a', scopes: ['root'] }), /unknown scope root/);
    await assert.rejects(s.issue({ sub: 'a', scopes: [] }), /at least one scope/);
    await assert.rejects(s.issue({ sub: 'a', scopes: ['measure'], ttlS: 0 }), /ttl/);
    await assert.rejects(s.issue({ sub: 'a', scopes: ['measure'], ttlS: 10 * 365 * 86400 }), /ttl/);
  });
});

test('TTLs parse from human durations', () => {
  assert.equal(parseTtl('90'), 90);
  assert.equal(parseTtl('15m'), 900);
  assert.equal(parseTtl('12h'), 43200);
  assert.equal(parseTtl('30d'), 2_592_000);
  assert.equal(parseTtl('1w'), 604_800);
  assert.equal(parseTtl(3600), 3600);
  for (const bad of ['', '0', '-5', '1.5h', 'forever', '10x']) assert.equal(parseTtl(bad), undefined, bad);
});

test('token:create may mint only measure/read tokens; admin may mint anything known', () => {
  assert.equal(mayMint(['admin'], ['agent']).ok, true);
  assert.equal(mayMint(['token:create'], ['measure']).ok, true);
  assert.equal(mayMint(['token:create'], ['admin']).ok, false);
  assert.equal(mayMint(['token:create', 'measure'], ['token:create']).ok, false);
  assert.equal(mayMint(['measure'], ['measure']).ok, false);
  assert.equal(mayMint(['admin'], ['superuser']).ok, false);
});

test('mayMint says whether a refusal is the caller lacking power (403) or a bad request (400)', () => {
  const forbidden = (caller: string[], requested: string[]) => {
    const v = mayMint(caller, requested);
    return v.ok ? undefined : v.forbidden;
  };
  assert.equal(forbidden(['token:create'], ['admin']), true);
  assert.equal(forbidden(['measure'], ['measure']), true);
  assert.equal(forbidden(['admin'], ['superuser']), false);
  assert.equal(forbidden(['admin'], []), false);
  assert.equal(forbidden(['token:create'], ['superuser']), false);
});
