/**
 * Mints and verifies the hub's JWTs (design §8). Verification pins the algorithm to EdDSA, checks
 * the signature against the hub's own key (a token signed by any other key, or with `alg: none`,
 * or HS256 keyed with our public key, fails), then issuer, audience, expiry and revocation.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, errors as joseErrors, jwtVerify, type JWK } from 'jose';
import { subjectProblem } from '../../shared/wire/delegated-subject.ts';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '../../shared/wire/token-audience.ts';
import { RevocationList, REVOCATION_FILE } from './revocation-list.ts';
import type { RevocationStore } from './revocation-store.ts';
import { KNOWN_SCOPES, parseScopes } from './scopes.ts';
import { SIGNING_ALG, loadOrCreateSigningKey, type SigningKey } from './signing-key.ts';

/** Lifetime of a token when the request names none: one day. */
export const DEFAULT_TTL_S = 86_400;
/** Longest lifetime the hub mints: one year. Also how long a bare-jti revocation is kept. */
export const MAX_TTL_S = 366 * 86_400;

/** The verified claims of a token. */
export interface TokenClaims {
  sub: string;
  scopes: string[];
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export interface IssuedToken {
  token: string;
  jti: string;
  /** ISO 8601. */
  expiresAt: string;
  exp: number;
}

export interface TokenServiceOptions {
  key: SigningKey;
  /** Default DEFAULT_TOKEN_ISSUER (shared/wire/token-audience.ts). */
  issuer?: string;
  /** Default DEFAULT_TOKEN_AUDIENCE. */
  audience?: string;
  /** Revoked token ids (hub/auth/revocation-store.ts). Default: an in-memory RevocationList. */
  revocations?: RevocationStore;
  /** Clock in ms, for tests of expiry; default Date.now. */
  now?: () => number;
}

export interface IssueRequest {
  sub: string;
  scopes: readonly string[];
  /** Seconds; default DEFAULT_TTL_S, at most MAX_TTL_S. */
  ttlS?: number;
  /**
   * The token id; default a fresh UUID. A renewal keeps its token's id, so that revoking that id
   * revokes every renewal too (hub/http/agent-gateway.ts renews agent tokens).
   */
  jti?: string;
}

export class TokenService {
  readonly key: SigningKey;
  readonly issuer: string;
  readonly audience: string;
  readonly revocations: RevocationStore;
  readonly #now: () => number;

  constructor(o: TokenServiceOptions) {
    this.key = o.key;
    this.issuer = o.issuer ?? DEFAULT_TOKEN_ISSUER;
    this.audience = o.audience ?? DEFAULT_TOKEN_AUDIENCE;
    this.revocations = o.revocations ?? new RevocationList();
    this.#now = o.now ?? Date.now;
  }

  /** Loads (or creates) the key and the revocation list from `dataDir`. */
  static async open(dataDir: string, o: { issuer?: string; audience?: string; now?: () => number } = {}): Promise<TokenService> {
    const key = await loadOrCreateSigningKey(dataDir);
    const revocations = new RevocationList(join(dataDir, REVOCATION_FILE), o.now);
    await revocations.load();
    return new TokenService({ key, revocations, ...o });
  }

  /** The JWKS document served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.key.publicJwk] };
  }

  /** Mints a token. Throws MeshprobeError(BadRequest) for a bad subject, scope or lifetime. */
  async issue(req: IssueRequest): Promise<IssuedToken> {
    // Checked as given, never trimmed: " admin" must not become admin after the reserved check.
    const sub = req.sub;
    const problem = subjectProblem(sub, 'sub');
    if (problem) throw new MeshprobeError(ErrorCode.BadRequest, `${problem}, e.g. telegram:12345 or agent:lax1`);
    const scopes = parseScopes(req.scopes);
    const unknown = scopes.filter((s) => !KNOWN_SCOPES.includes(s));
    if (unknown.length) throw new MeshprobeError(ErrorCode.BadRequest, `scope: unknown scope ${unknown.join(', ')}; known scopes: ${KNOWN_SCOPES.join(', ')}`);
    if (scopes.length === 0) throw new MeshprobeError(ErrorCode.BadRequest, 'scope: give at least one scope');
    const ttl = req.ttlS ?? DEFAULT_TTL_S;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_S) {
      throw new MeshprobeError(ErrorCode.BadRequest, `ttl: must be between 1 second and ${MAX_TTL_S / 86_400} days`);
    }
    const iat = Math.floor(this.#now() / 1000);
    const exp = iat + ttl;
    const jti = req.jti ?? randomUUID();
    const token = await new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({ alg: SIGNING_ALG, kid: this.key.kid, typ: 'JWT' })
      .setSubject(sub)
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(this.key.privateKey);
    return { token, jti, exp, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /**
   * Verifies a compact JWT. Resolves with its claims or rejects with MeshprobeError(Unauthorized)
   * whose one-line message says what was wrong (never the token itself).
   */
  async verify(token: string): Promise<TokenClaims> {
    if (typeof token !== 'string' || token.length > 8192 || token.split('.').length !== 3) {
      throw unauthorized('the bearer token is not a JWT');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: [SIGNING_ALG],
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        currentDate: new Date(this.#now()),
      }));
    } catch (err) {
      throw unauthorized(explain(err), err);
    }
    const jti = payload.jti!;
    // A revocation written by another process (the CLI) counts from this request on.
    await this.revocations.refresh();
    if (this.revocations.has(jti)) throw unauthorized('the token has been revoked');
    if (typeof payload.scope !== 'string') throw unauthorized('the token has no scope claim');
    return {
      sub: payload.sub!,
      scopes: parseScopes(payload.scope),
      jti,
      iat: payload.iat!,
      exp: payload.exp!,
      iss: payload.iss!,
      aud: payload.aud!,
    };
  }

  /**
   * Revokes a token by its jti. `exp` (seconds) may be given when known; otherwise the entry is
   * kept for the longest lifetime the hub mints. Rejects with StateWriteError (and the token
   * stays valid) when the revocation cannot be written to disk.
   */
  async revoke(jti: string, exp?: number): Promise<void> {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(jti)) throw new MeshprobeError(ErrorCode.BadRequest, 'jti: not a token id');
    await this.revocations.revoke(jti, exp ?? Math.floor(this.#now() / 1000) + MAX_TTL_S);
  }
}

function unauthorized(message: string, cause?: unknown): MeshprobeError {
  return new MeshprobeError(ErrorCode.Unauthorized, message, cause === undefined ? undefined : { cause });
}

function explain(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return 'the token was issued by someone else (wrong issuer)';
    if (err.claim === 'aud') return 'the token is for another audience';
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${err.claim} claim is missing or invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with EdDSA';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'the token is malformed';
  return 'the token is invalid';
}
