import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { run } from '../../bin/cli.ts';
import { runTokenCommand, TOKEN_USAGE } from '../../bin/token-command.ts';
import { TokenService } from '../../hub/auth/token-service.ts';
import { withTestHub } from '../helpers/test-hub.ts';
import { startNode } from '../helpers/node-process.ts';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
}

test('token create signs with the data directory key; the hub accepts the token', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-tokcli-'));
  try {
    const a = io();
    const code = await runTokenCommand(['create', '--sub', 'agent:lax1', '--scope', 'agent', '--ttl', '2h', '--data-dir', dir], { env: {} }, a.io);
    assert.equal(code, 0, a.err.join(''));
    const token = a.out.join('').trim();
    const claims = await (await TokenService.open(dir)).verify(token);
    assert.equal(claims.sub, 'agent:lax1');
    assert.deepEqual(claims.scopes, ['agent']);
    assert.equal(claims.exp - claims.iat, 7200);
    const bad = io();
    assert.equal(await runTokenCommand(['create', '--sub', 'x', '--ttl', 'soon', '--data-dir', dir], { env: {} }, bad.io), 2);
    assert.match(bad.err.join(''), /--ttl soon is not a duration/);
    const noSub = io();
    assert.equal(await runTokenCommand(['create'], { env: { MESHPROBE_DATA_DIR: dir } }, noSub.io), 2);
    assert.match(noSub.err[0]!, /give the subject with --sub/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('token create and revoke through a hub with an admin token; a user token is refused', async () => {
  await withTestHub({}, async (t) => {
    const { hub } = t;
    const admin = await t.token(['admin']);
    const a = io();
    assert.equal(await runTokenCommand(['create', '--sub', 'telegram:3', '--json'], { hub: hub.url, token: admin, env: {} }, a.io), 0, a.err.join(''));
    const minted = JSON.parse(a.out.join('')) as { token: string; jti: string };
    assert.equal((await hub.tokens.verify(minted.token)).sub, 'telegram:3');
    const r = io();
    assert.equal(await runTokenCommand(['revoke', minted.jti], { env: { MESHPROBE_HUB: hub.url, MESHPROBE_TOKEN: admin } }, r.io), 0, r.err.join(''));
    await assert.rejects(hub.tokens.verify(minted.token), /revoked/);
    const u = io();
    assert.equal(await runTokenCommand(['create', '--sub', 'telegram:4'], { hub: hub.url, token: minted.token, env: {} }, u.io), 1);
    assert.match(u.err.join(''), /revoked/);
  });
});

test('token revoke without a hub (another process, the data directory) reaches a running hub without a restart', async () => {
  await withTestHub({}, async ({ hub }) => {
    const user = await hub.tokens.issue({ sub: 'telegram:9', scopes: ['read'] });
    const whoami = () => fetch(`${hub.url}/v1/whoami`, { headers: { authorization: `Bearer ${user.token}` } });
    assert.equal((await whoami()).status, 200);
    const cli = startNode('bin/meshprobe.js', ['token', 'revoke', '--data-dir', hub.dataDir, user.jti], { MESHPROBE_HUB: '', MESHPROBE_DATA_DIR: '' });
    assert.equal(await cli.exited, 0, cli.lines.join('\n'));
    assert.ok(cli.lines.includes(`revoked ${user.jti}`), cli.lines.join('\n'));
    const res = await whoami();
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /revoked/);
  });
});

test('meshprobe token alone prints the create/revoke usage (what token --help prints), with or without a hub', async () => {
  const help = io();
  assert.equal(await run({ argv: ['token', '--help'], env: {}, ...help.io, interrupt: new AbortController().signal }), 0);
  assert.equal(help.out.join(''), `${TOKEN_USAGE}\n`);
  // A hub nobody listens on: the usage must not depend on reaching it.
  for (const argv of [['token'], ['--hub', 'http://127.0.0.1:1', 'token']]) {
    const bare = io();
    assert.equal(await run({ argv, env: {}, ...bare.io, interrupt: new AbortController().signal }), 2, argv.join(' '));
    assert.equal(bare.out.join(''), '');
    assert.equal(bare.err.join(''), `meshprobe token: give an action: create or revoke\n${TOKEN_USAGE}\n`, argv.join(' '));
  }
});
