/**
 * The hub's public HTTP API as a small client, built on `fetch` only so that every front-end
 * (CLI, bots, MCP server, the Email Worker in workerd) speaks to the hub the same way.
 */
import type { BgpRouteLine, IpinfoAnswer, RoutesDone } from '../render/path-info-text.ts';
import { routeQueryString, type RouteQuery } from '../command/path-commands.ts';
import type { AgentInfo } from './agent-link.ts';
import { delegatedSubjectProblem, ON_BEHALF_OF_HEADER } from './delegated-subject.ts';
import { ErrorCode, HubCancelledError, HubError, HubRefusedError, HubUnreachableError, MeshprobeError } from '../model/errors.ts';
import type { MeasurementEvent } from '../model/events.ts';
import { splitLines } from './ndjson.ts';
import type { MeasurementSpecInput } from '../model/spec.ts';
import type { MonitorCreateRequest, MonitorDetail, MonitorSamplesResponse, MonitorView } from '../model/monitor-types.ts';
import { formatDuration } from '../model/duration.ts';

/** Options of {@link HubClient}. */
export interface HubClientOptions {
  /** Base URL of the hub, e.g. `http://127.0.0.1:7464`. A trailing `/` is tolerated. */
  url: string;
  /** Bearer token (a JWT) sent as `Authorization: Bearer …`. Default: none (anonymous). */
  token?: string;
  /** The fetch to use. Default: the global `fetch`; pass one to route through a custom agent. */
  fetch?: typeof fetch;
  /**
   * The end user every call acts for (`telegram:<id>`, `email:<address>`), sent as
   * `X-Meshprobe-On-Behalf-Of` so the hub limits and logs that user rather than the service.
   * Needs a token with the `delegate` scope (the hub answers 403 otherwise). Default: none.
   */
  onBehalfOf?: string;
}

/** Per-call options. */
export interface HubCallOptions {
  /** Aborting cancels the request; the hub then cancels the measurement on its agents. */
  signal?: AbortSignal;
  /** The end user this call acts for; overrides the client's `onBehalfOf`. Default: the client's. */
  onBehalfOf?: string;
}

/** What {@link HubClient.createToken} asks for. */
export interface CreateTokenRequest {
  /** Subject of the new token, e.g. `telegram:12345`. */
  sub: string;
  /** Scopes, space-separated or as a list. Default (the hub's): `measure`. */
  scope?: string | string[];
  /** Lifetime: seconds, or a duration such as `90m`, `12h`, `30d`. Default: the hub's. */
  ttl?: number | string;
}

/** A token the hub minted (`POST /v1/tokens`). */
export interface CreatedToken {
  token: string;
  jti: string;
  sub: string;
  /** Space-separated scopes. */
  scope: string;
  /** ISO time of expiry. */
  expiresAt: string;
}

/** Who the hub takes the caller for (`GET /v1/whoami`). */
export interface WhoAmI {
  /** The subject: the token's, or the delegated end user's. */
  sub: string;
  /** Space-separated scopes. */
  scope: string;
  /** The service acting for `sub`, when the call carried `X-Meshprobe-On-Behalf-Of`. */
  via?: string;
  /** The token's id and expiry (absent for anonymous use). */
  jti?: string;
  expiresAt?: string;
}

/** What `GET /v1/version` answers. */
export interface HubVersion {
  name: string;
  version: string;
  /** API generation; bumped on an incompatible change of the routes or the event stream. */
  api: number;
  /** The hub's runtime, e.g. `node v24.21.0`. */
  runtime?: string;
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** PATCH /v1/monitors/{id}: what `monitor pause|resume` and edits change (every field optional). */
export type MonitorPatch = Partial<Omit<MonitorCreateRequest, 'target' | 'type'>>;

/** Query of GET /v1/monitors/{id}/samples. `from`/`to`: ms since the epoch; `stepMs`: the step. */
export interface MonitorSamplesQuery {
  agent?: string;
  from?: number;
  to?: number;
  stepMs?: number;
}

/** Query of GET /v1/monitors/{id}/heatmap.png. */
export interface MonitorHeatmapQuery {
  /** One agent's heatmap; default: the hub's choice (every agent merged). */
  agent?: string;
  /** The time covered, ms; default: the hub's (24 h). */
  rangeMs?: number;
}

/** The monitor calls of the hub (REST /v1/monitors), as the front-ends make them for a user. */
export type MonitorHubLike = Pick<HubClient, 'createMonitor' | 'listMonitors' | 'showMonitor' | 'updateMonitor' | 'removeMonitor' | 'monitorSamples' | 'monitorHeatmap'>;

/**
 * The hub calls a front-end makes for an end user (measure, list agents, version, monitors, and
 * `ipinfo`/`route` where the stand-in has them): what
 * the MCP tools and both email gateways are given. {@link HubClient} satisfies it; tests pass a stand-in.
 */
export type HubLike = Pick<HubClient, 'measure' | 'agents' | 'version'> & MonitorHubLike & Partial<Pick<HubClient, 'ipinfo' | 'routes'>>;

/** A client of one hub. Stateless between calls; safe to share. */
export class HubClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #onBehalfOf: string | undefined;

  constructor(options: HubClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new MeshprobeError(ErrorCode.BadRequest, `hub URL is not a URL: ${options.url}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new MeshprobeError(ErrorCode.BadRequest, `hub URL must start with http:// or https://: ${options.url}`);
    }
    this.url = parsed.href.replace(/\/+$/, '');
    this.#token = options.token || undefined;
    this.#onBehalfOf = options.onBehalfOf === undefined ? undefined : checkedSubject(options.onBehalfOf);
    // Bound so that runtimes which require `this === globalThis` (workerd, browsers) are happy.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * The same client acting for `subject` (`telegram:<id>`, `email:<address>`): a front-end with
   * one service token makes one of these per end user. Throws a BadRequest MeshprobeError for
   * a subject the hub would refuse.
   */
  onBehalfOf(subject: string): HubClient {
    return new HubClient({
      url: this.url,
      ...(this.#token ? { token: this.#token } : {}),
      fetch: this.#fetch,
      onBehalfOf: subject,
    });
  }

  /**
   * Runs a measurement and yields its events as the hub streams them; the last one is `done`.
   * Throws a {@link HubError}: a {@link HubRefusedError} (BadRequest: the spec was refused, with
   * the hub's one-line reason; Unauthorized/Forbidden/RateLimited), a {@link HubUnreachableError}
   * (no answer, or the stream broke before `done`), a {@link HubCancelledError} (the signal was
   * aborted).
   */
  async *measure(spec: MeasurementSpecInput, options: HubCallOptions = {}): AsyncGenerator<MeasurementEvent> {
    const res = await this.#request('/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify(spec),
    }, options);
    let sawDone = false;
    try {
      for await (const line of splitLines(res.body!)) {
        let event: MeasurementEvent;
        try {
          event = JSON.parse(line) as MeasurementEvent;
        } catch (cause) {
          throw new HubUnreachableError('the hub sent a line that is not JSON', { status: res.status, cause });
        }
        yield event;
        if (event.type === 'done') {
          sawDone = true;
          return;
        }
      }
    } catch (err) {
      throw this.#streamError(err, options.signal, res.status);
    }
    if (!sawDone) throw new HubUnreachableError('the hub closed the stream before it was done', { status: res.status });
  }

  /**
   * Sends one command line of the shared grammar to `POST /v1/cli` and yields the rendered text
   * as it streams. A refused line throws a {@link HubRefusedError} BadRequest whose message is the
   * one-line reason and whose `detail` is the command's usage.
   */
  async *cli(line: string, options: HubCallOptions = {}): AsyncGenerator<string> {
    const res = await this.#request('/v1/cli', {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'text/plain' },
      body: line,
    }, options);
    const decoder = new TextDecoder('utf-8');
    const reader = res.body!.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        const text = decoder.decode(value, { stream: true });
        if (text) yield text;
      }
      const rest = decoder.decode();
      if (rest) yield rest;
    } catch (err) {
      throw this.#streamError(err, options.signal, res.status);
    } finally {
      await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  /** The agents the hub knows (`GET /v1/agents`). */
  async agents(options: HubCallOptions = {}): Promise<AgentInfo[]> {
    const res = await this.#request('/v1/agents', { method: 'GET', headers: { accept: 'application/json' } }, options);
    const body = (await this.#json(res)) as { agents?: AgentInfo[] };
    if (!Array.isArray(body.agents)) throw new HubUnreachableError('the hub answered /v1/agents without an agents list', { status: res.status });
    return body.agents;
  }

  /** What the hub knows of an address (`GET /v1/ipinfo/ADDR`): enrichment, waiting for online sources. */
  async ipinfo(address: string, options: HubCallOptions = {}): Promise<IpinfoAnswer> {
    const res = await this.#request(`/v1/ipinfo/${encodeURIComponent(address)}`, { method: 'GET', headers: { accept: 'application/json' } }, options);
    return (await this.#json(res)) as IpinfoAnswer;
  }

  /**
   * Routes of the hub's BGP table (`GET /v1/routes?…`, NDJSON: `route` lines, then `done`). The
   * answer is bounded by `limit` (at most 10,000), so it is read whole.
   */
  async routes(query: RouteQuery, limit?: number, options: HubCallOptions = {}): Promise<{ routes: BgpRouteLine[]; done: RoutesDone | undefined }> {
    const res = await this.#request(`/v1/routes?${routeQueryString(query, limit)}`, { method: 'GET', headers: { accept: 'application/x-ndjson' } }, options);
    const routes: BgpRouteLine[] = [];
    let done: RoutesDone | undefined;
    for (const line of (await res.text()).split('\n')) {
      if (!line.trim()) continue;
      const v = JSON.parse(line) as { type?: string } & Record<string, unknown>;
      if (v.type === 'route') routes.push(v as unknown as BgpRouteLine);
      else if (v.type === 'done') done = v as unknown as RoutesDone;
    }
    return { routes, done };
  }

  /** The hub's name and version (`GET /v1/version`). */
  async version(options: HubCallOptions = {}): Promise<HubVersion> {
    const res = await this.#request('/v1/version', { method: 'GET', headers: { accept: 'application/json' } }, options);
    return (await this.#json(res)) as HubVersion;
  }

  /**
   * Asks the hub to mint a token (`POST /v1/tokens`; needs the admin or token:create scope).
   * Throws a {@link HubError}: BadRequest (bad sub, scope or ttl), Forbidden (the caller may not
   * mint that), Unauthorized, HubUnreachable.
   */
  async createToken(request: CreateTokenRequest, options: HubCallOptions = {}): Promise<CreatedToken> {
    const res = await this.#request('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
    }, options);
    const body = (await this.#json(res)) as Partial<CreatedToken>;
    if (typeof body.token !== 'string') throw new HubUnreachableError('the hub answered /v1/tokens without a token', { status: res.status });
    return body as CreatedToken;
  }

  /**
   * Revokes a token by its id (`POST /v1/tokens/revoke`; needs the admin scope): the hub refuses
   * it from its next use on. Throws a {@link HubError} like {@link HubClient.createToken}.
   */
  async revokeToken(jti: string, options: HubCallOptions = {}): Promise<void> {
    const res = await this.#request('/v1/tokens/revoke', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jti }),
    }, options);
    await this.#json(res);
  }

  /** Who the hub takes this client for (`GET /v1/whoami`): subject, scopes, `via` when delegated. */
  async whoami(options: HubCallOptions = {}): Promise<WhoAmI> {
    const res = await this.#request('/v1/whoami', { method: 'GET', headers: { accept: 'application/json' } }, options);
    return (await this.#json(res)) as WhoAmI;
  }

  /**
   * Creates a monitor (`POST /v1/monitors`; scope monitor:write). Throws a {@link HubError}: a
   * {@link HubRefusedError} with the hub's one-line reason (BadRequest, Forbidden or Policy for a
   * refused target, LimitReached naming the cap), or HubUnreachable.
   */
  async createMonitor(request: MonitorCreateRequest, options: HubCallOptions = {}): Promise<MonitorView> {
    const res = await this.#request('/v1/monitors', jsonBody('POST', request), options);
    return unwrap<MonitorView>(await this.#json(res), 'monitor', res.status);
  }

  /** The caller's monitors with their statistics per agent (`GET /v1/monitors`; scope monitor:read). */
  async listMonitors(options: HubCallOptions = {}): Promise<MonitorView[]> {
    const res = await this.#request('/v1/monitors', { method: 'GET', headers: { accept: 'application/json' } }, options);
    const body = (await this.#json(res)) as { monitors?: MonitorView[] } | MonitorView[];
    const list = Array.isArray(body) ? body : body.monitors;
    if (!Array.isArray(list)) throw new HubUnreachableError('the hub answered /v1/monitors without a monitors list', { status: res.status });
    return list;
  }

  /**
   * One monitor by id or name with its statistics over `rangeMs` (default: the hub's, 24 h), route
   * and address changes and the alerts holding (`GET /v1/monitors/{id}?range=`). NotFound when the
   * caller has no such monitor.
   */
  async showMonitor(ref: string | number, rangeMs?: number, options: HubCallOptions = {}): Promise<MonitorDetail> {
    const query = rangeMs !== undefined ? `?range=${encodeURIComponent(formatDuration(rangeMs))}` : '';
    const res = await this.#request(`${monitorPath(ref)}${query}`, { method: 'GET', headers: { accept: 'application/json' } }, options);
    return unwrap<MonitorDetail>(await this.#json(res), 'monitor', res.status);
  }

  /** Changes a monitor (`PATCH /v1/monitors/{id}`): pause/resume, interval, agents, alerts. */
  async updateMonitor(ref: string | number, patch: MonitorPatch, options: HubCallOptions = {}): Promise<MonitorView> {
    const res = await this.#request(monitorPath(ref), jsonBody('PATCH', patch), options);
    return unwrap<MonitorView>(await this.#json(res), 'monitor', res.status);
  }

  /** Removes a monitor and its history (`DELETE /v1/monitors/{id}`); resolves with its id and name. */
  async removeMonitor(ref: string | number, options: HubCallOptions = {}): Promise<{ id: number; name: string }> {
    const res = await this.#request(monitorPath(ref), { method: 'DELETE', headers: { accept: 'application/json' } }, options);
    return unwrap<{ id: number; name: string }>(await this.#json(res), 'removed', res.status);
  }

  /** The per-step samples of a monitor (`GET /v1/monitors/{id}/samples?agent=&from=&to=&step=`). */
  async monitorSamples(ref: string | number, q: MonitorSamplesQuery = {}, options: HubCallOptions = {}): Promise<MonitorSamplesResponse> {
    const params = new URLSearchParams();
    if (q.agent !== undefined) params.set('agent', q.agent);
    if (q.from !== undefined) params.set('from', String(q.from));
    if (q.to !== undefined) params.set('to', String(q.to));
    if (q.stepMs !== undefined) params.set('step', formatDuration(q.stepMs));
    const query = params.size ? `?${params}` : '';
    const res = await this.#request(`${monitorPath(ref)}/samples${query}`, { method: 'GET', headers: { accept: 'application/json' } }, options);
    return (await this.#json(res)) as MonitorSamplesResponse;
  }

  /**
   * The heatmap of a monitor as PNG bytes (`GET /v1/monitors/{id}/heatmap.png?agent=&range=`).
   * Throws HubUnreachable when the answer is not a PNG, or bigger than `maxBytes` (default 8 MiB).
   */
  async monitorHeatmap(ref: string | number, q: MonitorHeatmapQuery = {}, options: HubCallOptions & { maxBytes?: number } = {}): Promise<Uint8Array> {
    const params = new URLSearchParams();
    if (q.agent !== undefined) params.set('agent', q.agent);
    if (q.rangeMs !== undefined) params.set('range', formatDuration(q.rangeMs));
    const query = params.size ? `?${params}` : '';
    const res = await this.#request(`${monitorPath(ref)}/heatmap.png${query}`, { method: 'GET', headers: { accept: 'image/png' } }, options);
    const max = options.maxBytes ?? 8 * 1024 * 1024;
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > max) {
      await res.body?.cancel().catch(() => {});
      throw new HubUnreachableError(`the heatmap is larger than ${max} bytes`, { status: res.status });
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw this.#streamError(cause, options.signal, res.status);
    }
    if (bytes.byteLength > max) throw new HubUnreachableError(`the heatmap is larger than ${max} bytes`, { status: res.status });
    if (!isPng(bytes)) throw new HubUnreachableError('the hub answered the heatmap with something that is not a PNG', { status: res.status });
    return bytes;
  }

  /** Sends a request; resolves with a 2xx response that has a body, or throws a HubError. */
  async #request(path: string, init: RequestInit, options: HubCallOptions): Promise<Response> {
    const signal = options.signal;
    const headers = new Headers(init.headers);
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    const onBehalfOf = options.onBehalfOf === undefined ? this.#onBehalfOf : checkedSubject(options.onBehalfOf);
    if (onBehalfOf !== undefined) headers.set(ON_BEHALF_OF_HEADER, onBehalfOf);
    let res: Response;
    try {
      res = await this.#fetch(this.url + path, { ...init, headers, ...(signal ? { signal } : {}) });
    } catch (cause) {
      if (signal?.aborted) throw cancelled(cause);
      throw new HubUnreachableError(withoutCredentials(`cannot reach the hub at ${this.url}: ${causeText(cause)}`), { status: 0, cause });
    }
    if (!res.ok) throw await refusal(res);
    if (!res.body) throw new HubUnreachableError(`the hub answered ${path} with an empty body`, { status: res.status });
    return res;
  }

  async #json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch (cause) {
      throw new HubUnreachableError('the hub answered with something that is not JSON', { status: res.status, cause });
    }
  }

  #streamError(err: unknown, signal: AbortSignal | undefined, status: number): unknown {
    if (err instanceof HubError) return err;
    if (signal?.aborted) return cancelled(err);
    return new HubUnreachableError(`the stream from the hub broke: ${causeText(err)}`, { status, cause: err });
  }
}

/** `/v1/monitors/{ref}`, the id or name escaped. */
function monitorPath(ref: string | number): string {
  return `/v1/monitors/${encodeURIComponent(String(ref))}`;
}

function jsonBody(method: string, body: unknown): RequestInit {
  return { method, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) };
}

/** The object itself, or the one under `key` when the hub wraps it (`{"monitor": {...}}`). */
function unwrap<T>(body: unknown, key: string, status: number): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HubUnreachableError('the hub answered with JSON that is not an object', { status });
  const inner = (body as Record<string, unknown>)[key];
  return (inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? inner : body) as T;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.byteLength > PNG_SIGNATURE.length && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

/** The subject, or a BadRequest error with the reason the hub would give. */
function checkedSubject(subject: string): string {
  const problem = delegatedSubjectProblem(subject);
  if (problem) throw new MeshprobeError(ErrorCode.BadRequest, problem);
  return subject;
}

/** Turns a non-2xx answer into a HubRefusedError with the hub's own one-line reason. */
async function refusal(res: Response): Promise<HubRefusedError> {
  const fallback = codeForStatus(res.status);
  const text = await res.text().catch(() => '');
  let code: ErrorCode = fallback;
  let message = '';
  let detail: string | undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (body.error?.code && KNOWN_CODES.has(body.error.code)) code = body.error.code as ErrorCode;
      message = body.error?.message ?? '';
    } catch {
      // Not the JSON it claims to be: fall through to the text.
    }
  }
  if (!message) {
    // Plain-text refusals (POST /v1/cli) are the reason on the first line, then the usage.
    const lines = text.replace(/\r/g, '').split('\n');
    message = (lines[0] ?? '').trim();
    const rest = lines.slice(1).join('\n').trim();
    if (rest) detail = rest;
  }
  if (!message) message = `the hub answered HTTP ${res.status}`;
  return new HubRefusedError(code, message, { status: res.status, ...(detail !== undefined ? { detail } : {}) });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 413 || status === 404 || status === 405) return ErrorCode.BadRequest;
  if (status === 401) return ErrorCode.Unauthorized;
  if (status === 403) return ErrorCode.Forbidden;
  if (status === 429) return ErrorCode.RateLimited;
  return ErrorCode.HubUnreachable;
}

function cancelled(cause: unknown): HubCancelledError {
  return new HubCancelledError(cause);
}

/** `text` without any `user:password@` of a URL in it: messages never carry secrets. */
function withoutCredentials(text: string): string {
  return text.replace(/\/\/[^/\s@]*:[^/\s@]*@/g, '//');
}

/** The most specific one-line reason fetch gives (undici hides it in `cause`). */
function causeText(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 3 && e instanceof Error && e.cause !== undefined; i++) e = e.cause;
  const base = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  const text = typeof code === 'string' && !base.includes(code) ? `${code} ${base}` : base;
  return text.split('\n')[0]!.trim();
}
