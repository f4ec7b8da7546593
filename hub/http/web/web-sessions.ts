/**
 * Browser sessions of the web UI (issue 18 item 2): an httpOnly, SameSite=Lax cookie (Secure
 * when the hub's public URL is https) holding a short-lived hub token, renewed by the page while
 * the session lasts; a CSRF token bound to the session for every state-changing request.
 *
 * The session's id is the jti of its token and stays the same across renewals, so revoking it
 * (sign-out) ends every copy. The CSRF token is an HMAC of that id under a secret kept in the
 * store, so it survives a restart of the hub and needs no state per session.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TokenClaims, TokenService } from '../../auth/token-service.ts';
import type { WebSession, WebStore } from '../../store/web-store.ts';

/** The cookie that holds the session's token. */
export const SESSION_COOKIE = 'mp_session';
/** The header the page sends the CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

/** Options of {@link WebSessions}. */
export interface WebSessionOptions {
  tokens: TokenService;
  /** The store, opened on first use. */
  store: () => WebStore;
  /** Set `Secure` on cookies (the hub is reached over https). Default false. */
  secure?: boolean;
  /** Lifetime of the token in the cookie, s; the page renews it at half-life. Default 900 (15 min). */
  tokenTtlS?: number;
  /** How long a signed-in session lasts at most, ms. Default 7 days. */
  maxAgeMs?: number;
  /** How long a guest session lasts at most, ms. Default 8 hours. */
  guestMaxAgeMs?: number;
  /** ms clock. Default Date.now. */
  now?: () => number;
}

/** The session a request's cookie stands for. */
export interface CookieSession {
  token: string;
  claims: TokenClaims;
  /** The stored web session; absent for a pasted token, which is never renewed. */
  session?: WebSession;
}

export class WebSessions {
  readonly #o: WebSessionOptions;
  readonly #secret: () => Buffer;
  readonly #now: () => number;

  /** `secret`: the CSRF secret (read on first use); default a random one for this process. */
  constructor(o: WebSessionOptions, secret?: () => Buffer) {
    this.#o = o;
    let own: Buffer | undefined;
    this.#secret = secret ?? (() => (own ??= randomBytes(32)));
    this.#now = o.now ?? Date.now;
  }

  get secure(): boolean {
    return this.#o.secure ?? false;
  }

  /** The CSRF token of a session id. */
  csrfFor(jti: string): string {
    return createHmac('sha256', this.#secret()).update(`csrf:${jti}`).digest('base64url');
  }

  /** Whether the request carries the CSRF token of `jti`. */
  csrfOk(req: IncomingMessage, jti: string): boolean {
    const got = req.headers[CSRF_HEADER];
    if (typeof got !== 'string') return false;
    const want = Buffer.from(this.csrfFor(jti));
    const have = Buffer.from(got);
    return have.length === want.length && timingSafeEqual(have, want);
  }

  /** The verified session of the request's cookie, or undefined (no cookie, expired, revoked). */
  async fromRequest(req: IncomingMessage): Promise<CookieSession | undefined> {
    const token = readCookie(req, SESSION_COOKIE);
    if (!token) return undefined;
    let claims: TokenClaims;
    try {
      claims = await this.#o.tokens.verify(token);
    } catch {
      return undefined;
    }
    const session = this.#o.store().session(claims.jti, this.#now());
    return session ? { token, claims, session } : { token, claims };
  }

  /** Starts a session: stores it, mints its first token, sets the cookie. */
  async signIn(res: ServerResponse, who: { subject: string; scopes: string[]; kind: string }): Promise<WebSession> {
    const now = this.#now();
    const maxAge = who.kind === 'guest' ? (this.#o.guestMaxAgeMs ?? 8 * 3_600_000) : (this.#o.maxAgeMs ?? 7 * 86_400_000);
    const session: WebSession = { id: randomUUID(), subject: who.subject, scopes: who.scopes, kind: who.kind, createdAt: now, expiresAt: now + maxAge };
    // Durable first: the cookie names a session that exists.
    this.#o.store().addSession(session);
    await this.#setToken(res, session);
    return session;
  }

  /** Mints a fresh token for the session when its cookie's is past half-life; true when renewed. */
  async renew(res: ServerResponse, s: CookieSession): Promise<boolean> {
    if (!s.session) return false;
    const ttl = this.#o.tokenTtlS ?? 900;
    const left = s.claims.exp - this.#now() / 1000;
    if (left > ttl / 2) return false;
    await this.#setToken(res, s.session);
    return true;
  }

  /** Ends the session: revokes its id (every renewal of its token) and clears the cookie. */
  async signOut(res: ServerResponse, s: CookieSession | undefined): Promise<void> {
    if (s?.session) {
      await this.#o.tokens.revoke(s.session.id, Math.ceil(s.session.expiresAt / 1000));
      this.#o.store().removeSession(s.session.id);
    }
    appendCookie(res, this.#cookie('', 0));
  }

  /** Sets a pasted token (verified by the caller) as the cookie, until the token expires. */
  usePastedToken(res: ServerResponse, token: string, claims: TokenClaims): void {
    appendCookie(res, this.#cookie(token, Math.max(0, Math.floor(claims.exp - this.#now() / 1000))));
  }

  async #setToken(res: ServerResponse, session: WebSession): Promise<void> {
    const ttl = Math.max(1, Math.min(this.#o.tokenTtlS ?? 900, Math.floor((session.expiresAt - this.#now()) / 1000)));
    const issued = await this.#o.tokens.issue({ sub: session.subject, scopes: session.scopes, ttlS: ttl, jti: session.id });
    appendCookie(res, this.#cookie(issued.token, ttl));
  }

  #cookie(value: string, maxAgeS: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeS}; HttpOnly; SameSite=Lax${this.secure ? '; Secure' : ''}`;
  }
}

/** One cookie of the request, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Adds a Set-Cookie header, keeping any set before. */
export function appendCookie(res: ServerResponse, cookie: string): void {
  const prev = res.getHeader('set-cookie');
  const list = prev === undefined ? [] : Array.isArray(prev) ? prev : [String(prev)];
  res.setHeader('set-cookie', [...list, cookie]);
}
