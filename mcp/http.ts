/**
 * The MCP endpoint over Streamable HTTP on node:http, usable standalone (mcp/main.ts) and
 * mounted in the hub at /mcp (bin/start.ts). It checks Host/Origin (DNS rebinding), the bearer
 * token, serves the RFC 9728 protected-resource metadata, and runs the SDK transport either
 * stateless (a fresh server per POST, nothing to share between replicas) or with sessions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { HostGuard, isLocalClient, LOCAL_RELAY_FORWARDED } from '../shared/net/host-guard.ts';
import { HubClient, type HubLike } from '../shared/wire/hub-client.ts';
import { bearerChallenge } from './auth.ts';
import type { BearerVerifier } from './auth.ts';
import { createMcpServer } from './server.ts';
import type { ToolExtra } from './run-measurement.ts';

/** Options of {@link McpHttpHandler}. */
export interface McpHttpOptions {
  /**
   * The hub the tools call. `token`: the hub credential to use; when absent, each call is
   * made with the caller's own bearer token (it was issued by this hub for its API), so the
   * hub's per-subject limits, revocation and policy apply to the real user.
   * `url` may be a function when the hub's address is known only later (the embedded hub
   * listens after its routes are built). A function instead of the object gives full control.
   */
  hub: { url: string | (() => string); token?: string | undefined } | ((extra: ToolExtra) => HubLike);
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

interface Session {
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  owner: string;
  lastSeen: number;
}

const PRM_PATH = '/.well-known/oauth-protected-resource';

/** Serves /mcp and its protected-resource metadata. */
export class McpHttpHandler {
  readonly path: string;
  readonly mode: 'stateless' | 'stateful';
  readonly #o: McpHttpOptions;
  readonly #guard: HostGuard;
  readonly #sessions = new Map<string, Session>();
  /** Sessions being initialised, per caller: counted against the caps before they exist. */
  readonly #opening = new Map<string, number>();
  /** Stateless mode: running calls by caller and JSON-RPC id, so a cancel POST can find them. */
  readonly #inflight = new Map<string, AbortController>();
  readonly #sweeper: NodeJS.Timeout | undefined;
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
    if (this.mode === 'stateful') {
      const idle = options.sessionIdleMs ?? 30 * 60_000;
      this.#sweeper = setInterval(() => this.#sweep(idle), Math.min(idle, 60_000));
      this.#sweeper.unref();
    }
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
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const ac of this.#inflight.values()) ac.abort();
    this.#inflight.clear();
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.close()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const hostRefusal = this.#guard.check(req.headers.host, req.headers.origin);
    if (hostRefusal) return rpcError(res, 403, -32000, hostRefusal);
    // Browser clients (an inspector page on an allowed origin) need CORS; the Origin was
    // checked above, so echoing it grants nothing a foreign page could use.
    if (typeof req.headers.origin === 'string') {
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
      res.setHeader('Access-Control-Expose-Headers', 'Mcp-Session-Id, WWW-Authenticate, Retry-After');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      });
      return void res.end();
    }
    if (url.pathname === PRM_PATH || url.pathname === PRM_PATH + this.path) return this.#metadata(req, res);
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
        else res.setHeader('WWW-Authenticate', bearerChallenge(outcome, this.#metadataUrl(req), this.#o.verifier.requiredScope));
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

    if (this.mode === 'stateless') return this.#stateless(req, res, caller);
    return this.#stateful(req, res, caller);
  }

  async #stateless(req: IncomingMessage, res: ServerResponse, caller: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return rpcError(res, 405, -32000, `${req.method} is not supported: this endpoint is stateless (POST only)`);
    }
    const body = await this.#readJson(req, res);
    if (body === undefined) return;
    const messages = (Array.isArray(body) ? body : [body]) as { id?: unknown; method?: unknown; params?: { requestId?: unknown } }[];

    // A cancel arrives in a POST of its own, to a server instance that never saw the call:
    // find the call by who sent it and its id, and abort it here.
    for (const m of messages) {
      if (m?.method === 'notifications/cancelled' && m.params?.requestId !== undefined) {
        this.#inflight.get(inflightKey(caller, m.params.requestId))?.abort();
      }
    }
    const ac = new AbortController();
    const keys = messages.filter((m) => m && typeof m.method === 'string' && m.id !== undefined).map((m) => inflightKey(caller, m.id));
    for (const k of keys) this.#inflight.set(k, ac);

    const server = createMcpServer({ hubFor: this.#hubFor(), signal: ac.signal, ...(this.#o.version ? { version: this.#o.version } : {}) });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      // Also when the client hung up mid-call: the measurement stops on the agents.
      ac.abort();
      for (const k of keys) if (this.#inflight.get(k) === ac) this.#inflight.delete(k);
      void transport.close().catch(() => {});
      void server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async #stateful(req: IncomingMessage, res: ServerResponse, caller: string): Promise<void> {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid) {
      const s = this.#sessions.get(sid);
      // Another caller's session id is answered like an unknown one: no session hijacking.
      if (!s || s.owner !== caller) return rpcError(res, 404, -32001, 'session not found');
      s.lastSeen = Date.now();
      const body = req.method === 'POST' ? await this.#readJson(req, res) : undefined;
      if (req.method === 'POST' && body === undefined) return;
      if (req.method === 'POST') this.#cancelOnHangUp(s, res, body);
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST') return rpcError(res, 400, -32000, 'missing Mcp-Session-Id header');
    const body = await this.#readJson(req, res);
    if (body === undefined) return;
    if (!isInitializeRequest(body)) return rpcError(res, 400, -32000, 'no session: send initialize first (without Mcp-Session-Id)');
    const perCaller = this.#o.maxSessionsPerCaller ?? 8;
    let held = this.#opening.get(caller) ?? 0;
    for (const s of this.#sessions.values()) if (s.owner === caller) held++;
    if (held >= perCaller) {
      const who = caller.startsWith('sub:') ? caller.slice(4) : `anonymous clients at ${caller.slice(5)}`;
      return rpcError(res, 429, -32000, `too many MCP sessions for ${who}: the cap is ${perCaller} per user; end one (DELETE with its Mcp-Session-Id) or let it idle out`);
    }
    let opening = 0;
    for (const n of this.#opening.values()) opening += n;
    const max = this.#o.maxSessions ?? 1000;
    if (this.#sessions.size + opening >= max) return rpcError(res, 503, -32000, `too many MCP sessions: the cap is ${max} in all; try again later`);
    // Counted from here until the session exists (or failed to), so concurrent initialize
    // requests cannot all pass the check above before the first one is registered.
    this.#opening.set(caller, (this.#opening.get(caller) ?? 0) + 1);
    try {
      await this.#open(req, res, body, caller);
    } finally {
      const n = (this.#opening.get(caller) ?? 1) - 1;
      if (n > 0) this.#opening.set(caller, n);
      else this.#opening.delete(caller);
    }
  }

  async #open(req: IncomingMessage, res: ServerResponse, body: unknown, caller: string): Promise<void> {
    const server = createMcpServer({ hubFor: this.#hubFor(), ...(this.#o.version ? { version: this.#o.version } : {}) });
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = {
          transport,
          owner: caller,
          lastSeen: Date.now(),
          close: async () => {
            await transport.close().catch(() => {});
            await server.close().catch(() => {});
          },
        };
        this.#sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        this.#sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId && this.#sessions.get(transport.sessionId) === session) this.#sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /**
   * A client that drops the connection of a running call will never read its answer (we keep
   * no event store to resume from), so the call is cancelled as if it had sent
   * notifications/cancelled: the measurement stops on the agents.
   */
  #cancelOnHangUp(s: Session, res: ServerResponse, body: unknown): void {
    const ids = (Array.isArray(body) ? body : [body])
      .filter((m): m is { id: string | number; method: string } => typeof m?.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number'))
      .map((m) => m.id);
    if (!ids.length) return;
    res.on('close', () => {
      if (res.writableFinished) return;
      for (const requestId of ids) {
        s.transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client disconnected' } });
      }
    });
  }

  #hubFor(): (extra: ToolExtra) => HubLike {
    const hub = this.#o.hub;
    if (typeof hub === 'function') return hub;
    return (extra) => {
      const token = hub.token ?? extra.authInfo?.token;
      return new HubClient({ url: typeof hub.url === 'function' ? hub.url() : hub.url, ...(token ? { token } : {}), fetch: relayFetch });
    };
  }

  #metadata(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return json(res, 405, { error: 'method_not_allowed' });
    }
    const v = this.#o.verifier;
    const doc: Record<string, unknown> = {
      resource: this.#baseUrl(req) + this.path,
      bearer_methods_supported: ['header'],
      resource_name: 'meshprobe MCP server',
      scopes_supported: [v?.requiredScope ?? 'measure'],
    };
    if (v && /^https?:\/\//.test(v.issuer)) doc.authorization_servers = [v.issuer];
    if (!res.hasHeader('Access-Control-Allow-Origin')) res.setHeader('Access-Control-Allow-Origin', '*');
    json(res, 200, doc);
  }

  #metadataUrl(req: IncomingMessage): string {
    return this.#baseUrl(req) + PRM_PATH + this.path;
  }

  #baseUrl(req: IncomingMessage): string {
    if (this.#o.publicUrl) return this.#o.publicUrl.replace(/\/+$/, '');
    return `http://${req.headers.host ?? 'localhost'}`;
  }

  /** Reads and parses a JSON body; on failure answers the request and returns undefined. */
  async #readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const max = this.#o.maxBodyBytes ?? 1 << 20;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      rpcError(res, 413, -32000, `request body too large (at most ${max} bytes)`);
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        rpcError(res, 413, -32000, `request body too large (at most ${max} bytes)`);
        return undefined;
      }
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    } catch {
      rpcError(res, 400, -32700, 'parse error: the body is not JSON');
      return undefined;
    }
  }

  #sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [id, s] of this.#sessions) {
      if (s.lastSeen < cutoff) {
        this.#sessions.delete(id);
        void s.close();
      }
    }
  }
}

/** fetch that marks the MCP server's calls as relayed for its clients (see isLocalClient). */
const relayFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('forwarded', LOCAL_RELAY_FORWARDED);
  return fetch(input, { ...init, headers });
};

function inflightKey(caller: string, id: unknown): string {
  return `${caller}\u0000${JSON.stringify(id)}`;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function tooMany(res: ServerResponse, refusal: { message: string; retryAfterS: number }): void {
  res.setHeader('Retry-After', String(refusal.retryAfterS));
  rpcError(res, 429, -32000, refusal.message);
}

function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}
