/**
 * Revoked token ids (`jti`), persisted in the data directory so a revocation survives restarts.
 * One JSON object per line, appended; entries whose token has expired anyway are dropped when
 * the file is loaded, so it cannot grow without bound.
 *
 * Another process may append to the file too (`meshprobe token revoke` on the hub's machine,
 * without a hub URL). refresh() picks that up: it stats the file and re-reads it only when its
 * size, mtime or inode changed. The token service calls it before every verification, so a
 * revocation counts from the next request on, whatever the filesystem (an inotify watch misses
 * changes on NFS and bind mounts, and needs a lifecycle of its own); one stat costs microseconds.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { appendDurable, writeFileAtomic } from './durable-file.ts';
import { StateWriteError } from '../../shared/model/errors.ts';
import type { RevocationStore } from './revocation-store.ts';

/** File name inside the data directory. */
export const REVOCATION_FILE = 'revoked.jsonl';

/** The file-backed {@link RevocationStore} of a single hub. */
export class RevocationList implements RevocationStore {
  readonly #file: string | undefined;
  readonly #now: () => number;
  /** jti → expiry (seconds since the epoch); kept until the token would have expired. */
  readonly #revoked = new Map<string, number>();
  /** size:mtime:inode of the file when last read; '' before the first read. */
  #seen = '';
  #refreshing: Promise<void> | undefined;
  /** Appends run one at a time: a failed one cuts the file back to where it began. */
  #writing: Promise<unknown> = Promise.resolve();

  /** `file` undefined keeps revocations in memory only (tests, ephemeral hubs). */
  constructor(file?: string, now: () => number = Date.now) {
    this.#file = file;
    this.#now = now;
  }

  /**
   * Reads the persisted list, dropping entries of tokens that have expired (and rewriting the
   * file without them unless `compact` is false: refresh() must not race another writer).
   */
  async load(compact = true): Promise<void> {
    if (!this.#file) return;
    let text = '';
    try {
      this.#seen = signature(await stat(this.#file));
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const nowS = this.#now() / 1000;
    let dropped = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const { jti, exp } = JSON.parse(line) as { jti: string; exp: number };
        if (typeof jti === 'string' && typeof exp === 'number' && exp > nowS) this.#revoked.set(jti, exp);
        else dropped++;
      } catch {
        dropped++;
      }
    }
    // Compaction is housekeeping: on a full or read-only disk the file stays as it is (valid).
    if (dropped > 0 && compact) await this.#rewrite().catch(() => {});
  }

  /**
   * Re-reads the file when another process changed it since the last read; entries are only
   * ever added (a revocation cannot be undone). Concurrent calls share one stat. Never throws:
   * an unreadable file leaves the list as it was.
   */
  refresh(): Promise<void> {
    if (!this.#file) return Promise.resolve();
    this.#refreshing ??= this.#refreshNow().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshNow(): Promise<void> {
    try {
      const now = signature(await stat(this.#file!));
      if (now === this.#seen) return;
      await this.load(false);
    } catch {
      // ENOENT (nothing revoked yet) or unreadable: keep what we have.
    }
  }

  /** True when `jti` was revoked. */
  has(jti: string): boolean {
    return this.#revoked.has(jti);
  }

  /**
   * Revokes `jti`; `exp` (seconds) bounds how long the entry must be kept. Durable first: the
   * entry is appended and fsynced before the token is refused, so a failed write (full or
   * read-only disk) rejects with StateWriteError and changes nothing; a retry writes it.
   */
  async revoke(jti: string, exp: number): Promise<void> {
    if (this.#revoked.has(jti)) return;
    const file = this.#file;
    if (file) {
      const write = this.#writing.then(async () => {
        if (this.#revoked.has(jti)) return;
        try {
          await mkdir(dirname(file), { recursive: true, mode: 0o700 });
          await appendDurable(file, JSON.stringify({ jti, exp }) + '\n');
        } catch (err) {
          throw new StateWriteError('the revocation', err);
        }
      });
      this.#writing = write.catch(() => {});
      await write;
    }
    this.#revoked.set(jti, exp);
  }

  get size(): number {
    return this.#revoked.size;
  }

  async #rewrite(): Promise<void> {
    if (!this.#file) return;
    const lines = [...this.#revoked].map(([jti, exp]) => JSON.stringify({ jti, exp }) + '\n').join('');
    await writeFileAtomic(this.#file, lines, { mode: 0o600 });
  }
}

function signature(s: { size: number; mtimeMs: number; ino: number }): string {
  return `${s.size}:${s.mtimeMs}:${s.ino}`;
}
