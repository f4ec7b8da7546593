/**
 * The hub's `authorize` seam with JWT bearer tokens: 401 with `WWW-Authenticate: Bearer` for a
 * missing or bad token, 403 for a token without the route's scope, 429 with Retry-After when the
 * client IP or the subject is over its request rate. With anonymous use switched on, a request
 * without a token acts as `anonymous` (scopes measure, read); a token that is present is still
 * verified, so a bad one never degrades silently to anonymous.
 *
 * Delegated identity: a token with the `delegate` scope may name the end user it acts for in
 * `X-Meshprobe-On-Behalf-Of` (`telegram:<id>`, `email:<address>`); the principal is then that
 * user, `via` the service, and the per-subject rate applies to each user apart. The header from
 * a token without the scope is refused (403), a malformed subject too (400).
 */
import type { IncomingMessage } from 'node:http';
import { delegatedSubjectProblem, ON_BEHALF_OF_HEADER } from '../../shared/wire/delegated-subject.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import { isLocalClient, isLoopbackAddress } from '../../shared/net/host-guard.ts';
import type { Authorize } from '../http/route.ts';
import type { Principal, Refusal } from '../core/principal.ts';
import { RateLimiter } from '../core/rate-limiter.ts';
import { hasScope, Scope } from './scopes.ts';
import type { TokenClaims, TokenService } from './token-service.ts';

/** The scopes each route needs (any one of them). Routes not listed need `measure`. */
export const ROUTE_SCOPES: Record<string, readonly string[]> = {
  measurements: [Scope.measure],
  cli: [Scope.measure],
  agents: [Scope.read, Scope.measure],
  version: [Scope.read, Scope.measure],
  ipinfo: [Scope.read, Scope.measure],
  routes: [Scope.read, Scope.measure],
  whoami: [Scope.read, Scope.measure, Scope.agent, Scope.tokenCreate],
  tokens: [Scope.admin, Scope.tokenCreate],
  'tokens-revoke': [Scope.admin],
  // The monitor service checks read or write per call (/v1/cli reaches it too).
  monitors: [Scope.monitorRead, Scope.monitorWrite],
  monitor: [Scope.monitorRead, Scope.monitorWrite],
  'monitor-samples': [Scope.monitorRead],
};

export const ANONYMOUS_PRINCIPAL: Principal = { subject: 'anonymous', scopes: [Scope.measure, Scope.read] };

/** Options of {@link createRequestLimits}. */
export interface RequestLimitOptions {
  /** Requests per second per client IP (before auth, so guessing is slow too). Default 50; 0 = off. */
  ipRatePerS?: number;
  ipBurst?: number;
  /** Requests per second per subject. Default 20; 0 = off. */
  subjectRatePerS?: number;
  subjectBurst?: number;
  /**
   * Requests per second of all the users one service token acts for together (a `delegate`
   * token sending X-Meshprobe-On-Behalf-Of), on top of each user's own rate, so rotating the
   * header does not multiply the budget. Default 5 × subjectRatePerS; 0 = off.
   */
  serviceRatePerS?: number;
  /** Default 2 × the subject burst. */
  serviceBurst?: number;
  /** Subjects exempt from the subject rate (e.g. `admin`). Default none. */
  exemptSubjects?: readonly string[];
  /**
   * Exempt loopback clients from the per-IP rate. Default true: on loopback sit the embedded
   * front-ends (MCP, bots), which speak for many users; their users are limited per subject.
   */
  exemptLoopback?: boolean;
  /** Milliseconds clock of the buckets; default performance.now. */
  now?: () => number;
}

/**
 * The hub's request rates: one set of buckets per client IP, per subject and per service,
 * shared by every endpoint that counts requests (the bearer authorize seam for /v1, and the
 * MCP endpoint mounted in the embedded hub).
 */
export interface RequestLimits {
  /** The client IP's rate (loopback exempt by default); a 429 refusal or undefined. */
  ip(ip: string): Refusal | undefined;
  /** The principal's rate, and its service's aggregate when it acts via one. */
  subject(principal: Principal): Refusal | undefined;
}

export function createRequestLimits(o: RequestLimitOptions = {}): RequestLimits {
  const ipRate = o.ipRatePerS ?? 50;
  const subjectRate = o.subjectRatePerS ?? 20;
  const subjectBurst = o.subjectBurst ?? subjectRate * 5;
  const serviceRate = o.serviceRatePerS ?? subjectRate * 5;
  const clock = o.now ? { now: o.now } : {};
  const ipLimiter = ipRate > 0 ? new RateLimiter({ ratePerS: ipRate, burst: o.ipBurst ?? ipRate * 4, ...clock }) : undefined;
  const subjectLimiter = subjectRate > 0 ? new RateLimiter({ ratePerS: subjectRate, burst: subjectBurst, ...clock }) : undefined;
  const serviceLimiter = serviceRate > 0 ? new RateLimiter({ ratePerS: serviceRate, burst: o.serviceBurst ?? Math.max(1, subjectBurst * 2), ...clock }) : undefined;
  const exempt = new Set(o.exemptSubjects ?? []);
  return {
    ip(ip) {
      const wait = o.exemptLoopback !== false && isLoopback(ip) ? 0 : (ipLimiter?.take(ip) ?? 0);
      return wait > 0 ? tooMany(`too many requests from ${ip}; retry in ${wait} s`, wait) : undefined;
    },
    subject(principal) {
      if (subjectLimiter && !exempt.has(principal.subject)) {
        const wait = subjectLimiter.take(principal.subject);
        const who = principal.via ? `${principal.subject} (via ${principal.via})` : principal.subject;
        if (wait > 0) return tooMany(`too many requests for ${who}; retry in ${wait} s`, wait);
      }
      // Then the service's aggregate: a request its user may not make costs the service nothing.
      if (principal.via && serviceLimiter && !exempt.has(principal.via)) {
        const wait = serviceLimiter.take(principal.via);
        if (wait > 0) {
          return tooMany(
            `too many requests via ${principal.via} for all its users together (the limit is ${serviceLimiter.ratePerS}/s, burst ${serviceLimiter.burst}; MESHPROBE_SERVICE_RATE); retry in ${wait} s`,
            wait,
          );
        }
      }
      return undefined;
    },
  };
}

export interface BearerAuthorizeOptions extends RequestLimitOptions {
  tokens: TokenService;
  /** Let requests without a token through as `anonymous`. Default false. */
  allowAnonymous?: boolean;
  /** The rate buckets to use; default: new ones from the rate options here. */
  limits?: RequestLimits;
  /**
   * Where this machine keeps an admin token (the embedded launcher's `admin.token`). When set,
   * a 401 to a loopback client says so; remote clients never see the path, nor do requests a
   * local proxy relays for them (Forwarded / X-Forwarded-For / X-Real-IP). Default: unset.
   */
  localTokenFile?: string;
}

const isLoopback = isLoopbackAddress;

/** Principal with the verified claims attached, for routes that need the jti or expiry. */
export interface TokenPrincipal extends Principal {
  claims?: TokenClaims;
}

/** Extracts the bearer token of a request; '' when there is an Authorization header but no token. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : '';
}

export function createBearerAuthorize(o: BearerAuthorizeOptions): Authorize {
  const limits = o.limits ?? createRequestLimits(o);

  return async (req, route) => {
    const ip = req.socket.remoteAddress ?? 'unknown';
    const unauthorized = (message: string, error: string): Refusal =>
      // Not to a relay on this machine (the MCP endpoint, a reverse proxy): it serves remote clients.
      refuse401(o.localTokenFile && isLocalClient(ip, req.headers) ? `${message}; on this machine an admin token is in ${o.localTokenFile}` : message, error);
    const ipRefusal = limits.ip(ip);
    if (ipRefusal) return ipRefusal;

    const token = bearerToken(req);
    let principal: TokenPrincipal;
    if (token === undefined) {
      if (!o.allowAnonymous) return unauthorized('this hub needs a bearer token (Authorization: Bearer …); ask its admin for one, or `/token` in the Telegram bot', '');
      principal = ANONYMOUS_PRINCIPAL;
    } else {
      if (token === '') return unauthorized('the Authorization header is not "Bearer <token>"', 'invalid_request');
      try {
        const claims = await o.tokens.verify(token);
        principal = { subject: claims.sub, scopes: claims.scopes, claims };
      } catch (err) {
        return unauthorized(describeError(err).message, 'invalid_token');
      }
    }

    const needed = ROUTE_SCOPES[route.name] ?? [Scope.measure];
    if (!hasScope(principal.scopes, needed)) {
      return {
        status: 403,
        code: ErrorCode.Forbidden,
        message: `${principal.subject} may not use ${route.path}: it needs the ${needed.join(' or ')} scope`,
        headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${needed.join(' ')}"` },
      };
    }
    const onBehalfOf = req.headers[ON_BEHALF_OF_HEADER];
    if (onBehalfOf !== undefined) {
      if (!hasScope(principal.scopes, [Scope.delegate])) {
        return {
          status: 403,
          code: ErrorCode.Forbidden,
          message: `${principal.subject} may not act on behalf of others: X-Meshprobe-On-Behalf-Of needs a token with the delegate scope`,
          headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${Scope.delegate}"` },
        };
      }
      // node:http joins a repeated header with ", ", which the check below refuses.
      const subject = Array.isArray(onBehalfOf) ? onBehalfOf.join(', ') : onBehalfOf;
      const problem = delegatedSubjectProblem(subject);
      if (problem) return { status: 400, code: ErrorCode.BadRequest, message: problem };
      principal = { ...principal, subject, via: principal.subject };
    }
    return limits.subject(principal) ?? principal;
  };
}

function refuse401(message: string, error: string): Refusal {
  const challenge = error ? `Bearer realm="meshprobe", error="${error}"` : 'Bearer realm="meshprobe"';
  return { status: 401, code: ErrorCode.Unauthorized, message, headers: { 'www-authenticate': challenge } };
}

function tooMany(message: string, retryAfterS: number): Refusal {
  return { status: 429, code: ErrorCode.RateLimited, message, headers: { 'retry-after': String(retryAfterS) } };
}
