/**
 * MCP endpoint settings from the environment, shared by the standalone launcher (mcp/main.ts)
 * and the embedded default (bin/start.ts), so both read the same MESHPROBE_* names.
 *
 *   MESHPROBE_MCP_MODE            stateless (default) | stateful
 *   MESHPROBE_MCP_PUBLIC_URL      URL clients use, e.g. https://hub.example.net (resource metadata, Host check)
 *   MESHPROBE_MCP_ALLOWED_HOSTS   extra Host names accepted (comma list; `*` = any)
 *   MESHPROBE_MCP_ALLOWED_ORIGINS extra Origin values accepted (comma list)
 *   MESHPROBE_HUB_TOKEN           token the MCP server uses at the hub; default: each caller's own token
 *   MESHPROBE_JWKS_URL            where the hub's keys are; default HUB/.well-known/jwks.json
 *   MESHPROBE_TOKEN_ISSUER        expected `iss`; default urn:meshprobe:hub (the hub's default)
 *   MESHPROBE_TOKEN_AUDIENCE      expected `aud`; default urn:meshprobe:api (the hub's default)
 *   MESHPROBE_ALLOW_ANONYMOUS     true = no token needed (off by default)
 *   MESHPROBE_MCP_SESSIONS_PER_USER  stateful mode: sessions one user may hold at once; default 8
 *   MESHPROBE_MCP_TOKEN_CHECK_S   seconds a "token still valid" answer of the hub is trusted
 *                                 (revocation check, token-status.ts); default 5; `off` = no check
 */
import { BearerVerifier } from './auth.ts';
import { HubTokenStatus } from './token-status.ts';
import { McpHttpHandler } from './http.ts';
import type { McpHttpOptions } from './http.ts';
import { DEFAULT_TOKEN_AUDIENCE, DEFAULT_TOKEN_ISSUER } from '../shared/wire/token-audience.ts';


/** Options of {@link mcpHandlerFromEnv}. */
export interface McpEnvOptions {
  /** The hub's base URL, or a function giving it once it is known. */
  hubUrl: string | (() => string);
  /** Host names the server listens as (e.g. the bind address), accepted in Host. */
  listenHosts?: string[];
  version?: string;
  /** The admin token file to name in a 401 to clients on this machine (the embedded launcher's). */
  localTokenFile?: string;
  /** Request rates to apply (the embedded hub's buckets); see McpHttpOptions.limit. */
  limit?: McpHttpOptions['limit'];
}

/** Builds the handler from `env`; throws a one-line Error for a bad setting. */
export function mcpHandlerFromEnv(env: NodeJS.ProcessEnv, o: McpEnvOptions): McpHttpHandler {
  const mode = (env.MESHPROBE_MCP_MODE || 'stateless').trim();
  if (mode !== 'stateless' && mode !== 'stateful') throw new Error(`MESHPROBE_MCP_MODE must be stateless or stateful, not '${mode}'`);
  const anonymous = /^(1|true|yes|on)$/i.test(env.MESHPROBE_ALLOW_ANONYMOUS ?? '');
  const hubUrl = () => (typeof o.hubUrl === 'function' ? o.hubUrl() : o.hubUrl).replace(/\/+$/, '');
  let verifier: BearerVerifier | undefined;
  if (!anonymous) {
    const jwksText = env.MESHPROBE_JWKS_URL;
    // The embedded hub's URL is known only after it listens: resolve the JWKS URL lazily.
    const jwks = jwksText ? parseUrl('MESHPROBE_JWKS_URL', jwksText) : () => new URL(`${hubUrl()}/.well-known/jwks.json`);
    const check = (env.MESHPROBE_MCP_TOKEN_CHECK_S ?? '').trim();
    const ttlS = check === '' ? 5 : check === 'off' ? undefined : Number(check);
    if (ttlS !== undefined && !(Number.isFinite(ttlS) && ttlS >= 0)) throw new Error(`MESHPROBE_MCP_TOKEN_CHECK_S must be seconds ≥ 0 or off, not '${check}'`);
    verifier = new BearerVerifier({
      jwks,
      issuer: env.MESHPROBE_TOKEN_ISSUER || DEFAULT_TOKEN_ISSUER,
      audience: env.MESHPROBE_TOKEN_AUDIENCE || DEFAULT_TOKEN_AUDIENCE,
      // Revoked tokens are refused too: the hub is asked (and the answer cached for ttlS).
      ...(ttlS !== undefined ? { status: new HubTokenStatus({ hubUrl, ttlMs: ttlS * 1000 }) } : {}),
    });
  }
  const publicUrl = env.MESHPROBE_MCP_PUBLIC_URL ? parseUrl('MESHPROBE_MCP_PUBLIC_URL', env.MESHPROBE_MCP_PUBLIC_URL).href : undefined;
  const extraHosts = list(env.MESHPROBE_MCP_ALLOWED_HOSTS);
  const perUserText = (env.MESHPROBE_MCP_SESSIONS_PER_USER ?? '').trim();
  const perUser = perUserText === '' ? undefined : Number(perUserText);
  if (perUser !== undefined && !(Number.isInteger(perUser) && perUser >= 1)) throw new Error(`MESHPROBE_MCP_SESSIONS_PER_USER must be a whole number ≥ 1, not '${perUserText}'`);
  const options: McpHttpOptions = {
    hub: { url: hubUrl, ...(env.MESHPROBE_HUB_TOKEN ? { token: env.MESHPROBE_HUB_TOKEN.trim() } : {}) },
    mode,
    verifier,
    publicUrl,
    allowedHosts: ['localhost', '127.0.0.1', '::1', ...(o.listenHosts ?? []).filter((h) => h !== '0.0.0.0' && h !== '::'), ...extraHosts],
    allowedOrigins: list(env.MESHPROBE_MCP_ALLOWED_ORIGINS),
    ...(o.version ? { version: o.version } : {}),
    ...(perUser !== undefined ? { maxSessionsPerCaller: perUser } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
    ...(o.localTokenFile ? { localTokenFile: o.localTokenFile } : {}),
  };
  return new McpHttpHandler(options);
}

function list(s: string | undefined): string[] {
  return (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
}

function parseUrl(name: string, text: string): URL {
  try {
    const u = new URL(text.trim());
    if (u.protocol === 'http:' || u.protocol === 'https:') return u;
  } catch {
    // fall through to the one-line reason
  }
  throw new Error(`${name} must be an http(s) URL, not '${text}'`);
}
