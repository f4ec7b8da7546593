// `npm start` on a data directory it cannot write (read-only or full, a real tmpfs) refuses to
// start in one line with exit status 2, before it binds its port: the port is held by this test
// meanwhile, so a launcher that bound first would say "address in use" instead.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenService } from '../../hub/auth/token-service.ts';
import { mountTmpfs, tmpfsSkipReason, type Tmpfs } from '../helpers/tmpfs.ts';
import { node24, root } from '../helpers/launcher-process.ts';

async function startOn(dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Hold a port: the launcher is told to listen there. It must refuse before it gets that far.
  const holder = createServer();
  holder.listen(0, '127.0.0.1');
  await once(holder, 'listening');
  const port = (holder.address() as AddressInfo).port;
  try {
    const proc = spawn(node24, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], {
      cwd: root,
      env: { ...process.env, MESHPROBE_LISTEN: `127.0.0.1:${port}`, MESHPROBE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const [code] = (await once(proc, 'close')) as [number | null];
    return { code, stdout, stderr };
  } finally {
    holder.close();
  }
}

async function withState(body: (fs: Tmpfs) => Promise<void>): Promise<void> {
  const fs = await mountTmpfs(512);
  try {
    // A data directory that was in use: the signing key is there already.
    await TokenService.open(fs.dir);
    await body(fs);
  } finally {
    await fs.close();
  }
}

for (const kind of ['read-only', 'full'] as const) {
  test(`npm start on a ${kind} data directory: one line on stderr, exit status 2, port never bound`, async (t) => {
    const skip = tmpfsSkipReason();
    if (skip) return t.skip(skip);
    await withState(async (fs) => {
      if (kind === 'read-only') fs.remount(true);
      else await fs.fill();
      const r = await startOn(fs.dir);
      assert.equal(r.code, 2, `exit status; stderr: ${r.stderr}`);
      assert.equal(r.stdout, '', 'no banner: it never listened');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `one line, no stack trace: ${r.stderr}`);
      const reason = kind === 'read-only' ? /the file system is read-only \(EROFS\)/ : /no space left on the device \(ENOSPC\)/;
      assert.match(lines[0]!, new RegExp(`^meshprobe: the data directory ${fs.dir} is not writable: ${reason.source}`));
    });
  });
}
