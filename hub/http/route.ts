/**
 * The types routes and plug-ins share: who is asking (Principal), how a request is refused
 * (Refusal), what a route sees (RouteContext), and the seams a deployment plugs into
 * (authorize, admit, observer).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../../shared/model/errors.ts';
import type { DoneEvent, MeasurementEvent } from '../../shared/model/events.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { AgentRegistry } from '../core/agent-registry.ts';
import type { StreamCaps } from '../core/stream-caps.ts';

/** Who a request acts for, as established by `authorize`. */
export interface Principal {
  /** e.g. `anonymous`, `admin`, `telegram:42`, `agent:lax1`. */
  subject: string;
  /** e.g. `['measure']`, `['admin']`. */
  scopes: string[];
  /** The service that acts for `subject` (X-Meshprobe-On-Behalf-Of), e.g. `service:telegram`. */
  via?: string;
}

/** A refusal: the hub answers `status` with `{"error":{code,message}}` and `headers`. */
export interface Refusal {
  status: number;
  code: ErrorCode;
  /** One line, safe to show to users. */
  message: string;
  /** e.g. `WWW-Authenticate: Bearer` for 401, `Retry-After` for 429. */
  headers?: Record<string, string>;
}

/** Whether an authorize/admit answer is a refusal. */
export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && typeof (x as Refusal).status === 'number';
}

/**
 * Decides whether a request may use a route. Called once per request after the route matched,
 * except for routes marked `public`. Default: bearer tokens (hub/auth/bearer-authorize.ts).
 */
export type Authorize = (req: IncomingMessage, route: { name: string; method: string; path: string }) => Promise<Principal | Refusal>;

/**
 * Policy seam: sees every validated spec before it runs, may clamp it (return a new spec) or
 * refuse it. Default: the hub's target policy and limits (hub/core/policy-admit.ts).
 */
export type Admit = (spec: MeasurementSpec, context: { principal: Principal; req: IncomingMessage }) => Promise<MeasurementSpec | Refusal>;

/**
 * Metrics seam: every callback optional, called synchronously, exceptions swallowed (an
 * observer must never break a stream). prom-client or logs plug in here.
 */
export interface HubObserver {
  /** A request finished (or its response closed): route name, method, status, wall time. */
  request?(info: { route: string; method: string; status: number; durationMs: number }): void;
  /** A measurement stream opened. */
  streamOpened?(info: { route: string; spec: MeasurementSpec; principal: Principal }): void;
  /** Every event relayed to a client, as it is written. */
  event?(event: MeasurementEvent): void;
  /** A measurement stream ended; `aborted` when the client went away or the hub closed. */
  streamClosed?(info: { route: string; done: DoneEvent; aborted: boolean }): void;
}

/** What the hub gives every route. */
export interface HubContext {
  registry: AgentRegistry;
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** Unsent bytes a slow client may accumulate on one stream before it is cancelled. */
  maxBufferedBytes: number;
  /** A stream whose client takes no bytes for this long is cancelled and its connection closed. */
  writeTimeoutMs: number;
  /** Caps on streams open at once per subject and per IP (hub/core/stream-caps.ts). */
  streamCaps: StreamCaps;
  admit: Admit;
  observer: HubObserver;
  /** Registers a running measurement so that hub.close() can cancel it; returns the unregister. */
  track(controller: AbortController): () => void;
  /** For unexpected failures; the user only ever sees a one-line message. */
  log: (line: string) => void;
}

/** One request to one route. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Decoded `:name` segments of the route's path, e.g. `{ jti: '…' }` for `/v1/tokens/:jti`. */
  params: Record<string, string>;
  principal: Principal;
  route: HubRoute;
  hub: HubContext;
}

/** A route: path, allowed methods, handler. Extra routes come in through HubOptions.routes. */
export interface HubRoute {
  /** Stable name for metrics and authorize, e.g. `measurements`. */
  name: string;
  /** Allowed methods; a GET route also answers HEAD. */
  methods: string[];
  /**
   * Path, e.g. `/v1/measurements` (query string ignored); a `:name` segment matches any one
   * segment and reaches the handler as `params.name` (hub/http/route-table.ts). Exact paths win.
   */
  path: string;
  /** Skip `authorize` (health checks, JWKS). */
  public?: boolean;
  /** How refusals are written: the JSON error format (default) or plain text (`/v1/cli`). */
  errorFormat?: 'json' | 'text';
  handle(ctx: RouteContext): Promise<void>;
}
