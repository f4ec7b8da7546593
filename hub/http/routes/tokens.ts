/**
 * Identity routes: `GET /.well-known/jwks.json` (public), `POST /v1/tokens` (admin or
 * token:create), `DELETE /v1/tokens/:jti` and `POST /v1/tokens/revoke` (admin), `GET /v1/whoami`
 * (any valid token).
 */
import { isReservedSubject, subjectProblem } from '../../../shared/wire/delegated-subject.ts';
import { ErrorCode, HttpError, StateWriteError } from '../../../shared/model/errors.ts';
import { mayMint, parseScopes, Scope } from '../../auth/scopes.ts';
import type { TokenService } from '../../auth/token-service.ts';
import type { TokenPrincipal } from '../../auth/bearer-authorize.ts';
import { parseTtl } from '../../auth/ttl.ts';
import { readJson, sendJson } from '../http-io.ts';
import type { HubRoute, RouteContext } from '../route.ts';

/** Longest lifetime a `token:create` (non-admin) caller may mint: 90 days. */
export const MAX_DELEGATED_TTL_S = 90 * 86_400;

/** A JSON object body; an empty body counts as `{}`. */
async function jsonBody(req: RouteContext['req'], max: number): Promise<Record<string, unknown>> {
  const json = await readJson(req, max, {});
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new HttpError(400, ErrorCode.BadRequest, 'request body must be a JSON object');
  return json as Record<string, unknown>;
}

/** The identity routes for a hub whose tokens `tokens` mints and verifies. */
export function tokenRoutes(tokens: TokenService): HubRoute[] {
  /**
   * Revokes, answering 400 for a bad jti and 503 when the revocation cannot be written (full
   * or read-only disk): then the token still works, and a retry completes the revocation.
   */
  async function revokeOrRefuse(jti: string, hub: RouteContext['hub']): Promise<void> {
    try {
      await tokens.revoke(jti);
    } catch (err) {
      if (err instanceof StateWriteError) {
        hub.log(`hub: revoking ${jti} failed: ${err.message}`);
        throw new HttpError(503, ErrorCode.Internal, err.message, { 'retry-after': '5' });
      }
      throw new HttpError(400, ErrorCode.BadRequest, (err as Error).message);
    }
  }

  const jwks: HubRoute = {
    name: 'jwks',
    methods: ['GET'],
    path: '/.well-known/jwks.json',
    public: true,
    async handle({ res }) {
      sendJson(res, 200, tokens.jwks(), { 'cache-control': 'public, max-age=300' });
    },
  };

  const create: HubRoute = {
    name: 'tokens',
    methods: ['POST'],
    path: '/v1/tokens',
    async handle({ req, res, principal, hub }) {
      const body = await jsonBody(req, hub.maxBodyBytes);
      const sub = body.sub;
      if (typeof sub !== 'string') throw new HttpError(400, ErrorCode.BadRequest, 'sub: give the subject of the token, e.g. telegram:12345');
      // One check for every subject (shared/wire/delegated-subject.ts), on the text as given: the
      // reserved-name check below must see exactly what the token will carry.
      const problem = subjectProblem(sub, 'sub');
      if (problem) throw new HttpError(400, ErrorCode.BadRequest, `${problem}, e.g. telegram:12345`);
      const rawScope = body.scope ?? Scope.measure;
      if (typeof rawScope !== 'string' && !(Array.isArray(rawScope) && rawScope.every((s) => typeof s === 'string'))) {
        throw new HttpError(400, ErrorCode.BadRequest, 'scope: a space-separated string or an array of strings');
      }
      const scopes = parseScopes(rawScope as string | string[]);
      const verdict = mayMint(principal.scopes, scopes);
      if (!verdict.ok) throw new HttpError(verdict.forbidden ? 403 : 400, verdict.forbidden ? ErrorCode.Forbidden : ErrorCode.BadRequest, verdict.reason);
      const isAdmin = principal.scopes.includes(Scope.admin);
      if (!isAdmin && isReservedSubject(sub)) {
        throw new HttpError(403, ErrorCode.Forbidden, `only an admin may mint tokens for ${sub} (admin, anonymous, agent:* and service:* are reserved)`);
      }
      let ttlS: number | undefined;
      if (body.ttl !== undefined) {
        ttlS = typeof body.ttl === 'string' || typeof body.ttl === 'number' ? parseTtl(body.ttl) : undefined;
        if (ttlS === undefined) throw new HttpError(400, ErrorCode.BadRequest, 'ttl: a duration such as 3600, 90m, 12h or 30d');
      }
      if (!isAdmin) ttlS = Math.min(ttlS ?? MAX_DELEGATED_TTL_S, MAX_DELEGATED_TTL_S);
      let issued;
      try {
        issued = await tokens.issue({ sub, scopes, ...(ttlS !== undefined ? { ttlS } : {}) });
      } catch (err) {
        throw new HttpError(400, ErrorCode.BadRequest, (err as Error).message);
      }
      sendJson(res, 201, { token: issued.token, jti: issued.jti, sub, scope: scopes.join(' '), expiresAt: issued.expiresAt });
    },
  };

  const revoke: HubRoute = {
    name: 'tokens-revoke',
    methods: ['POST'],
    path: '/v1/tokens/revoke',
    async handle({ req, res, hub }) {
      const body = await jsonBody(req, hub.maxBodyBytes);
      let jti = body.jti;
      // Revoking by the token itself works too: its jti is used, but not its expiry. Renewals
      // (agent tokens) share the jti with a later exp, so the entry is kept for the longest
      // lifetime the hub mints, as for a revocation by jti.
      if (jti === undefined && typeof body.token === 'string') {
        try {
          jti = (await tokens.verify(body.token)).jti;
        } catch {
          throw new HttpError(400, ErrorCode.BadRequest, 'token: not a valid token of this hub (revoke by jti instead)');
        }
      }
      if (typeof jti !== 'string') throw new HttpError(400, ErrorCode.BadRequest, 'jti: give the id of the token to revoke');
      await revokeOrRefuse(jti, hub);
      sendJson(res, 200, { revoked: jti });
    },
  };

  // The REST form of revocation: the token is a resource named by its jti, and deleting it
  // revokes it. Same scope as POST /v1/tokens/revoke (authorize sees the same route name).
  const remove: HubRoute = {
    name: 'tokens-revoke',
    methods: ['DELETE'],
    path: '/v1/tokens/:jti',
    async handle({ res, params, hub }) {
      const jti = params.jti ?? '';
      await revokeOrRefuse(jti, hub);
      sendJson(res, 200, { revoked: jti });
    },
  };

  const whoami: HubRoute = {
    name: 'whoami',
    methods: ['GET'],
    path: '/v1/whoami',
    async handle({ res, principal }) {
      const claims = (principal as TokenPrincipal).claims;
      sendJson(res, 200, {
        sub: principal.subject,
        scope: principal.scopes.join(' '),
        ...(principal.via ? { via: principal.via } : {}),
        ...(claims ? { jti: claims.jti, expiresAt: new Date(claims.exp * 1000).toISOString() } : {}),
      });
    },
  };

  return [jwks, create, revoke, remove, whoami];
}
