/**
 * Bearer-token verification for the MCP endpoint: a hub-issued JWT, checked with jose against
 * the hub's JWKS (algorithm, signature, issuer, audience, expiry), then, when a status check is
 * given, with the hub itself for revocation (token-status.ts), and then for the scope the
 * tools need. Answers what the HTTP layer must send: the AuthInfo the SDK passes to tool
 * handlers, or a 401/403 with an RFC 6750 / RFC 9728 `WWW-Authenticate` challenge.
 */
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { HubTokenStatus } from './token-status.ts';

/** Options of {@link BearerVerifier}. */
export interface BearerVerifierOptions {
  /**
   * Where the hub's public keys come from: the JWKS URL (`…/.well-known/jwks.json`, fetched and
   * cached by jose, refetched when an unknown `kid` shows up) or a key set held in memory.
   * A function giving the URL defers it to the first check (the embedded hub's port is known
   * only once it listens).
   */
  jwks: URL | (() => URL) | JSONWebKeySet;
  /** Required `iss` claim. */
  issuer: string;
  /** Required `aud` claim (any one of them when a list). */
  audience: string | string[];
  /** Scope a token must carry to call the tools. Default `measure`. */
  requiredScope?: string;
  /**
   * Scopes that include every other scope. Default `['admin']`, because the embedded default
   * prints an admin token and people paste it into their MCP client first.
   */
  superScopes?: string[];
  /** Seconds of clock skew tolerated on `exp`/`nbf`. Default 30. */
  clockToleranceSec?: number;
  /**
   * Asks the hub whether it still accepts a token (revocation). Default none: only the
   * signature and claims are checked, fine for keys that are not the hub's.
   */
  status?: Pick<HubTokenStatus, 'check'>;
}

/** A refusal the HTTP layer turns into a response. */
export interface AuthRefusal {
  /** 503 when the hub's keys cannot be fetched: the token may be fine, so no challenge. */
  status: 401 | 403 | 503;
  /** RFC 6750 error code: `invalid_request`, `invalid_token`, `insufficient_scope`; or `temporarily_unavailable`. */
  error: string;
  /** One line, safe to show; goes into `error_description` and the JSON body. */
  description: string;
}

export type AuthOutcome = { ok: true; auth: AuthInfo } | ({ ok: false } & AuthRefusal);

// Ed25519 only: the hub signs with Ed25519, and pinning the algorithm is what stops
// `alg: none` and HS256-with-the-public-key tricks. jose 6 names it 'Ed25519' or 'EdDSA'.
const ALGORITHMS = ['EdDSA', 'Ed25519'];

/** Verifies `Authorization: Bearer …` headers against one hub's keys. */
export class BearerVerifier {
  readonly requiredScope: string;
  readonly issuer: string;
  readonly #jwks: BearerVerifierOptions['jwks'];
  #keys: JWTVerifyGetKey | undefined;
  readonly #audience: string | string[];
  readonly #superScopes: string[];
  readonly #tolerance: number;
  readonly #status: BearerVerifierOptions['status'];

  constructor(options: BearerVerifierOptions) {
    if (!options.issuer) throw new TypeError('BearerVerifier: issuer is required');
    if (!options.audience || (Array.isArray(options.audience) && options.audience.length === 0)) {
      throw new TypeError('BearerVerifier: audience is required');
    }
    this.#jwks = options.jwks;
    this.issuer = options.issuer;
    this.#audience = options.audience;
    this.requiredScope = options.requiredScope ?? 'measure';
    this.#superScopes = options.superScopes ?? ['admin'];
    this.#tolerance = options.clockToleranceSec ?? 30;
    this.#status = options.status;
  }

  /** Checks one Authorization header value (or its absence). Never throws. */
  async verify(header: string | undefined): Promise<AuthOutcome> {
    if (!header) return { ok: false, status: 401, error: 'invalid_request', description: 'missing bearer token' };
    const m = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
    if (!m) return { ok: false, status: 401, error: 'invalid_request', description: "expected 'Authorization: Bearer TOKEN'" };
    const token = m[1]!;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#keySet(), {
        algorithms: ALGORITHMS,
        issuer: this.issuer,
        audience: this.#audience,
        clockTolerance: this.#tolerance,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (keysUnavailable(err)) return { ok: false, status: 503, error: 'temporarily_unavailable', description: 'cannot fetch the hub keys to check the token; try again' };
      return { ok: false, status: 401, error: 'invalid_token', description: reason(err) };
    }
    // Only for tokens that verified: forged ones never reach the hub or the cache.
    const revoked = await this.#status?.check(token, typeof payload.jti === 'string' ? payload.jti : undefined, payload.exp!);
    if (revoked) return { ok: false, ...revoked };
    const scopes = scopesOf(payload);
    const allowed = scopes.includes(this.requiredScope) || scopes.some((s) => this.#superScopes.includes(s));
    if (!allowed) {
      return { ok: false, status: 403, error: 'insufficient_scope', description: `this token lacks the '${this.requiredScope}' scope` };
    }
    return {
      ok: true,
      auth: {
        token,
        clientId: String(payload.sub),
        scopes,
        expiresAt: payload.exp!,
        extra: { sub: payload.sub, ...(payload.jti !== undefined ? { jti: payload.jti } : {}) },
      },
    };
  }

  #keySet(): JWTVerifyGetKey {
    if (this.#keys) return this.#keys;
    const j = this.#jwks;
    const url = typeof j === 'function' ? j() : j;
    this.#keys = url instanceof URL ? createRemoteJWKSet(url, { cooldownDuration: 5_000 }) : createLocalJWKSet(url);
    return this.#keys;
  }
}

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750 §3), pointing at the protected-resource
 * metadata (RFC 9728 §5.1) so an MCP client can discover how to get a token.
 */
export function bearerChallenge(refusal: AuthRefusal | undefined, resourceMetadataUrl: string, scope: string): string {
  const parts = [`resource_metadata="${resourceMetadataUrl}"`];
  if (refusal) {
    parts.unshift(`error="${refusal.error}"`, `error_description="${quote(refusal.description)}"`);
    parts.push(`scope="${scope}"`);
  }
  return `Bearer ${parts.join(', ')}`;
}

/** `scope` as RFC 8693 has it (a space-separated string); a JSON array is accepted too. */
function scopesOf(payload: JWTPayload): string[] {
  const s = payload.scope ?? payload.scp;
  if (typeof s === 'string') return s.split(' ').filter(Boolean);
  if (Array.isArray(s)) return s.filter((x): x is string => typeof x === 'string');
  return [];
}

/** The key set could not be fetched (hub down, timeout, not a JWKS): not the token's fault. */
function keysUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError && err.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(err.message)) return true;
  // fetch() itself failed (connection refused, DNS): undici throws a TypeError.
  return err instanceof TypeError;
}

/** A one-line reason that says what was wrong without echoing the token. */
function reason(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is not signed with Ed25519';
  if (err instanceof errors.JWKSNoMatchingKey) return 'the token was not signed by a key of this hub';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the token is malformed';
  if (err instanceof errors.JOSEError) return `the token is not valid (${err.code})`;
  return 'the token cannot be checked';
}

function quote(s: string): string {
  return s.replace(/["\\]/g, "'");
}
