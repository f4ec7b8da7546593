/**
 * A small tmpfs mounted on a fresh directory, for tests of full and read-only data directories
 * (real ENOSPC and EROFS from the kernel, no fake file system). Needs root; `tmpfsSkipReason()`
 * says why not otherwise, for t.skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let cached: string | null | undefined;

/** null when this process can mount a tmpfs, else why not. */
export function tmpfsSkipReason(): string | null {
  if (cached !== undefined) return cached;
  if (process.getuid?.() !== 0) return (cached = 'mounting a tmpfs needs root (the full/read-only disk tests run as root)');
  const dir = join(tmpdir(), `mp-tmpfs-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    cached = null;
  } catch (err) {
    cached = `cannot mount a tmpfs here: ${String((err as Error).message).split('\n')[0]}`;
  } finally {
    execFileSync('rmdir', [dir]);
  }
  return cached;
}

export interface Tmpfs {
  dir: string;
  /** Writes a filler file until the kernel says ENOSPC. */
  fill(): Promise<void>;
  /** Removes the filler. */
  free(): Promise<void>;
  /** Remounts read-only (`ro: true`) or read-write. */
  remount(ro: boolean): void;
  /** Unmounts and removes the directory. */
  close(): Promise<void>;
}

/** Mounts a tmpfs of `sizeKiB` on a new temporary directory. */
export async function mountTmpfs(sizeKiB = 512): Promise<Tmpfs> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  const filler = join(dir, 'filler');
  return {
    dir,
    async fill() {
      const fd = await open(filler, 'a');
      try {
        for (const size of [65_536, 4096, 1]) {
          const chunk = Buffer.alloc(size, 0x78);
          for (;;) {
            try {
              await fd.write(chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        await fd.close();
      }
    },
    async free() {
      await rm(filler, { force: true });
    },
    remount(ro) {
      execFileSync('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, dir], { stdio: 'pipe' });
    },
    async close() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      await rmdir(dir);
    },
  };
}
