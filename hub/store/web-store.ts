/**
 * The web UI's durable state in the hub's SQLite file (`<dataDir>/meshprobe.db`, schema step 2
 * of migrations.ts): sign-in sessions, personal API tokens and share links. Its own connection
 * to the file (WAL, `synchronous=FULL`), so every write has committed and fsynced before the
 * method returns: a session exists before its cookie is set, a share before its URL is shown.
 */
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { migrate, STORE_FILE_NAME } from './sqlite-store.ts';
import { storeError } from './store-error.ts';

/** A signed-in browser: the jti of the short-lived token its cookie holds (kept across renewals). */
export interface WebSession {
  id: string;
  subject: string;
  scopes: string[];
  /** How the user signed in: `guest`, `oidc`, `github`. */
  kind: string;
  /** ms since the epoch. */
  createdAt: number;
  /** The session ends then, however often its token was renewed. */
  expiresAt: number;
}

/** A personal API token a signed-in user minted (the token itself is never stored). */
export interface PersonalToken {
  jti: string;
  owner: string;
  label: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** A share link: a finished measurement's events as the sharer's browser received them. */
export interface Share {
  id: string;
  owner: string;
  command: string;
  /** The events, as JSON text (an array). */
  events: string;
  createdAt: number;
  expiresAt: number;
}

export class WebStore {
  readonly #db: DatabaseSync;
  readonly #file: string;

  private constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.#file = file;
  }

  /** Opens the store of `dataDir` (bringing the schema up to date); MP_ERR_STORE when it cannot. */
  static open(dataDir: string): WebStore {
    const file = join(dataDir, STORE_FILE_NAME);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file);
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      migrate(db, file);
      return new WebStore(db, file);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // the first error is the one to report
      }
      throw storeError(file, 'opening', err);
    }
  }

  #run<T>(doing: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw storeError(this.#file, doing, err);
    }
  }

  /**
   * The hub's secret for CSRF tokens: made once (32 random bytes) and kept in the store, so that
   * the pages open in browsers keep working across a restart of the hub.
   */
  secret(): Buffer {
    return this.#run('reading the web secret', () => {
      this.#db.prepare("INSERT INTO meta (key, value) VALUES ('web_secret', ?) ON CONFLICT (key) DO NOTHING").run(randomBytes(32));
      const r = this.#db.prepare("SELECT value FROM meta WHERE key = 'web_secret'").get() as { value: Uint8Array };
      return Buffer.from(r.value);
    });
  }

  addSession(s: WebSession): void {
    this.#run('storing a web session', () =>
      this.#db
        .prepare('INSERT INTO web_sessions (id, subject, scopes, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(s.id, s.subject, s.scopes.join(' '), s.kind, s.createdAt, s.expiresAt),
    );
  }

  /** The session, or undefined when unknown or past its end (`now`, ms). */
  session(id: string, now: number): WebSession | undefined {
    const r = this.#run('reading a web session', () => this.#db.prepare('SELECT * FROM web_sessions WHERE id = ? AND expires_at > ?').get(id, now)) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      id: String(r['id']),
      subject: String(r['subject']),
      scopes: String(r['scopes']).split(' ').filter(Boolean),
      kind: String(r['kind']),
      createdAt: Number(r['created_at']),
      expiresAt: Number(r['expires_at']),
    };
  }

  removeSession(id: string): void {
    this.#run('removing a web session', () => this.#db.prepare('DELETE FROM web_sessions WHERE id = ?').run(id));
  }

  addToken(t: PersonalToken): void {
    this.#run('storing a personal token', () =>
      this.#db
        .prepare('INSERT INTO personal_tokens (jti, owner, label, scopes, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)')
        .run(t.jti, t.owner, t.label, t.scopes.join(' '), t.createdAt, t.expiresAt),
    );
  }

  /** The owner's tokens, newest first, at most `limit`. */
  tokens(owner: string, limit = 200): PersonalToken[] {
    const rows = this.#run('listing personal tokens', () =>
      this.#db.prepare('SELECT * FROM personal_tokens WHERE owner = ? ORDER BY created_at DESC LIMIT ?').all(owner, limit),
    ) as Record<string, unknown>[];
    return rows.map(tokenOf);
  }

  /** Counts the owner's tokens that are neither revoked nor expired. */
  liveTokens(owner: string, now: number): number {
    const r = this.#run('counting personal tokens', () =>
      this.#db.prepare('SELECT count(*) AS n FROM personal_tokens WHERE owner = ? AND revoked_at IS NULL AND expires_at > ?').get(owner, now),
    ) as { n: number };
    return r.n;
  }

  token(jti: string): PersonalToken | undefined {
    const r = this.#run('reading a personal token', () => this.#db.prepare('SELECT * FROM personal_tokens WHERE jti = ?').get(jti)) as Record<string, unknown> | undefined;
    return r ? tokenOf(r) : undefined;
  }

  markRevoked(jti: string, at: number): void {
    this.#run('revoking a personal token', () => this.#db.prepare('UPDATE personal_tokens SET revoked_at = ? WHERE jti = ? AND revoked_at IS NULL').run(at, jti));
  }

  addShare(s: Share): void {
    this.#run('storing a share link', () =>
      this.#db.prepare('INSERT INTO shares (id, owner, command, events, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(s.id, s.owner, s.command, s.events, s.createdAt, s.expiresAt),
    );
  }

  /** The share, or undefined when unknown or expired. */
  share(id: string, now: number): Share | undefined {
    const r = this.#run('reading a share link', () => this.#db.prepare('SELECT * FROM shares WHERE id = ? AND expires_at > ?').get(id, now)) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return { id: String(r['id']), owner: String(r['owner']), command: String(r['command']), events: String(r['events']), createdAt: Number(r['created_at']), expiresAt: Number(r['expires_at']) };
  }

  /** Deletes expired sessions and shares, and personal-token rows long past expiry. */
  sweep(now: number): void {
    this.#run('removing expired web state', () => {
      this.#db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?').run(now);
      this.#db.prepare('DELETE FROM shares WHERE expires_at <= ?').run(now);
      this.#db.prepare('DELETE FROM personal_tokens WHERE expires_at <= ?').run(now - 30 * 86_400_000);
    });
  }

  close(): void {
    try {
      this.#db.close();
    } catch {
      // closing twice is fine
    }
  }
}

function tokenOf(r: Record<string, unknown>): PersonalToken {
  return {
    jti: String(r['jti']),
    owner: String(r['owner']),
    label: String(r['label']),
    scopes: String(r['scopes']).split(' ').filter(Boolean),
    createdAt: Number(r['created_at']),
    expiresAt: Number(r['expires_at']),
    revokedAt: r['revoked_at'] === null ? null : Number(r['revoked_at']),
  };
}
