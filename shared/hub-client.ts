/**
 * The hub's public HTTP API as a small client, built on `fetch` only so that every front-end
 * (CLI, bots, MCP server, the Email Worker in workerd) speaks to the hub the same way.
 */
import type { AgentInfo } from './agent-link.ts';
import { ErrorCode, MeshprobeError } from './errors.ts';
import type { MeasurementEvent } from './events.ts';
import { splitLines } from './ndjson.ts';
import type { MeasurementSpecInput } from './spec.ts';

/** Options of {@link HubClient}. */
export interface HubClientOptions {
  /** Base URL of the hub, e.g. `http://127.0.0.1:7464`. A trailing `/` is tolerated. */
  url: string;
  /** Bearer token (a JWT) sent as `Authorization: Bearer …`. Default: none (anonymous). */
  token?: string;
  /** The fetch to use. Default: the global `fetch`; pass one to route through a custom agent. */
  fetch?: typeof fetch;
}

/** Per-call options. */
export interface HubCallOptions {
  /** Aborting cancels the request; the hub then cancels the measurement on its agents. */
  signal?: AbortSignal;
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

/**
 * An error the hub answered with, or a failure to reach it. `status` is the HTTP status
 * (0 when there was no answer); `detail` holds extra lines such as a command's usage.
 */
export class HubError extends MeshprobeError {
  readonly status: number;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, message: string, options: { status: number; detail?: string; cause?: unknown }) {
    super(code, message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'HubError';
    this.status = options.status;
    this.detail = options.detail;
  }
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** A client of one hub. Stateless between calls; safe to share. */
export class HubClient {
  readonly url: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

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
    // Bound so that runtimes which require `this === globalThis` (workerd, browsers) are happy.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /**
   * Runs a measurement and yields its events as the hub streams them; the last one is `done`.
   * Throws a {@link HubError}: BadRequest (the spec was refused, with the hub's one-line reason),
   * Unauthorized/Forbidden/RateLimited, HubUnreachable (no answer, or the stream broke before
   * `done`), Cancelled (the signal was aborted).
   */
  async *measure(spec: MeasurementSpecInput, options: HubCallOptions = {}): AsyncGenerator<MeasurementEvent> {
    const res = await this.#request('/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      body: JSON.stringify(spec),
    }, options.signal);
    let sawDone = false;
    try {
      for await (const line of splitLines(res.body!)) {
        let event: MeasurementEvent;
        try {
          event = JSON.parse(line) as MeasurementEvent;
        } catch (cause) {
          throw new HubError(ErrorCode.HubUnreachable, 'the hub sent a line that is not JSON', { status: res.status, cause });
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
    if (!sawDone) throw new HubError(ErrorCode.HubUnreachable, 'the hub closed the stream before it was done', { status: res.status });
  }

  /**
   * Sends one command line of the shared grammar to `POST /v1/cli` and yields the rendered text
   * as it streams. A refused line throws a {@link HubError} BadRequest whose message is the
   * one-line reason and whose `detail` is the command's usage.
   */
  async *cli(line: string, options: HubCallOptions = {}): AsyncGenerator<string> {
    const res = await this.#request('/v1/cli', {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=utf-8', accept: 'text/plain' },
      body: line,
    }, options.signal);
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
    const res = await this.#request('/v1/agents', { method: 'GET', headers: { accept: 'application/json' } }, options.signal);
    const body = (await this.#json(res)) as { agents?: AgentInfo[] };
    if (!Array.isArray(body.agents)) throw new HubError(ErrorCode.HubUnreachable, 'the hub answered /v1/agents without an agents list', { status: res.status });
    return body.agents;
  }

  /** The hub's name and version (`GET /v1/version`). */
  async version(options: HubCallOptions = {}): Promise<HubVersion> {
    const res = await this.#request('/v1/version', { method: 'GET', headers: { accept: 'application/json' } }, options.signal);
    return (await this.#json(res)) as HubVersion;
  }

  /** Sends a request; resolves with a 2xx response that has a body, or throws a HubError. */
  async #request(path: string, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.#token) headers.set('authorization', `Bearer ${this.#token}`);
    let res: Response;
    try {
      res = await this.#fetch(this.url + path, { ...init, headers, ...(signal ? { signal } : {}) });
    } catch (cause) {
      if (signal?.aborted) throw cancelled(cause);
      throw new HubError(ErrorCode.HubUnreachable, `cannot reach the hub at ${this.url}: ${causeText(cause)}`, { status: 0, cause });
    }
    if (!res.ok) throw await refusal(res);
    if (!res.body) throw new HubError(ErrorCode.HubUnreachable, `the hub answered ${path} with an empty body`, { status: res.status });
    return res;
  }

  async #json(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch (cause) {
      throw new HubError(ErrorCode.HubUnreachable, 'the hub answered with something that is not JSON', { status: res.status, cause });
    }
  }

  #streamError(err: unknown, signal: AbortSignal | undefined, status: number): unknown {
    if (err instanceof HubError) return err;
    if (signal?.aborted) return cancelled(err);
    return new HubError(ErrorCode.HubUnreachable, `the stream from the hub broke: ${causeText(err)}`, { status, cause: err });
  }
}

/** Turns a non-2xx answer into a HubError with the hub's own one-line reason. */
async function refusal(res: Response): Promise<HubError> {
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
  return new HubError(code, message, { status: res.status, ...(detail !== undefined ? { detail } : {}) });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 400 || status === 413 || status === 404 || status === 405) return ErrorCode.BadRequest;
  if (status === 401) return ErrorCode.Unauthorized;
  if (status === 403) return ErrorCode.Forbidden;
  if (status === 429) return ErrorCode.RateLimited;
  return ErrorCode.HubUnreachable;
}

function cancelled(cause: unknown): HubError {
  return new HubError(ErrorCode.Cancelled, 'cancelled', { status: 0, cause });
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
