/**
 * The types routes and plug-ins share: who is asking (Principal) and how a request is refused
 * (Refusal), both transport-free in hub/core/principal.ts; what a route sees (RouteContext); and
 * the seams a deployment plugs into (authorize, admit, observer).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal, Refusal } from '../core/principal.ts';
import type { Admit as CoreAdmit } from '../core/admit.ts';
import type { DoneEvent, InfoEvent, MeasurementEvent } from '../../shared/model/events.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { AgentDirectory } from '../core/agent-directory.ts';
import type { StreamCaps } from '../core/stream-caps.ts';
import type { MonitorApi } from '../core/monitor-api.ts';
import type { AddressInfo } from '../../shared/net/address-info.ts';
import type { RouteIndex } from '../bgp/route-index.ts';
import type { FinishedStreams } from '../core/finished-streams.ts';


/**
 * Decides whether a request may use a route. Called once per request after the route matched,
 * except for routes marked `public`. Default: bearer tokens (hub/auth/bearer-authorize.ts).
 */
export type Authorize = (req: IncomingMessage, route: { name: string; method: string; path: string }) => Promise<Principal | Refusal>;

/**
 * Policy seam (hub/core/admit.ts) with the HTTP request at hand. Default: the hub's target
 * policy and limits (hub/core/policy-admit.ts).
 */
export type Admit = CoreAdmit<IncomingMessage>;

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
  registry: AgentDirectory;
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
  /** The hub's monitors (hub/core/monitor-service.ts), for the monitor routes and /v1/cli; absent without a store. */
  monitors?: MonitorApi;
  /** Adds enrichment (ASN, place, labels) to each event as it passes (hub/enrich/); absent: none. */
  enrich?: (e: MeasurementEvent) => MeasurementEvent;
  /** `ipinfo` and `route` (issue 16): the enricher's settled lookup and the BGP table; absent: none. */
  paths?: HubPaths;
  /** Finished streams kept for share links (hub/core/finished-streams.ts); absent: none are kept. */
  finished?: FinishedStreams;
  /**
   * One stream's enrichment with late answers (hub/enrich/late-info.ts): used instead of `enrich`
   * when present; `emit` sends an `info` event into the stream. Absent: `enrich` alone.
   */
  enrichStream?: (emit: (e: InfoEvent) => void) => StreamEnrichment;
  /** What the enrichment knows of an agent's connecting address (`list`); absent: nothing added. */
  enrichAgent?: (address: string) => AddressInfo | undefined;
}

/** One stream's enrichment (hub/enrich/late-info.ts's LateInfo). */
export interface StreamEnrichment {
  enrich(e: MeasurementEvent): MeasurementEvent;
  /** Late answers are still awaited: `done` waits for them (bounded). */
  readonly pending: boolean;
  drain(signal?: AbortSignal): Promise<void>;
  close(): void;
}

/** What GET /v1/ipinfo and GET /v1/routes answer from (hub/enrich/, hub/bgp/). */
export interface HubPaths {
  /** Everything the sources know of `address`, after waiting a little for the online ones. */
  lookup(address: string): Promise<AddressInfo | undefined>;
  /** The enrichment sources, in order. */
  sources: string[];
  /** The BGP table (hub/bgp/route-index.ts), when one is open. */
  bgp?: Pick<RouteIndex, 'status' | 'lookupAddress' | 'lookupPrefix' | 'byOrigin' | 'byNeighbor' | 'byPath'>;
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
