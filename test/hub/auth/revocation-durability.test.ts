// Durable first, then applied: a revocation that cannot be written (full or read-only data
// directory, on a real tmpfs) answers 503 in one line and leaves the token valid; a retry once
// the disk has room writes it, and it survives a restart of the hub. The signing key likewise.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenService } from '../../../hub/auth/token-service.ts';
import { mountTmpfs, tmpfsSkipReason } from '../../helpers/tmpfs.ts';
import { startTestHub } from '../../helpers/test-hub.ts';
import { openSqliteStore } from '../../../hub/store/sqlite-store.ts';

const whoami = async (url: string, token: string): Promise<number> => {
  const res = await fetch(url + '/v1/whoami', { headers: { authorization: `Bearer ${token}` } });
  await res.body?.cancel();
  return res.status;
};

const revoke = async (url: string, admin: string, jti: string): Promise<{ status: number; message: string; retryAfter: string | null }> => {
  const res = await fetch(`${url}/v1/tokens/${jti}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  const body = (await res.json()) as { error?: { message: string } };
  return { status: res.status, message: body.error?.message ?? '', retryAfter: res.headers.get('retry-after') };
};

test('a revocation on a full disk answers 503 in one line, changes nothing, and a retry with room completes it for good', async (t) => {
  const skip = tmpfsSkipReason();
  if (skip) return t.skip(skip);
  const fs = await mountTmpfs(512);
  let hub: Awaited<ReturnType<typeof startTestHub>> | undefined;
  try {
    hub = await startTestHub({ dataDir: fs.dir });
    const admin = await hub.token(['admin']);
    const user = await hub.hub.tokens.issue({ sub: 'telegram:7', scopes: ['measure'] });
    await fs.fill();

    for (let attempt = 1; attempt <= 2; attempt++) {
      const r = await revoke(hub.url, admin, user.jti);
      assert.equal(r.status, 503, `attempt ${attempt}: a failed write is a server-side failure, not 200 or 400`);
      assert.match(r.message, /^cannot record the revocation: no space left on the device \(ENOSPC\); nothing was changed/);
      assert.ok(!r.message.includes('\n') && !r.message.includes(fs.dir), `one line, no path: ${r.message}`);
      assert.equal(r.retryAfter, '5');
      assert.equal(await whoami(hub.url, user.token), 200, `attempt ${attempt}: the token still works: the revocation was not recorded`);
    }

    await fs.free();
    assert.equal((await revoke(hub.url, admin, user.jti)).status, 200, 'with room again, the retry writes it');
    assert.equal(await whoami(hub.url, user.token), 401, 'and the token is refused');

    await hub.hub.close();
    hub = await startTestHub({ dataDir: fs.dir });
    assert.equal(await whoami(hub.url, user.token), 401, 'after a restart it stays refused');
  } finally {
    // A failed assertion must not leave a hub listening (the test would never end).
    await hub?.close();
    await fs.close();
  }
});

test('a revocation on a read-only data directory answers 503 (EROFS); after remounting read-write the retry completes it', async (t) => {
  const skip = tmpfsSkipReason();
  if (skip) return t.skip(skip);
  const fs = await mountTmpfs(512);
  // The monitor database lives elsewhere: a file SQLite holds open for writing makes a
  // read-only remount of its file system fail ("mount point is busy").
  const storeDir = await mkdtemp(join(tmpdir(), 'mp-store-'));
  const monitors = () => ({ store: openSqliteStore(storeDir) });
  let hub: Awaited<ReturnType<typeof startTestHub>> | undefined;
  try {
    hub = await startTestHub({ dataDir: fs.dir, monitors: monitors() });
    const admin = await hub.token(['admin']);
    const first = await hub.hub.tokens.issue({ sub: 'telegram:8', scopes: ['measure'] });
    const second = await hub.hub.tokens.issue({ sub: 'telegram:9', scopes: ['measure'] });
    // The revocation file exists already: the append path, not only its creation, is covered.
    assert.equal((await revoke(hub.url, admin, first.jti)).status, 200);
    fs.remount(true);

    const r = await revoke(hub.url, admin, second.jti);
    assert.equal(r.status, 503);
    assert.match(r.message, /^cannot record the revocation: the file system is read-only \(EROFS\)/);
    assert.equal(await whoami(hub.url, second.token), 200, 'not revoked in memory either');

    fs.remount(false);
    assert.equal((await revoke(hub.url, admin, second.jti)).status, 200);
    await hub.hub.close();
    hub = await startTestHub({ dataDir: fs.dir, monitors: monitors() });
    assert.equal(await whoami(hub.url, first.token), 401);
    assert.equal(await whoami(hub.url, second.token), 401, 'the retried revocation was written, and whole');
  } finally {
    // A failed assertion must not leave a hub listening (the test would never end).
    await hub?.close();
    await fs.close();
    await rm(storeDir, { recursive: true, force: true });
  }
});

test('creating the signing key on a full disk fails in one line and leaves no empty key behind: with room again the hub starts', async (t) => {
  const skip = tmpfsSkipReason();
  if (skip) return t.skip(skip);
  const fs = await mountTmpfs(512);
  try {
    await fs.fill();
    const err = await TokenService.open(fs.dir).then(() => assert.fail('the key cannot be written'), (e: Error) => e);
    // An empty key file would make every later start fail ("the signing key … is empty").
    assert.deepEqual((await readdir(fs.dir)).filter((f) => f !== 'filler'), [], 'no half-written key, no temporary file');
    assert.match(err.message, /^cannot record the signing key in .*: no space left on the device \(ENOSPC\)/);
    assert.ok(!err.message.includes('\n'));
    await fs.free();
    const hub = await startTestHub({ dataDir: fs.dir });
    const token = await hub.token(['measure']);
    assert.equal(await whoami(hub.url, token), 200);
    await hub.close();
  } finally {
    await fs.close();
  }
});
