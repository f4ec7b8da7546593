/**
 * Revoked token ids (`jti`), persisted in the data directory so a revocation survives restarts.
 * One JSON object per line, appended; entries whose token has expired anyway are dropped when
 * the file is loaded, so it cannot grow without bound.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** File name inside the data directory. */
export const REVOCATION_FILE = 'revoked.jsonl';

export class RevocationList {
  readonly #file: string | undefined;
  readonly #now: () => number;
  /** jti → expiry (seconds since the epoch); kept until the token would have expired. */
  readonly #revoked = new Map<string, number>();

  /** `file` undefined keeps revocations in memory only (tests, ephemeral hubs). */
  constructor(file?: string, now: () => number = Date.now) {
    this.#file = file;
    this.#now = now;
  }

  /** Reads the persisted list, dropping entries of tokens that have expired. */
  async load(): Promise<void> {
    if (!this.#file) return;
    let text = '';
    try {
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
    if (dropped > 0) await this.#rewrite();
  }

  /** True when `jti` was revoked. */
  has(jti: string): boolean {
    return this.#revoked.has(jti);
  }

  /** Revokes `jti`; `exp` (seconds) bounds how long the entry must be kept. */
  async revoke(jti: string, exp: number): Promise<void> {
    if (this.#revoked.has(jti)) return;
    this.#revoked.set(jti, exp);
    if (!this.#file) return;
    await mkdir(dirname(this.#file), { recursive: true, mode: 0o700 });
    await appendFile(this.#file, JSON.stringify({ jti, exp }) + '\n', { mode: 0o600 });
  }

  get size(): number {
    return this.#revoked.size;
  }

  async #rewrite(): Promise<void> {
    if (!this.#file) return;
    const lines = [...this.#revoked].map(([jti, exp]) => JSON.stringify({ jti, exp }) + '\n').join('');
    await writeFile(this.#file, lines, { mode: 0o600 });
  }
}
