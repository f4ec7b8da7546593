/**
 * The hub's HTTP server (node:http, no framework): routing, the auth seam, error format,
 * and an orderly close that ends every running stream with `done`.
 */
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { AgentLink } from '../../shared/wire/agent-link.ts';
import { describeError, ErrorCode, HttpError } from '../../shared/model/errors.ts';
import { DEFAULT_ALLOWED_HOSTS, HostGuard } from '../../shared/net/host-guard.ts';
import type { AgentDirectory } from '../core/agent-directory.ts';
import { AgentRegistry } from '../core/agent-registry.ts';
import { sendError, sendText } from './http-io.ts';
import { DEFAULT_LISTEN, parseListen, urlFor } from '../../shared/net/listen-address.ts';
import type { ListenAddress } from '../../shared/net/listen-address.ts';
import { isRefusal } from '../core/principal.ts';
import { RouteTable } from './route-table.ts';
import { StreamCaps } from '../core/stream-caps.ts';
import type { Admit, Authorize, HubContext, HubObserver, HubPaths, HubRoute } from './route.ts';
import { ipinfoRoute, routesRoute } from './routes/path-info.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import type { Principal } from '../core/principal.ts';
import { cliRoute } from './routes/cli.ts';
import { agentsRoute, healthRoute, versionRoute } from './routes/info.ts';
import { measurementsRoute } from './routes/measurements.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import type { AgentGateway } from './agent-gateway.ts';
import type { TokenService } from '../auth/token-service.ts';
import type { RequestLimits } from '../auth/bearer-authorize.ts';
import { createControlPlane, type ControlPlaneOptions } from './control-plane.ts';
import type { HubMetrics } from './hub-metrics.ts';
import type { AgentRanges } from '../core/agent-ranges.ts';
import type { Registry } from 'prom-client';
import type { MonitorStore } from '../store/monitor-store.ts';
import { openSqliteStore } from '../store/sqlite-store.ts';
import { MonitorService, type MonitorServiceOptions } from '../core/monitor-service.ts';
import { monitorRoutes } from './routes/monitors.ts';
import { monitorHeatmapRoute } from './routes/monitor-heatmap.ts';
import { monitorExposition } from './monitor-metrics.ts';
import { PushgatewayPusher, type PushgatewayOptions } from './pushgateway-push.ts';
import { AlertEvaluator, type AlertMessage, fanOutAlertSink } from '../core/alert-evaluator.ts';
import { postWebhook } from './alert-webhook.ts';
import { createWebUi, type WebOptions } from './web/web-ui.ts';
import { FinishedStreams } from '../core/finished-streams.ts';

/** Options of {@link createHub}. Every field is optional; the defaults give a loopback hub. */
export interface HubOptions {
  /** Where to listen: `host:port` or an object. Default 127.0.0.1:7464; port 0 picks a free port. */
  listen?: string | ListenAddress;
  /** Directory for the hub's state (signing keys, tokens later). Created if missing. Default `./.data`. */
  dataDir?: string;
  /** The agent directory (hub/core/agent-directory.ts). Default: a new, empty in-process AgentRegistry. */
  registry?: AgentDirectory;
  /** Agents to add to the registry at start (the embedded default passes its LocalAgent). */
  agents?: AgentLink[];
  /** Auth seam. Default: the control plane's bearer tokens (hub/auth/bearer-authorize.ts). */
  authorize?: Authorize;
  /** Policy seam: clamp or refuse a validated spec. Default: the control plane's `policy` (hub/core/policy-admit.ts). */
  admit?: Admit;
  /** Metrics seam. Default: none. */
  observer?: HubObserver;
  /** Extra routes (JWKS, tokens, metrics, …); they win over built-in routes of the same path. */
  routes?: HubRoute[];
  /**
   * Accept requests without a bearer token as `anonymous` (scopes measure, read); a token that
   * is present is still verified. Default false: the API needs a token (MESHPROBE_ALLOW_ANONYMOUS).
   * Ignored when `authorize` is given.
   */
  allowAnonymous?: boolean;
  /** Target policy: `public` refuses non-public ranges at the hub and again at the agents. Default 'lan'. */
  policy?: PolicyMode;
  /**
   * Prefixes each named agent may measure (MESHPROBE_AGENT_RANGES), e.g.
   * `{ lax1: ['10.0.0.0/8'], fra1: ['198.18.0.0/15'] }`; intersected with what an agent announces.
   * Literal targets outside them are refused before dispatch; the agent checks resolved names.
   * Agents not named are not restricted by the hub. Default none.
   */
  agentRanges?: AgentRanges;
  /** Further control-plane settings: rate limits, clamps, agents' packet budget, token issuer/audience. */
  control?: Omit<ControlPlaneOptions, 'dataDir' | 'allowAnonymous' | 'policy' | 'log' | 'agentRanges'>;
  /** Adds enrichment to each event a measurement stream carries (hub/enrich/enricher.ts). Default none. */
  enrich?: (e: MeasurementEvent) => MeasurementEvent;
  /** What `ipinfo` and `route` answer from (GET /v1/ipinfo, GET /v1/routes). Default none: empty answers. */
  paths?: HubPaths;
  /** Per-stream enrichment with late `info` events (hub/enrich/late-info.ts); used instead of `enrich`. Default none. */
  enrichStream?: HubContext['enrichStream'];
  /** Enrichment of an agent's connecting address for GET /v1/agents (`list`). Default none. */
  enrichAgent?: HubContext['enrichAgent'];
  /** Largest request body in bytes; larger gets 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** Unsent bytes per stream before a slow client is cancelled. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** A stream whose client takes no bytes for this long is cancelled (MESHPROBE_STREAM_WRITE_TIMEOUT). Default 30 s. */
  writeTimeoutMs?: number;
  /** Streams open at once per subject (MESHPROBE_STREAMS_PER_SUBJECT, 0 = no cap). Default 16. */
  streamsPerSubject?: number;
  /** Streams open at once per client IP (MESHPROBE_STREAMS_PER_IP, 0 = no cap). Default 32. */
  streamsPerIp?: number;
  /**
   * Host names (no port) accepted in the Host header of `/v1/*` requests; `*` = any
   * (MESHPROBE_ALLOWED_HOSTS). Always accepted besides: localhost, 127.0.0.1, ::1, the listen
   * host, the host of `publicUrl`, and any IP address literal (DNS rebinding needs a name).
   * A request with another Host gets 403.
   */
  allowedHosts?: string[];
  /**
   * Origins accepted on `/v1/*` besides those on an allowed host (MESHPROBE_ALLOWED_ORIGINS).
   * A request that carries any other Origin, `null` included, gets 403; one without Origin
   * (curl, the hub client) passes.
   */
  allowedOrigins?: string[];
  /** The URL clients use to reach the hub (MESHPROBE_PUBLIC_URL); its host is allowed. */
  publicUrl?: string;
  /** Where unexpected failures are logged. Default: nowhere (library code stays quiet). */
  log?: (line: string) => void;
  /** Further Prometheus registries served at /metrics (the embedded agent's, agent/runtime/agent-metrics.ts). */
  extraMetrics?: Registry[];
  /** Monitors (issue 13): caps, retention, and the store (default `<dataDir>/meshprobe.db`, SQLite). */
  monitors?: HubMonitorOptions;
  /** `meshping`: /metrics also carries meshping's names (MESHPROBE_METRICS_COMPAT). Default none. */
  metricsCompat?: 'meshping';
  /** Push the monitors' metrics to a Prometheus Pushgateway too (MESHPROBE_PUSHGATEWAY_*). Default none. */
  pushgateway?: Omit<PushgatewayOptions, 'produce' | 'log'>;
  /** Where monitor alerts go besides webhooks (the launcher wires the bot and the mail gateway). */
  alerts?: HubAlertOptions;
  /** The web UI at `/` and its sign-in (issue 18, hub/http/web/web-ui.ts). Default: the page, no guest, no providers. */
  web?: WebOptions;
}

/** The monitor settings of a hub; see MonitorServiceOptions for each field's default. */
export interface HubMonitorOptions extends Pick<MonitorServiceOptions, 'maxPerSubject' | 'maxPpsPerAgent' | 'minuteRetentionMs' | 'hourRetentionMs' | 'rollupEveryMs' | 'rollupRowsPerCall'> {
  /** The store to use instead of opening `<dataDir>/meshprobe.db`; the hub closes it when it closes. */
  store?: MonitorStore;
}

/** Monitor alert channels and pace (hub/core/alert-evaluator.ts). */
export interface HubAlertOptions {
  /** Sends an alert to a Telegram chat. Default none: alerts for chats are dropped. */
  telegram?: (chatId: string, message: AlertMessage) => Promise<void>;
  /** Sends an alert by mail. Default none: alerts for mail addresses are dropped. */
  email?: (address: string, message: AlertMessage) => Promise<void>;
  /** At most one message per monitor per this long. Default 5 minutes. */
  minMessageIntervalMs?: number;
  /** How often rules are evaluated; 0 = never (tests call evaluateAll). Default a minute. */
  everyMs?: number;
}

/** A running hub. */
export interface Hub {
  /** Base URL, e.g. `http://127.0.0.1:7464` (the real port when 0 was asked for). */
  url: string;
  host: string;
  port: number;
  /** Absolute path of the data directory (exists). */
  dataDir: string;
  registry: AgentDirectory;
  /** The node:http server, for `upgrade` handlers (the agents' WebSocket) and tests. */
  server: Server;
  /** Mints and verifies this hub's tokens (signing key in `dataDir`). */
  tokens: TokenService;
  /** The target policy in force. */
  policy: PolicyMode;
  /** The hub's Prometheus metrics (served at /metrics). */
  metrics: HubMetrics;
  /** The remote agents' WebSocket endpoint (/v1/agents/connect). */
  gateway: AgentGateway;
  /** The per-IP, per-subject and per-service request rates of /v1, for the mounted /mcp. */
  limits: RequestLimits;
  /** The hub's monitors: the MonitorApi of /v1/cli and the routes, and the series /metrics reads. */
  monitors: MonitorService;
  /** Evaluates the monitors' alert rules every minute (tests call evaluateAll). */
  alerts: AlertEvaluator;
  /** Cancels running measurements (their streams still end with `done`), then stops listening. */
  close(): Promise<void>;
}

const ANONYMOUS: Principal = { subject: 'anonymous', scopes: ['measure'] };

/** Calls both observers' callbacks (metrics first, then the caller's); either may be partial. */
function bothObservers(a: HubObserver, b: HubObserver): HubObserver {
  const keys = ['request', 'streamOpened', 'event', 'streamClosed'] as const;
  const out: HubObserver = {};
  for (const k of keys) {
    const fa = a[k] as ((x: never) => void) | undefined;
    const fb = b[k] as ((x: never) => void) | undefined;
    if (fa && fb) {
      (out as Record<string, unknown>)[k] = (x: never) => {
        fa(x);
        fb(x);
      };
    } else if (fa || fb) (out as Record<string, unknown>)[k] = fa ?? fb;
  }
  return out;
}

/** Starts a hub and resolves once it listens. */
export async function createHub(options: HubOptions = {}): Promise<Hub> {
  const listen = typeof options.listen === 'string' ? parseListen(options.listen) : options.listen ?? DEFAULT_LISTEN;
  const dataDir = resolve(options.dataDir ?? '.data');
  // 0700: it will hold signing keys.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { control, registry } = await buildControlPlane(options, dataDir);
  // Before the port is bound: a store that cannot open is a one-line MP_ERR_STORE refusal.
  const monitors = openMonitors(options, control, registry, dataDir);
  const exposition = () => monitorExposition(monitors.series(), options.metricsCompat ? { compat: options.metricsCompat } : {});
  control.metrics.includeText(exposition);
  const pusher = options.pushgateway ? new PushgatewayPusher({ ...options.pushgateway, produce: exposition, ...(options.log ? { log: options.log } : {}) }) : undefined;
  const alerts = startAlerts(options, control.policy, monitors);
  const running = new Set<AbortController>();
  // Finished streams kept for share links: only where the page (and its shares) is served.
  const finished = options.web?.enabled === false ? undefined : new FinishedStreams();
  const context = { ...hubContext(options, control, registry, running), monitors, ...(finished ? { finished } : {}) };
  const guard = hostGuard(options, listen.host);
  let listeningUrl = '';
  let web;
  try {
    web = createWebUi(options.web ?? {}, { tokens: control.tokens, dataDir, guard, publicUrl: () => options.publicUrl ?? listeningUrl, ...(finished ? { finished } : {}) });
  } catch (err) {
    monitors.close();
    monitors.store.close();
    throw err;
  }
  const routes = mountRoutes(control, [...web.routes, ...(options.routes ?? [])]);
  const handle = requestHandler({ routes, context, guard, authorize: web.wrapAuthorize(options.authorize ?? control.authorize) });
  const server = createServer({ noDelay: true }, (req, res) => {
    void handle(req, res);
  });
  try {
    await listenOn(server, listen);
  } catch (err) {
    monitors.close();
    monitors.store.close();
    web.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  listeningUrl = urlFor(listen.host, address.port);
  const gateway = control.attach(server, registry);
  pusher?.start();
  return {
    url: urlFor(listen.host, address.port),
    host: listen.host,
    port: address.port,
    dataDir,
    registry,
    server,
    tokens: control.tokens,
    policy: control.policy,
    metrics: control.metrics,
    gateway,
    limits: control.limits,
    monitors,
    alerts,
    close: stopAlertsFirst(alerts, closer(server, gateway, running, monitors, () => web.close()), pusher),
  };
}

/** The alert evaluator over the monitors' store: webhooks always, Telegram and mail when the launcher gives senders. */
function startAlerts(options: HubOptions, policy: PolicyMode, monitors: MonitorService): AlertEvaluator {
  const o = options.alerts ?? {};
  const evaluator = new AlertEvaluator({
    store: monitors.store,
    sink: fanOutAlertSink({
      webhook: (url, message) => postWebhook(url, message, { policy }),
      ...(o.telegram ? { telegram: o.telegram } : {}),
      ...(o.email ? { email: o.email } : {}),
    }),
    ...(o.minMessageIntervalMs !== undefined ? { minMessageIntervalMs: o.minMessageIntervalMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  if ((o.everyMs ?? 60_000) > 0) evaluator.start(o.everyMs ?? 60_000);
  return evaluator;
}

function stopAlertsFirst(alerts: AlertEvaluator, close: () => Promise<void>, pusher?: PushgatewayPusher): () => Promise<void> {
  return async () => {
    alerts.stop();
    await pusher?.stop();
    return close();
  };
}

/** The monitor service over the given store or `<dataDir>/meshprobe.db`. */
function openMonitors(options: HubOptions, control: ControlPlane, registry: AgentDirectory, dataDir: string): MonitorService {
  const { store: given, ...settings } = options.monitors ?? {};
  const store = given ?? openSqliteStore(dataDir);
  try {
    return new MonitorService({
      ...settings,
      store,
      registry,
      policy: control.policy,
      ...(options.control?.limits ? { limits: options.control.limits } : {}),
      ...(options.agentRanges ? { agentRanges: options.agentRanges } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (err) {
    store.close();
    throw err;
  }
}

type ControlPlane = Awaited<ReturnType<typeof createControlPlane>>;

/** The control plane (tokens, policy, limits, metrics) and the agent directory dispatching through its gate. */
async function buildControlPlane(options: HubOptions, dataDir: string): Promise<{ control: ControlPlane; registry: AgentDirectory }> {
  const control = await createControlPlane({
    dataDir,
    allowAnonymous: options.allowAnonymous ?? false,
    policy: options.policy ?? 'lan',
    ...(options.control ?? {}),
    ...(options.agentRanges ? { agentRanges: options.agentRanges } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  for (const r of options.extraMetrics ?? []) control.metrics.include(r);
  const registry: AgentDirectory = options.registry ?? new AgentRegistry();
  for (const agent of options.agents ?? []) registry.add(agent);
  registry.dispatchThrough((agent) => control.gate.wrap(agent));
  return { control, registry };
}

/** What every route sees of the hub: agents, limits, the admit and observer seams, the running streams. */
function hubContext(options: HubOptions, control: ControlPlane, registry: AgentDirectory, running: Set<AbortController>): HubContext {
  return {
    registry,
    maxBodyBytes: options.maxBodyBytes ?? 64 * 1024,
    maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
    writeTimeoutMs: options.writeTimeoutMs ?? 30_000,
    streamCaps: new StreamCaps({
      ...(options.streamsPerSubject !== undefined ? { perSubject: options.streamsPerSubject } : {}),
      ...(options.streamsPerIp !== undefined ? { perIp: options.streamsPerIp } : {}),
    }),
    admit: options.admit ?? control.admit,
    observer: bothObservers(control.observer, options.observer ?? {}),
    track(controller) {
      running.add(controller);
      return () => running.delete(controller);
    },
    log: options.log ?? (() => {}),
    ...(options.enrich ? { enrich: options.enrich } : {}),
    ...(options.paths ? { paths: options.paths } : {}),
    ...(options.enrichStream ? { enrichStream: options.enrichStream } : {}),
    ...(options.enrichAgent ? { enrichAgent: options.enrichAgent } : {}),
  };
}

/** The Host/Origin guard of /v1/*: the same as /mcp's (which checks for itself, answering in JSON-RPC). */
function hostGuard(options: HubOptions, listenHost: string): HostGuard {
  // A wildcard listen address is no host name a client would send.
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  return new HostGuard({
    allowedHosts: [...DEFAULT_ALLOWED_HOSTS, ...(wildcard ? [] : [listenHost]), ...(options.allowedHosts ?? [])],
    allowedOrigins: options.allowedOrigins ?? [],
    allowAddressHosts: true,
    publicUrl: options.publicUrl,
    hostsSetting: 'MESHPROBE_ALLOWED_HOSTS',
    originsSetting: 'MESHPROBE_ALLOWED_ORIGINS',
  });
}

/** The built-in routes, then the control plane's, then the caller's (later ones win on the same path). */
function mountRoutes(control: ControlPlane, extra: HubRoute[]): RouteTable {
  const routes = new RouteTable();
  for (const r of [measurementsRoute, cliRoute, versionRoute, agentsRoute, healthRoute, ipinfoRoute, routesRoute, ...monitorRoutes, monitorHeatmapRoute(), ...control.routes, ...extra]) {
    routes.add(r);
  }
  return routes;
}

/** Answers one request: guard, route, method, auth, then the route; any failure in the hub's error format. */
function requestHandler(hub: { routes: RouteTable; context: HubContext; guard: HostGuard; authorize: Authorize }): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { routes, context, guard, authorize } = hub;
  const log = context.log;
  return async function handle(req, res) {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const matched = routes.match(url.pathname);
    const route = matched?.route;
    res.on('close', () => {
      try {
        context.observer.request?.({ route: route?.name ?? 'unknown', method, status: res.statusCode, durationMs: performance.now() - started });
      } catch {
        // metrics must not break requests
      }
    });
    try {
      if (url.pathname === '/v1' || url.pathname.startsWith('/v1/')) {
        const refusal = guard.check(req.headers.host, req.headers.origin);
        if (refusal) throw new HttpError(403, ErrorCode.Forbidden, refusal);
      }
      if (!route) {
        throw new HttpError(404, ErrorCode.BadRequest, `no route ${method} ${url.pathname} (see docs/api.md)`);
      }
      const allowed = route.methods.includes('GET') ? [...route.methods, 'HEAD'] : route.methods;
      if (!allowed.includes(method)) {
        throw new HttpError(405, ErrorCode.BadRequest, `${url.pathname} accepts ${route.methods.join(', ')}, not ${method}`, { allow: allowed.join(', ') });
      }
      let principal = ANONYMOUS;
      if (!route.public) {
        const verdict = await authorize(req, { name: route.name, method, path: url.pathname });
        if (isRefusal(verdict)) throw new HttpError(verdict.status, verdict.code, verdict.message, verdict.headers);
        principal = verdict;
      }
      await route.handle({ req, res, url, params: matched!.params, principal, route, hub: context });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const headers = err instanceof HttpError ? err.headers : {};
      const { code, message } = describeError(err);
      if (status === 500) log(`hub: ${method} ${url.pathname} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // A failure after the stream started cannot change the status: end the stream.
      if (res.headersSent) {
        res.end();
      } else if (route?.errorFormat === 'text') {
        sendText(res, status, message + '\n', headers);
      } else {
        sendError(res, status, code, status === 500 ? `internal error: ${message}` : message, headers);
      }
      // After a refused upload the rest of the body is unread; do not let it hang the socket.
      if (status === 413) req.resume();
    }
  };
}

/** Resolves once the server listens; rejects with the listen error (EADDRINUSE …) instead of emitting it. */
function listenOn(server: Server, listen: ListenAddress): Promise<void> {
  return new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(listen.port, listen.host, () => {
      server.off('error', fail);
      ok();
    });
  });
}

/** The hub's close(): once only, however often it is called. */
function closer(server: Server, gateway: AgentGateway, running: Set<AbortController>, monitors: MonitorService, closeWeb: () => void): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      monitors.close();
      const stopped = new Promise<void>((ok) => server.close(() => ok()));
      for (const c of running) c.abort(new Error('hub closing'));
      // Agents hear "going away" and reconnect to the next hub on this address.
      await gateway.close();
      // Keep-alive sockets go idle as their streams end with `done`; close them as they do,
      // and force whatever is left once the agents' abort grace time has passed.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), 3000);
      await stopped;
      clearInterval(sweep);
      clearTimeout(deadline);
      // After the agents' sockets: no report is being stored any more.
      monitors.store.close();
      closeWeb();
    })();
    return closing;
  };
}
