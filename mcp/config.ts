/**
 * The MCP endpoint built from its settings, shared by the standalone launcher (mcp/main.ts) and
 * the embedded default (bin/start.ts), so both read the same MESHPROBE_* names (their schema is
 * shared/config/settings.ts).
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
import { mcpEndpointSettings, readSettings, type Settings } from '../shared/config/settings.ts';
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

/** The MCP endpoint's settings, read once at the process's edge (shared/config/settings.ts). */
export type McpEndpointSettings = Settings<typeof mcpEndpointSettings>;

/** Reads the MCP endpoint's variables of `env` and builds the handler; throws a one-line error for a bad setting. */
export function mcpHandlerFromEnv(env: Readonly<Record<string, string | undefined>>, o: McpEnvOptions): McpHttpHandler {
  return mcpHandler(readSettings(mcpEndpointSettings, env), o);
}

/** Builds the handler from the endpoint's settings. */
export function mcpHandler(s: McpEndpointSettings, o: McpEnvOptions): McpHttpHandler {
  const mode = s.MESHPROBE_MCP_MODE;
  const hubUrl = () => (typeof o.hubUrl === 'function' ? o.hubUrl() : o.hubUrl).replace(/\/+$/, '');
  let verifier: BearerVerifier | undefined;
  if (!s.MESHPROBE_ALLOW_ANONYMOUS) {
    // The embedded hub's URL is known only after it listens: resolve the JWKS URL lazily.
    const jwksText = s.MESHPROBE_JWKS_URL;
    const jwks = jwksText ? new URL(jwksText) : () => new URL(`${hubUrl()}/.well-known/jwks.json`);
    const ttlS = s.MESHPROBE_MCP_TOKEN_CHECK_S;
    verifier = new BearerVerifier({
      jwks,
      issuer: s.MESHPROBE_TOKEN_ISSUER || DEFAULT_TOKEN_ISSUER,
      audience: s.MESHPROBE_TOKEN_AUDIENCE || DEFAULT_TOKEN_AUDIENCE,
      // Revoked tokens are refused too: the hub is asked (and the answer cached for ttlS).
      ...(ttlS !== null ? { status: new HubTokenStatus({ hubUrl, ttlMs: ttlS * 1000 }) } : {}),
    });
  }
  const perUser = s.MESHPROBE_MCP_SESSIONS_PER_USER;
  const options: McpHttpOptions = {
    hub: { url: hubUrl, ...(s.MESHPROBE_HUB_TOKEN ? { token: s.MESHPROBE_HUB_TOKEN } : {}) },
    mode,
    verifier,
    publicUrl: s.MESHPROBE_MCP_PUBLIC_URL && new URL(s.MESHPROBE_MCP_PUBLIC_URL).href,
    allowedHosts: ['localhost', '127.0.0.1', '::1', ...(o.listenHosts ?? []).filter((h) => h !== '0.0.0.0' && h !== '::'), ...s.MESHPROBE_MCP_ALLOWED_HOSTS],
    allowedOrigins: s.MESHPROBE_MCP_ALLOWED_ORIGINS,
    ...(o.version ? { version: o.version } : {}),
    ...(perUser !== undefined ? { maxSessionsPerCaller: perUser } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
    ...(o.localTokenFile ? { localTokenFile: o.localTokenFile } : {}),
  };
  return new McpHttpHandler(options);
}
