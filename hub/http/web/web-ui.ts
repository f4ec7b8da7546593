/**
 * The web UI served by the hub (issue 18, docs/web.md): the page at `/` (and `/s/<id>` for a
 * share link), sign-in (guest, OpenID Connect, GitHub) with a session cookie, the session and
 * personal-token routes, share links, and the authorize wrapper that lets a session cookie stand
 * in for a bearer token, with a CSRF token on every state-changing request.
 *
 * Routes (docs/api.md "Web UI"):
 * - `GET /`, `GET /s/:id`, `GET /assets/:file`: the page (public).
 * - `POST /auth/guest`; `GET /auth/oidc/start|callback`, `GET /auth/github/start|callback`.
 * - `GET /v1/session` (who is signed in, the CSRF token; renews the cookie), `POST /v1/session`
 *   (`{"token":"…"}`: use a pasted token), `DELETE /v1/session` (sign out).
 * - `GET|POST /v1/me/tokens`, `DELETE /v1/me/tokens/:jti`: the caller's personal API tokens.
 * - `POST /v1/shares` (`{"stream": ID}`: store a finished stream the hub kept), `GET /v1/shares/:id` (public: the id is the key).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HttpError } from '../../../shared/model/errors.ts';
import { formatDuration } from '../../../shared/model/duration.ts';
import type { HostGuard } from '../../../shared/net/host-guard.ts';
import { isRefusal, type Principal, type Refusal } from '../../core/principal.ts';
import { RateLimiter } from '../../core/rate-limiter.ts';
import { parseIdentityRules, scopesFor, type IdentityRule } from '../../auth/identity-rules.ts';
import { parseScopes, Scope } from '../../auth/scopes.ts';
import type { TokenService } from '../../auth/token-service.ts';
import { WebStore } from '../../store/web-store.ts';
import type { FinishedStreams } from '../../core/finished-streams.ts';
import { readJson, sendJson, sendText } from '../http-io.ts';
import type { Authorize, HubRoute } from '../route.ts';
import { CONTENT_SECURITY_POLICY, loadWebAssets, type WebAssets } from './web-assets.ts';
import { SignInProviders, type GithubProviderOptions, type OidcProviderOptions } from './sign-in-providers.ts';
import { appendCookie, readCookie, WebSessions, type CookieSession } from './web-sessions.ts';

/** Options of the web UI (HubOptions.web). */
export interface WebOptions {
  /** Serve the page and its routes. Default true. */
  enabled?: boolean;
  /** Offer guest sign-in (MESHPROBE_GUEST): scopes `measure read`, no monitor changes, no tokens, a low rate. Default false. */
  guest?: boolean;
  /** OpenID Connect sign-in (MESHPROBE_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET). Default none. */
  oidc?: OidcProviderOptions;
  /** GitHub sign-in (MESHPROBE_GITHUB_CLIENT_ID, _CLIENT_SECRET). Default none. */
  github?: GithubProviderOptions;
  /** Who may sign in with a provider and with which scopes (MESHPROBE_WEB_ALLOW; hub/auth/identity-rules.ts). Default: nobody. */
  allow?: string;
  /** How long a share link is kept, ms (MESHPROBE_SHARE_TTL). Default 30 days. */
  shareTtlMs?: number;
  /** Guests' requests per second per client IP (burst 10×). Default 1. */
  guestRatePerS?: number;
  /** Guest sign-ins per client IP per hour. Default 20. */
  guestSignInsPerHour?: number;
  /** Lifetime of the token in a session cookie, s (renewed by the page). Default 900. */
  sessionTokenTtlS?: number;
}

/** What the hub hands the web UI. */
export interface WebUiContext {
  tokens: TokenService;
  dataDir: string;
  guard: HostGuard;
  /** The URL users reach the hub at (MESHPROBE_PUBLIC_URL, else the listen URL once known). */
  publicUrl: () => string;
  /** The finished streams the measurements route kept (the only thing a share link can hold). */
  finished?: FinishedStreams;
}

export interface WebUi {
  routes: HubRoute[];
  /** Wraps the hub's authorize: a session cookie (with its CSRF token on changes) stands for a bearer token. */
  wrapAuthorize(inner: Authorize): Authorize;
  close(): void;
}

/** Personal tokens one user may hold at once (not revoked, not expired). */
export const MAX_PERSONAL_TOKENS = 50;
/** Longest lifetime of a personal token: 90 days; the default is 30. */
const MAX_PERSONAL_TTL_S = 90 * 86_400;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const PENDING_COOKIE = 'mp_signin';
const GUEST_PREFIX = 'guest:';

/** The web UI of a hub; throws an Error with a one-line reason for a bad MESHPROBE_WEB_ALLOW. */
export function createWebUi(o: WebOptions, ctx: WebUiContext): WebUi {
  const rules: IdentityRule[] = parseIdentityRules(o.allow);
  // Opened on first use: a hub whose page nobody signs in to never opens it (and a store that
  // cannot open answers 503 to the web routes, not a refusal of the whole hub).
  let opened: WebStore | undefined;
  const db = (): WebStore => {
    try {
      return (opened ??= WebStore.open(ctx.dataDir));
    } catch (err) {
      throw new HttpError(503, ErrorCode.Store, (err as Error).message.split('\n')[0]!, { 'retry-after': '5' });
    }
  };
  let secret: Buffer | undefined;
  const secure = ctx.publicUrl().startsWith('https:');
  const sessions = new WebSessions({ tokens: ctx.tokens, store: db, secure, ...(o.sessionTokenTtlS ? { tokenTtlS: o.sessionTokenTtlS } : {}) }, () => (secret ??= db().secret()));
  const providers = new SignInProviders({ ...(o.oidc ? { oidc: o.oidc } : {}), ...(o.github ? { github: o.github } : {}), callbackBase: ctx.publicUrl });
  const guestRate = new RateLimiter({ ratePerS: o.guestRatePerS ?? 1 });
  const guestSignIns = new RateLimiter({ ratePerS: (o.guestSignInsPerHour ?? 20) / 3600, burst: o.guestSignInsPerHour ?? 20 });
  const shareTtlMs = o.shareTtlMs ?? 30 * 86_400_000;
  let assets: Promise<WebAssets> | undefined;
  const sweep = setInterval(() => {
    try {
      opened?.sweep(Date.now());
    } catch {
      // the next round tries again
    }
  }, 3_600_000);
  sweep.unref();

  /** The page's files, loaded (bundled) on first use; a failure is tried again next time. */
  function pageAssets(): Promise<WebAssets> {
    assets ??= loadWebAssets();
    assets.catch(() => {
      assets = undefined;
    });
    return assets;
  }

  async function servePage(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let files: WebAssets;
    try {
      files = await pageAssets();
    } catch (err) {
      sendText(res, 503, `${(err as Error).message}\n`);
      return;
    }
    const a = files.get(path);
    if (!a) throw new HttpError(404, ErrorCode.NotFound, `no file ${path}`);
    const accept = String(req.headers['accept-encoding'] ?? '');
    const [body, encoding] = /\bbr\b/.test(accept) ? [a.brotli, 'br'] : /\bgzip\b/.test(accept) ? [a.gzip, 'gzip'] : [a.body, undefined];
    const headers: Record<string, string | number> = {
      'content-type': a.type,
      'content-length': body.length,
      etag: a.etag,
      vary: 'accept-encoding',
      'cache-control': a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...(encoding ? { 'content-encoding': encoding } : {}),
    };
    if (!a.immutable) {
      headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
      headers['x-frame-options'] = 'DENY';
      headers['cross-origin-opener-policy'] = 'same-origin';
    }
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, { etag: a.etag, 'cache-control': headers['cache-control'] as string });
      res.end();
      return;
    }
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /** Refuses a request whose Host or Origin is not this hub's (the /v1 guard, for /auth/ too). */
  function guardOrigin(req: IncomingMessage, needOrigin: boolean): void {
    const refusal = ctx.guard.check(req.headers.host, req.headers.origin);
    if (refusal) throw new HttpError(403, ErrorCode.Forbidden, refusal);
    if (needOrigin && req.headers.origin === undefined) throw new HttpError(403, ErrorCode.Forbidden, 'a browser sign-in must come from the page (no Origin header)');
  }

  /** Refuses a state change without the session's CSRF token. */
  function requireCsrf(req: IncomingMessage, s: CookieSession): void {
    if (!sessions.csrfOk(req, s.claims.jti)) {
      throw new HttpError(403, ErrorCode.Forbidden, 'missing or wrong X-CSRF-Token for this session (reload the page)');
    }
  }

  function sessionView(s: CookieSession) {
    return {
      signedIn: true,
      sub: s.claims.sub,
      scope: s.claims.scopes.join(' '),
      kind: s.session?.kind ?? 'token',
      guest: s.claims.sub.startsWith(GUEST_PREFIX),
      expiresAt: new Date((s.session?.expiresAt ?? s.claims.exp * 1000)).toISOString(),
      csrf: sessions.csrfFor(s.claims.jti),
    };
  }

  function signInOptions() {
    return { guest: o.guest === true, ...providers.describe() };
  }

  const page = (name: string, path: string): HubRoute => ({
    name,
    methods: ['GET'],
    path,
    public: true,
    async handle({ req, res, url }) {
      await servePage(req, res, url.pathname.startsWith('/assets/') ? url.pathname : '/');
    },
  });

  const session: HubRoute = {
    name: 'session',
    methods: ['GET', 'POST', 'DELETE'],
    path: '/v1/session',
    public: true,
    async handle({ req, res, hub }) {
      const current = await sessions.fromRequest(req);
      if (req.method === 'POST') {
        // Paste a token: the hub checks it and keeps it in the httpOnly cookie from then on.
        const body = (await readJson(req, hub.maxBodyBytes, {})) as Record<string, unknown>;
        if (typeof body['token'] !== 'string') throw new HttpError(400, ErrorCode.BadRequest, 'token: paste a token of this hub');
        guardOrigin(req, true);
        let claims;
        try {
          claims = await ctx.tokens.verify(body['token'].trim());
        } catch (err) {
          throw new HttpError(401, ErrorCode.Unauthorized, (err as Error).message);
        }
        if (claims.scopes.includes(Scope.agent) && claims.scopes.length === 1) throw new HttpError(403, ErrorCode.Forbidden, 'an agent token cannot sign in to the web UI');
        sessions.usePastedToken(res, body['token'].trim(), claims);
        sendJson(res, 200, sessionView({ token: body['token'].trim(), claims }));
        return;
      }
      if (req.method === 'DELETE') {
        if (current) requireCsrf(req, current);
        await sessions.signOut(res, current);
        sendJson(res, 200, { signedIn: false, signIn: signInOptions() });
        return;
      }
      if (!current) {
        sendJson(res, 200, { signedIn: false, signIn: signInOptions() });
        return;
      }
      await sessions.renew(res, current);
      sendJson(res, 200, sessionView(current));
    },
  };

  const guest: HubRoute = {
    name: 'signin-guest',
    methods: ['POST'],
    path: '/auth/guest',
    public: true,
    async handle({ req, res }) {
      guardOrigin(req, true);
      if (o.guest !== true) throw new HttpError(403, ErrorCode.Forbidden, 'guest sign-in is off on this hub (MESHPROBE_GUEST)');
      const ip = req.socket.remoteAddress ?? 'unknown';
      const wait = guestSignIns.take(ip);
      if (wait > 0) throw new HttpError(429, ErrorCode.RateLimited, `too many guest sign-ins from ${ip}; retry in ${wait} s`, { 'retry-after': String(wait) });
      const s = await sessions.signIn(res, { subject: `${GUEST_PREFIX}${randomBytes(8).toString('hex')}`, scopes: [Scope.measure, Scope.read], kind: 'guest' });
      sendJson(res, 200, { signedIn: true, sub: s.subject, expiresAt: new Date(s.expiresAt).toISOString() });
    },
  };

  const providerRoutes = (['oidc', 'github'] as const).flatMap((provider): HubRoute[] => [
    {
      name: `signin-${provider}`,
      methods: ['GET'],
      path: `/auth/${provider}/start`,
      public: true,
      async handle({ req, res }) {
        guardOrigin(req, false);
        if (!providers.has(provider)) throw new HttpError(404, ErrorCode.NotFound, `${provider} sign-in is not configured on this hub`);
        let started;
        try {
          started = await providers.start(provider);
        } catch (err) {
          redirectWithError(res, `cannot reach the sign-in provider: ${(err as Error).message.split('\n')[0]}`);
          return;
        }
        appendCookie(res, `${PENDING_COOKIE}=${started.id}; Path=/auth/${provider}/; Max-Age=600; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`);
        res.writeHead(303, { location: started.location, 'cache-control': 'no-store' });
        res.end();
      },
    },
    {
      name: `signin-${provider}`,
      methods: ['GET'],
      path: `/auth/${provider}/callback`,
      public: true,
      async handle({ req, res, url, hub }) {
        guardOrigin(req, false);
        appendCookie(res, `${PENDING_COOKIE}=; Path=/auth/${provider}/; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`);
        let identity;
        try {
          identity = await providers.finish(provider, readCookie(req, PENDING_COOKIE), url);
        } catch (err) {
          redirectWithError(res, (err as Error).message.split('\n')[0]!);
          return;
        }
        const scopes = scopesFor(rules, identity);
        if (scopes.length === 0) {
          hub.log(`web: sign-in refused for ${identity.subject}${identity.email ? ` (${identity.email})` : ''}: no MESHPROBE_WEB_ALLOW rule matches`);
          redirectWithError(res, `${identity.email ?? identity.login ?? identity.subject} may not use this hub (the operator lists who may in MESHPROBE_WEB_ALLOW)`);
          return;
        }
        try {
          await sessions.signIn(res, { subject: identity.subject, scopes, kind: provider });
        } catch (err) {
          redirectWithError(res, `cannot start the session: ${(err as Error).message.split('\n')[0]}`);
          return;
        }
        res.writeHead(303, { location: '/', 'cache-control': 'no-store' });
        res.end();
      },
    },
  ]);

  const myTokens: HubRoute = {
    name: 'me-tokens',
    methods: ['GET', 'POST'],
    path: '/v1/me/tokens',
    async handle({ req, res, principal, hub }) {
      const owner = principal.subject;
      if (req.method === 'GET') {
        const now = Date.now();
        sendJson(res, 200, {
          tokens: db().tokens(owner).map((t) => ({
            jti: t.jti,
            label: t.label,
            scope: t.scopes.join(' '),
            createdAt: new Date(t.createdAt).toISOString(),
            expiresAt: new Date(t.expiresAt).toISOString(),
            state: t.revokedAt !== null ? 'revoked' : t.expiresAt <= now ? 'expired' : 'active',
          })),
        });
        return;
      }
      if (owner.startsWith(GUEST_PREFIX) || owner === 'anonymous') throw new HttpError(403, ErrorCode.Forbidden, 'guests cannot mint API tokens: sign in first');
      if (principal.via) throw new HttpError(403, ErrorCode.Forbidden, 'a delegated call cannot mint personal tokens');
      const body = (await readJson(req, hub.maxBodyBytes, {})) as Record<string, unknown>;
      const label = typeof body['label'] === 'string' ? body['label'].trim().slice(0, 80) : '';
      if (!label || /[\p{Cc}]/u.test(label)) throw new HttpError(400, ErrorCode.BadRequest, 'label: name the token (1–80 printable characters), e.g. laptop CLI');
      const own = principal.scopes.filter((s) => s !== Scope.admin && s !== Scope.delegate && s !== Scope.agent && s !== Scope.tokenCreate);
      const scopes = body['scope'] === undefined ? own : parseScopes(typeof body['scope'] === 'string' ? body['scope'] : []);
      const beyond = scopes.filter((s) => !own.includes(s));
      if (scopes.length === 0 || beyond.length) throw new HttpError(400, ErrorCode.BadRequest, `scope: a personal token may carry ${own.join(', ') || 'nothing'}${beyond.length ? `, not ${beyond.join(', ')}` : ''}`);
      const ttlDays = body['days'] === undefined ? 30 : Number(body['days']);
      if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays * 86_400 > MAX_PERSONAL_TTL_S) throw new HttpError(400, ErrorCode.BadRequest, `days: a whole number from 1 to ${MAX_PERSONAL_TTL_S / 86_400}`);
      const now = Date.now();
      if (db().liveTokens(owner, now) >= MAX_PERSONAL_TOKENS) {
        throw new HttpError(429, ErrorCode.LimitReached, `you hold ${MAX_PERSONAL_TOKENS} active tokens, the limit; revoke one first`);
      }
      const jti = randomBytes(16).toString('base64url');
      const expiresAt = now + ttlDays * 86_400_000;
      // Durable first: the row exists before the token is shown, so it can always be revoked.
      db().addToken({ jti, owner, label, scopes, createdAt: now, expiresAt, revokedAt: null });
      const issued = await ctx.tokens.issue({ sub: owner, scopes, ttlS: ttlDays * 86_400, jti });
      sendJson(res, 201, { token: issued.token, jti, label, scope: scopes.join(' '), expiresAt: issued.expiresAt });
    },
  };

  const myToken: HubRoute = {
    name: 'me-tokens',
    methods: ['DELETE'],
    path: '/v1/me/tokens/:jti',
    async handle({ res, params, principal, hub }) {
      const t = db().token(params['jti'] ?? '');
      // Someone else's token is answered as unknown: ids are not probed for.
      if (!t || t.owner !== principal.subject) throw new HttpError(404, ErrorCode.NotFound, 'no such token of yours');
      try {
        await ctx.tokens.revoke(t.jti, Math.ceil(t.expiresAt / 1000));
      } catch (err) {
        hub.log(`web: revoking ${t.jti} failed: ${(err as Error).message}`);
        throw new HttpError(503, ErrorCode.Internal, (err as Error).message.split('\n')[0]!, { 'retry-after': '5' });
      }
      db().markRevoked(t.jti, Date.now());
      sendJson(res, 200, { revoked: t.jti });
    },
  };

  const shares: HubRoute = {
    name: 'shares',
    methods: ['POST'],
    path: '/v1/shares',
    async handle({ req, res, principal, hub }) {
      const body = (await readJson(req, hub.maxBodyBytes)) as Record<string, unknown>;
      // A share shows what the hub measured: events a client sends could be made up.
      if (body['events'] !== undefined) throw new HttpError(400, ErrorCode.BadRequest, 'events: the hub shares only what it streamed; give {"stream": ID} from the x-meshprobe-stream header');
      const streamId = body['stream'];
      if (typeof streamId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(streamId)) throw new HttpError(400, ErrorCode.BadRequest, 'stream: give the id of a finished measurement of yours (the x-meshprobe-stream header of its POST /v1/measurements with x-meshprobe-keep: 1)');
      // Someone else's stream is answered as unknown: ids are not probed for.
      const keeper = ctx.finished;
      const kept = keeper?.get(streamId, principal.subject);
      if (!keeper || !kept) {
        const why = keeper ? ` (the hub keeps your last few for ${formatDuration(keeper.keepMs)}, when they ended and held at most ${keeper.maxEvents} events)` : '';
        throw new HttpError(404, ErrorCode.NotFound, `no finished stream ${streamId} of yours is kept${why}: run it again`);
      }
      const id = randomBytes(16).toString('base64url');
      const now = Date.now();
      db().addShare({ id, owner: principal.subject, command: kept.command, events: kept.eventsJson, createdAt: now, expiresAt: now + shareTtlMs });
      sendJson(res, 201, { id, path: `/s/${id}`, expiresAt: new Date(now + shareTtlMs).toISOString(), keptFor: formatDuration(shareTtlMs) });
    },
  };

  const share: HubRoute = {
    name: 'share',
    methods: ['GET'],
    path: '/v1/shares/:id',
    public: true,
    async handle({ res, params }) {
      const id = params['id'] ?? '';
      const s = /^[A-Za-z0-9_-]{22}$/.test(id) ? db().share(id, Date.now()) : undefined;
      if (!s) throw new HttpError(404, ErrorCode.NotFound, 'no such share link, or it has expired');
      const body = `{"id":${JSON.stringify(s.id)},"command":${JSON.stringify(s.command)},"createdAt":"${new Date(s.createdAt).toISOString()}","expiresAt":"${new Date(s.expiresAt).toISOString()}","events":${s.events}}\n`;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'private, max-age=300', 'x-robots-tag': 'noindex' });
      res.end(body);
    },
  };

  const routes: HubRoute[] =
    o.enabled === false
      ? []
      : [page('web', '/'), page('web', '/s/:id'), page('web-assets', '/assets/:file'), session, guest, ...providerRoutes, myTokens, myToken, shares, share];

  return {
    routes,
    wrapAuthorize(inner: Authorize): Authorize {
      if (o.enabled === false) return inner;
      return async (req, route) => {
        if (req.headers.authorization !== undefined) return inner(req, route);
        const cookie = readCookie(req, 'mp_session');
        if (!cookie) return inner(req, route);
        const s = await sessions.fromRequest(req);
        if (!s) return refusal(401, ErrorCode.Unauthorized, 'the session has ended: sign in again', { 'www-authenticate': 'Bearer realm="meshprobe"' });
        if (!SAFE_METHODS.has(req.method ?? 'GET') && !sessions.csrfOk(req, s.claims.jti)) {
          return refusal(403, ErrorCode.Forbidden, 'missing or wrong X-CSRF-Token for this session (reload the page)');
        }
        req.headers.authorization = `Bearer ${cookie}`;
        const verdict = await inner(req, route);
        if (isRefusal(verdict) || !verdict.subject.startsWith(GUEST_PREFIX)) return verdict;
        return guestLimits(req, route, verdict);
      };

      function guestLimits(req: IncomingMessage, route: { name: string; method: string }, p: Principal): Principal | Refusal {
        if ((route.name === 'monitors' || route.name === 'monitor') && !SAFE_METHODS.has(route.method)) {
          return refusal(403, ErrorCode.Forbidden, 'guests may look at monitors but not add or change them: sign in');
        }
        const ip = req.socket.remoteAddress ?? 'unknown';
        const wait = guestRate.take(ip);
        return wait > 0 ? refusal(429, ErrorCode.RateLimited, `guests from ${ip} are over their request rate; retry in ${wait} s`, { 'retry-after': String(wait) }) : p;
      }
    },
    close() {
      clearInterval(sweep);
      opened?.close();
    },
  };
}

function refusal(status: number, code: Refusal['code'], message: string, headers?: Record<string, string>): Refusal {
  return { status, code, message, ...(headers ? { headers } : {}) };
}

/** Back to the page, which shows the reason (as text). */
function redirectWithError(res: ServerResponse, message: string): void {
  res.writeHead(303, { location: `/?signin_error=${encodeURIComponent(message.slice(0, 300))}`, 'cache-control': 'no-store' });
  res.end();
}
