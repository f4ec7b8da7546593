/**
 * The MCP endpoint over Streamable HTTP on node:http, usable standalone (mcp/main.ts) and
 * mounted in the hub at /mcp (bin/start.ts). Each request passes, in order: the Host/Origin
 * guard (DNS rebinding; shared/net/host-guard.ts), CORS (http/cors.ts), the RFC 9728 metadata
 * (http/resource-metadata.ts), the per-IP limit, the bearer token, the per-subject limit, and
 * then the SDK transport, stateless (http/stateless-transport.ts: a fresh server per POST,
 * nothing to share between replicas) or with sessions (http/stateful-transport.ts,
 * http/session-store.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { HostGuard, isLocalClient } from '../shared/net/host-guard.ts';
import { bearerChallenge } from './auth.ts';
import type { BearerVerifier } from './auth.ts';
import { applyCors } from './http/cors.ts';
import { json, rpcError, tooMany } from './http/json-reply.ts';
import { PRM_PATH, resourceMetadataUrl, serveResourceMetadata } from './http/resource-metadata.ts';
import { StatefulTransport } from './http/stateful-transport.ts';
import { StatelessTransport } from './http/stateless-transport.ts';
import { toolHub, type ToolHubOption } from './http/tool-hub.ts';

/** Options of {@link McpHttpHandler}. */
export interface McpHttpOptions {
  /**
   * The hub the tools call. `token`: the hub credential to use; when absent, each call is
   * made with the caller's own bearer token (it was issued by this hub for its API), so the
   * hub's per-subject limits, revocation and policy apply to the real user.
   * `url` may be a function when the hub's address is known only later (the embedded hub
   * listens after its routes are built). A function instead of the object gives full control.
   */
  hub: ToolHubOption;
  /** `stateless` (default): any replica can serve any request. `stateful`: Mcp-Session-Id sessions. */
  mode?: 'stateless' | 'stateful';
  /** Bearer verification; undefined means anonymous use (only when the deployment switched it on). */
  verifier?: BearerVerifier | undefined;
  /** Path of the endpoint. Default `/mcp`. */
  path?: string;
  /**
   * The URL clients use to reach this server (scheme, host, port), for the resource metadata.
   * Default: `http://` + the request's Host header (after it passed the Host check).
   */
  publicUrl?: string | undefined;
  /**
   * Host header values (host names, no port) accepted; `*` accepts any. Default: localhost,
   * 127.0.0.1, ::1, and the host of `publicUrl`. DNS rebinding makes a browser send a
   * hostile page's requests to us with that page's name in Host, which this refuses.
   */
  allowedHosts?: string[];
  /** Origin values accepted besides those whose host is an allowed host. */
  allowedOrigins?: string[];
  /** Largest POST body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Stateful mode: sessions idle this long are closed. Default 30 minutes. */
  sessionIdleMs?: number;
  /** Stateful mode: most sessions held at once; a new one past that is refused. Default 1000. */
  maxSessions?: number;
  /**
   * Stateful mode: most sessions one caller (token subject; an anonymous client's IP) holds
   * at once; its next `initialize` is refused with 429 naming the cap. Default 8, so that one
   * user cannot take the whole of `maxSessions` (MESHPROBE_MCP_SESSIONS_PER_USER).
   */
  maxSessionsPerCaller?: number;
  /**
   * Request rates, checked on every request: first `limit(ip)` before the token is looked at,
   * then `limit(ip, subject)` after. A refusal is answered 429 with Retry-After. The embedded
   * hub passes its own buckets (hub/auth/bearer-authorize.ts createRequestLimits), so /mcp and
   * /v1 share one per-IP and one per-subject budget. Default: none (a standalone MCP server's
   * tool calls are limited by the hub they call).
   */
  limit?: (ip: string, subject?: string) => { message: string; retryAfterS: number } | undefined;
  /**
   * Where this machine keeps an admin token (the embedded launcher's `admin.token`): a 401 to
   * a client on this machine names it; remote clients (and requests relayed by a local proxy)
   * never see it. Default: unset.
   */
  localTokenFile?: string;
  /** Version reported in `initialize`. */
  version?: string;
}

/** Serves /mcp and its protected-resource metadata. */
export class McpHttpHandler {
  readonly path: string;
  readonly mode: 'stateless' | 'stateful';
  readonly #o: McpHttpOptions;
  readonly #guard: HostGuard;
  readonly #transport: StatelessTransport | StatefulTransport;
  #closed = false;

  constructor(options: McpHttpOptions) {
    this.#o = options;
    this.path = options.path ?? '/mcp';
    if (!this.path.startsWith('/') || this.path.endsWith('/')) throw new TypeError(`McpHttpHandler: path must start with '/' and not end with one: ${this.path}`);
    this.mode = options.mode ?? 'stateless';
    if (this.mode !== 'stateless' && this.mode !== 'stateful') throw new TypeError(`McpHttpHandler: mode must be 'stateless' or 'stateful', not '${String(this.mode)}'`);
    // The same guard as the hub's /v1 (shared/net/host-guard.ts).
    this.#guard = new HostGuard({
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
      publicUrl: options.publicUrl,
      hostsSetting: 'MESHPROBE_MCP_ALLOWED_HOSTS',
      originsSetting: 'MESHPROBE_MCP_ALLOWED_ORIGINS',
    });
    const transport = { hubFor: toolHub(options.hub), version: options.version, maxBodyBytes: options.maxBodyBytes ?? 1 << 20 };
    this.#transport =
      this.mode === 'stateless'
        ? new StatelessTransport(transport)
        : new StatefulTransport({ ...transport, idleMs: options.sessionIdleMs ?? 30 * 60_000, max: options.maxSessions ?? 1000, perCaller: options.maxSessionsPerCaller ?? 8 });
  }

  /** Whether `pathname` is served here (the endpoint or its metadata). */
  handles(pathname: string): boolean {
    return pathname === this.path || pathname === PRM_PATH || pathname === PRM_PATH + this.path;
  }

  /** Paths to mount in a host server: the endpoint and the two metadata locations. */
  get paths(): string[] {
    return [this.path, PRM_PATH, PRM_PATH + this.path];
  }

  /** Handles one request to one of {@link paths}; answers 404 for anything else. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#handle(req, res);
    } catch (err) {
      // Never a stack trace to the client; the SDK's own faults become a JSON-RPC error.
      if (!res.headersSent) rpcError(res, 500, -32603, `internal error: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
      else res.destroy();
    }
  }

  /** Closes every session and cancels every running call. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#transport.close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const hostRefusal = this.#guard.check(req.headers.host, req.headers.origin);
    if (hostRefusal) return rpcError(res, 403, -32000, hostRefusal);
    if (applyCors(req, res)) return;
    const metadata = { path: this.path, publicUrl: this.#o.publicUrl, verifier: this.#o.verifier };
    if (url.pathname === PRM_PATH || url.pathname === PRM_PATH + this.path) return serveResourceMetadata(req, res, metadata);
    if (url.pathname !== this.path) return rpcError(res, 404, -32000, `not found: ${url.pathname}`);
    if (this.#closed) return rpcError(res, 503, -32000, 'the MCP endpoint is shutting down');
    const ip = req.socket.remoteAddress ?? '';
    const ipLimited = this.#o.limit?.(ip);
    if (ipLimited) return tooMany(res, ipLimited);

    let auth: AuthInfo | undefined;
    if (this.#o.verifier) {
      const outcome = await this.#o.verifier.verify(req.headers.authorization);
      if (!outcome.ok) {
        if (outcome.status === 401 && this.#o.localTokenFile && isLocalClient(req.socket.remoteAddress, req.headers)) {
          outcome.description += `; on this machine an admin token is in ${this.#o.localTokenFile}`;
        }
        if (outcome.status === 503) res.setHeader('Retry-After', '5');
        else res.setHeader('WWW-Authenticate', bearerChallenge(outcome, resourceMetadataUrl(req, metadata), this.#o.verifier.requiredScope));
        res.setHeader('Cache-Control', 'no-store');
        return json(res, outcome.status, { error: outcome.error, error_description: outcome.description });
      }
      auth = outcome.auth;
    }
    (req as IncomingMessage & { auth?: AuthInfo }).auth = auth;
    // Sessions and running calls belong to the token's subject, not to one token string, so a
    // client that renews its token keeps its session.
    const caller = auth ? `sub:${auth.clientId}` : `anon:${ip}`;
    const limited = this.#o.limit?.(ip, auth ? auth.clientId : 'anonymous');
    if (limited) return tooMany(res, limited);
    return this.#transport.serve(req, res, caller);
  }
}
