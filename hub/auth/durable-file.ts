/**
 * Durable writes of the hub's state files (design §8: durable first, then apply). A write is on
 * disk, file and directory entry fsynced, before the caller acts on it; when it fails the
 * caller gets a StateWriteError whose one-line message names the OS reason but not the path,
 * and the file is as it was, so a retry starts from a clean state.
 */
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { StateWriteError } from '../../shared/model/errors.ts';

/** fsyncs a directory so that a created or renamed entry in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

/**
 * Appends `text` to `file` (created with `mode` when missing) and fsyncs it. On failure the
 * file is cut back to its old length, so a half-written line never prefixes the next append.
 */
export async function appendDurable(file: string, text: string, mode = 0o600): Promise<void> {
  const fd = await open(file, 'a', mode);
  let size = 0;
  try {
    size = (await fd.stat()).size;
    await fd.writeFile(text);
    await fd.sync();
  } catch (err) {
    await fd.truncate(size).catch(() => {});
    throw err;
  } finally {
    await fd.close().catch(() => {});
  }
  // A new file's directory entry must be durable too; cheap enough to do on every append.
  await syncDir(dirname(file));
}

/**
 * Writes `text` to `file` atomically: a temporary file in the same directory, fsynced, then
 * renamed over `file` (or, with `exclusive`, linked to it, which fails with EEXIST when
 * `file` exists: exclusive create that never shows a half-written file), then the directory
 * fsynced. The temporary file is removed whatever happens.
 */
export async function writeFileAtomic(file: string, text: string, o: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomUUID()}.tmp`);
  try {
    const fd = await open(tmp, 'wx', o.mode ?? 0o600);
    try {
      await fd.writeFile(text);
      await fd.sync();
    } finally {
      await fd.close();
    }
    if (o.exclusive) await linkOrCopy(tmp, file, text, o.mode ?? 0o600);
    else await rename(tmp, file);
    await syncDir(dirname(file));
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/**
 * link(2), or on a file system without hard links an exclusive create written and fsynced in
 * place (a crash may then leave a short file, which readers already treat as absent).
 */
async function linkOrCopy(tmp: string, file: string, text: string, mode: number): Promise<void> {
  try {
    await link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    const fd = await open(file, 'wx', mode);
    try {
      await fd.writeFile(text);
      await fd.sync();
    } finally {
      await fd.close();
    }
  }
}

/**
 * Checks that `dir` (created when missing, mode 0700) takes a durable write: a small file
 * written, fsynced, renamed and removed. Rejects with StateWriteError on a read-only or full
 * file system, so a launcher can refuse to start before it binds its port.
 */
export async function checkWritableDir(dir: string): Promise<void> {
  const probe = join(dir, '.write-check');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // A few KiB: a file system with a little room left for metadata but none for data fails here.
    await writeFileAtomic(probe, 'x'.repeat(4096));
    await unlink(probe);
  } catch (err) {
    await unlink(probe).catch(() => {});
    throw new StateWriteError('state in the data directory', err);
  }
}
