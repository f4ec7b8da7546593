/**
 * The remote agent's connection to its hub (design §2): dials `ws(s)://hub/v1/agents/connect`
 * with an agent-scoped token, announces itself, answers `run`/`cancel`, pings the hub and
 * reconnects with exponential backoff and jitter when the connection drops. Every run goes
 * through a TargetGuard, so the policy is enforced here after resolution, before any packet.
 * The hub renews the agent's token over the connection before it expires (`token` frames): the
 * runtime dials with the newest one and hands it to `onToken` (which `--token-file` stores).
 */
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import type { AgentInfo, AgentLink, MonitorReport } from '../../shared/wire/agent-link.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import type { AgentMessage } from '../../shared/wire/agent-protocol.ts';
import { AGENT_CONNECT_PATH, AGENT_PROTOCOL_VERSION, AgentCloseCode, MAX_BATCH, encodeMessage } from '../../shared/wire/agent-protocol-constants.ts';
import { decodeHubFrame } from './decode-hub-frame.ts';
import { describeError, ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { TargetGuard, type GuardResolver } from './target-guard.ts';

export interface AgentRuntimeOptions {
  /** The hub's base URL: http(s)://host:port or ws(s)://host:port (a path is ignored). */
  hub: string;
  /** An agent token: sub `agent:<name>`, scope `agent`. Replaced in memory by each renewal from the hub. */
  token: string;
  /**
   * Called with each renewed token the hub sends (already checked: a JWT for the same subject
   * expiring later than the current one), e.g. to store it for the next start. The runtime uses
   * the new token from the next dial on whatever this does.
   */
  onToken?: (token: string, exp: number) => void;
  /** The agent that measures (normally a LocalAgent). */
  agent: AgentLink;
  /** Resolver used by the guard (normally agent/runtime/resolver.ts). */
  resolver: GuardResolver;
  /** Announced attributes on top of the agent's own info (country, city, asn, …). */
  attributes?: Partial<Omit<AgentInfo, 'name'>>;
  /** The agent's own policy; the hub's mode applies too (the stricter wins). Default 'lan'. */
  policy?: PolicyMode;
  /** CIDR prefixes this agent may measure; empty = any (subject to the policy). */
  allowedRanges?: readonly string[];
  /** Ports dns and http may reach under the public policy (agent/runtime/connect-check.ts). */
  publicPorts?: readonly number[];
  /** First reconnect delay. Default 250 ms; doubles per attempt up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Longest reconnect delay. Default 10 s. */
  maxBackoffMs?: number;
  /** How often the agent pings the hub; a missed pong drops the connection. Default 10 s. */
  heartbeatMs?: number;
  /** Unsent bytes on the socket before the runs producing them are cancelled. Default 8 MiB. */
  maxBufferedBytes?: number;
  /** Random source in [0,1) for jitter; default Math.random. */
  random?: () => number;
  log?: (line: string) => void;
  /** Connection state changes, for the launcher and tests. */
  onState?: (state: 'connected' | 'disconnected' | 'fatal', detail: string) => void;
  /** Every event this agent produced (metrics). */
  onEvent?: (e: MeasurementEvent) => void;
  /** Runs in flight changed (metrics). */
  onRunning?: (running: number) => void;
}

interface Run {
  controller: AbortController;
  open: Set<string>;
  overflowed: boolean;
}

/** Builds the WebSocket URL of the agents' endpoint from a hub base URL. */
export function agentConnectUrl(hub: string): string {
  let u: URL;
  try {
    u = new URL(hub);
  } catch {
    throw new MeshprobeError(ErrorCode.BadRequest, `--hub ${hub} is not a URL (e.g. http://127.0.0.1:7464)`);
  }
  const proto = u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss:' : u.protocol === 'http:' || u.protocol === 'ws:' ? 'ws:' : undefined;
  if (!proto) throw new MeshprobeError(ErrorCode.BadRequest, `--hub ${hub}: use http, https, ws or wss`);
  return `${proto}//${u.host}${AGENT_CONNECT_PATH}`;
}

export class AgentRuntime {
  readonly url: string;
  readonly info: AgentInfo;
  readonly #o: AgentRuntimeOptions;
  readonly #guard: TargetGuard;
  readonly #runs = new Map<number, Run>();
  readonly #log: (line: string) => void;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #stopped = false;
  #connected = false;
  /** A full monitor set came on this connection (changes are relative to it). */
  #haveMonitors = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #beat: ReturnType<typeof setInterval> | undefined;
  #token: string;
  /** Reports sent on this connection and not acknowledged yet: seq → its promise's ends. */
  readonly #unacked = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();

  constructor(o: AgentRuntimeOptions) {
    this.#o = o;
    this.url = agentConnectUrl(o.hub);
    this.info = { ...o.agent.info, ...(o.attributes ?? {}), name: o.agent.info.name };
    this.#guard = new TargetGuard({ inner: o.agent, resolver: o.resolver, mode: o.policy ?? 'lan', allowedRanges: o.allowedRanges ?? [], ...(o.publicPorts ? { publicPorts: o.publicPorts } : {}) });
    this.#log = o.log ?? (() => {});
    this.#token = o.token;
    // Monitor reports go to the hub over the connection; each is settled by the hub's ack.
    o.agent.monitors?.onReport((report) => this.#sendReport(report));
  }

  /** Sends one monitor report; resolves when the hub acknowledges it, rejects when it cannot. */
  #sendReport(report: MonitorReport): Promise<void> {
    const ws = this.#ws;
    if (!ws || !this.#connected || ws.readyState !== ws.OPEN) return Promise.reject(new Error('not connected to the hub'));
    return new Promise<void>((resolve, reject) => {
      this.#unacked.set(report.seq, { resolve, reject });
      ws.send(encodeMessage({ t: 'report', seq: report.seq, rows: report.rows, ...(report.routes?.length ? { routes: report.routes } : {}) }));
    });
  }

  /** The hub stored every report up to `seq`. */
  #acked(seq: number): void {
    for (const [s, p] of this.#unacked) {
      if (s > seq) continue;
      this.#unacked.delete(s);
      p.resolve();
    }
  }

  /** The token the next dial uses: the one given, or the latest renewal. */
  get token(): string {
    return this.#token;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get running(): number {
    return this.#runs.size;
  }

  /** Starts dialling; keeps the connection up until stop(). */
  start(): void {
    this.#stopped = false;
    this.#dial();
  }

  /** Cancels running measurements and closes the connection for good. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    for (const run of this.#runs.values()) run.controller.abort(new Error('agent stopping'));
    const ws = this.#ws;
    if (ws && ws.readyState !== ws.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(AgentCloseCode.normal, 'agent stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 1000).unref();
      });
    }
  }

  #dial(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(this.url, {
      headers: { authorization: `Bearer ${this.#token}` },
      handshakeTimeout: 10_000,
      perMessageDeflate: false,
      maxPayload: 1024 * 1024,
    });
    this.#ws = ws;
    // Set when the hub refused this agent's token at the upgrade: no retry, no second log line.
    const conn = { fatal: false };
    ws.on('unexpected-response', (_req, res) => this.#upgradeRefused(ws, res, conn));
    ws.on('open', () => this.#hello(ws));
    ws.on('message', (data) => this.#hubMessage(ws, data.toString()));
    ws.on('error', (err) => {
      if (!conn.fatal) this.#log(`agent: ${err.message}`);
    });
    ws.on('close', (code, reason) => this.#connectionClosed(code, reason, conn.fatal));
  }

  /** The hub answered the upgrade with an HTTP error: 401/403 end the agent, others are retried. */
  #upgradeRefused(ws: WebSocket, res: IncomingMessage, conn: { fatal: boolean }): void {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (body.length < 2048) body += c;
    });
    res.on('end', () => {
      let message = `the hub answered ${res.statusCode}`;
      try {
        message = (JSON.parse(body) as { error: { message: string } }).error.message;
      } catch {
        // not our error format; keep the status
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        conn.fatal = true;
        this.#fatal(`the hub refused this agent (${res.statusCode}): ${message}`);
      } else {
        this.#log(`agent: ${message}`);
      }
      ws.terminate();
    });
  }

  /** Connected: says hello and pings the hub, reconnecting when it stops answering. */
  #hello(ws: WebSocket): void {
    const hello: AgentMessage = {
      t: 'hello',
      v: AGENT_PROTOCOL_VERSION,
      info: this.info,
      policy: this.#guard.mode,
      ...(this.#guard.allowedRanges.length ? { allowedRanges: [...this.#guard.allowedRanges] } : {}),
    };
    ws.send(encodeMessage(hello));
    let alive = true;
    ws.on('pong', () => {
      alive = true;
    });
    this.#beat = setInterval(() => {
      if (!alive) {
        this.#log('agent: the hub stopped answering pings; reconnecting');
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, this.#o.heartbeatMs ?? 10_000);
  }

  /** One frame from the hub: welcome, run, cancel, a renewed token, monitor assignments or an ack. */
  #hubMessage(ws: WebSocket, text: string): void {
    const decoded = decodeHubFrame(text);
    if (!decoded.ok) {
      this.#log(`agent: ${decoded.reason}`);
      return;
    }
    const m = decoded.message;
    if (m.t === 'welcome') {
      this.#attempt = 0;
      this.#haveMonitors = false;
      this.#connected = true;
      this.#o.onState?.('connected', `connected to ${this.url} as ${this.info.name} (hub policy ${m.policy})`);
      // Reports that waited for the hub go now, not at the next retry.
      (this.#o.agent.monitors as { resume?: () => void } | undefined)?.resume?.();
    } else if (m.t === 'run') {
      this.#startRun(ws, m.id, m.spec, m.policy, m.allowedRanges);
    } else if (m.t === 'cancel') {
      this.#runs.get(m.id)?.controller.abort(new Error('cancelled by the hub'));
    } else if (m.t === 'token') {
      this.#renewed(m.token);
    } else if (m.t === 'monitors') {
      this.#monitorFrame(ws, () => this.#o.agent.monitors?.assign(m.list, { policy: m.policy, ...(m.allowedRanges ? { allowedRanges: m.allowedRanges } : {}) }));
      this.#haveMonitors = true;
    } else if (m.t === 'monitor-changes') {
      // Changes are relative to this connection's full set: without one they mean nothing yet.
      if (!this.#haveMonitors) this.#log('agent: monitor changes before any monitor set on this connection; ignored');
      else this.#monitorFrame(ws, () => this.#o.agent.monitors?.change?.(m.set, m.drop));
    } else if (m.t === 'ack') {
      this.#acked(m.seq);
    }
  }

  /**
   * Applies a monitor frame. One that cannot be kept (a full disk) or is refused is a logged line,
   * and the connection is closed: the hub's later changes would be relative to a set this agent
   * does not have, and on the next connection the hub sends the whole set again.
   */
  #monitorFrame(ws: WebSocket, apply: () => void): void {
    try {
      apply();
    } catch (err) {
      this.#log(`agent: monitors: ${describeError(err).message}; reconnecting for the whole set`);
      ws.close(1011, 'monitor assignments not applied');
    }
  }

  /** The connection ended: its runs stop; the agent reconnects unless the hub's answer was final. */
  #connectionClosed(code: number, reason: Buffer, fatal: boolean): void {
    if (this.#beat) clearInterval(this.#beat);
    this.#beat = undefined;
    const wasConnected = this.#connected;
    this.#connected = false;
    // Nobody can receive these runs' events any more; stop sending packets for them.
    for (const run of this.#runs.values()) run.controller.abort(new Error('hub connection lost'));
    // Reports without an ack are sent again on the next connection (monitors keep measuring).
    for (const p of this.#unacked.values()) p.reject(new Error('hub connection lost'));
    this.#unacked.clear();
    const why = reason.length ? reason.toString() : `code ${code}`;
    // Retrying cannot fix these; `replaced` means another process now serves this name, and
    // reconnecting would only take it back and forth.
    if (code === AgentCloseCode.unauthorized || code === AgentCloseCode.forbidden || code === AgentCloseCode.badVersion || code === AgentCloseCode.replaced) {
      this.#fatal(`the hub closed the connection: ${why}`);
      return;
    }
    if (fatal || this.#stopped) return;
    if (wasConnected) this.#o.onState?.('disconnected', `disconnected from the hub (${why}); reconnecting`);
    this.#scheduleReconnect();
  }

  /** Takes a renewed token from the hub, if it is one for this agent that lasts longer. */
  #renewed(token: string): void {
    const claims = (t: string): { sub?: unknown; exp?: unknown } | undefined => {
      // The payload, decoded, not verified (the hub verifies; the agent only reads sub and exp).
      // By hand rather than with jose's decodeJwt: its modules cost an idle agent ~3 MB.
      const parts = t.split('.');
      if (parts.length !== 3) return undefined;
      try {
        const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
        return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : undefined;
      } catch {
        return undefined;
      }
    };
    const next = claims(token);
    const current = claims(this.#token);
    if (!next || typeof next.exp !== 'number' || typeof next.sub !== 'string') return this.#log('agent: the hub sent a renewed token that is not a JWT with sub and exp; keeping the current one');
    if (current && next.sub !== current.sub) return this.#log(`agent: the hub sent a renewed token for ${next.sub}, not ${String(current.sub)}; keeping the current one`);
    if (current && typeof current.exp === 'number' && next.exp <= current.exp) return this.#log('agent: the hub sent a renewed token that expires no later than the current one; keeping the current one');
    this.#token = token;
    this.#o.onToken?.(token, next.exp);
  }

  #fatal(message: string): void {
    this.#stopped = true;
    this.#o.onState?.('fatal', message);
  }

  #scheduleReconnect(): void {
    const initial = this.#o.initialBackoffMs ?? 250;
    const max = this.#o.maxBackoffMs ?? 10_000;
    const ceiling = Math.min(max, initial * 2 ** this.#attempt);
    this.#attempt++;
    // "Equal jitter": never less than half the ceiling, so a fleet does not reconnect in lockstep.
    const delay = ceiling / 2 + (this.#o.random ?? Math.random)() * (ceiling / 2);
    this.#retryTimer = setTimeout(() => this.#dial(), delay);
  }

  #startRun(ws: WebSocket, id: number, spec: Parameters<AgentLink['run']>[0], hubPolicy: PolicyMode, hubRanges?: string[]): void {
    if (this.#runs.has(id)) return;
    const run: Run = { controller: new AbortController(), open: new Set(spec.targets), overflowed: false };
    this.#runs.set(id, run);
    this.#o.onRunning?.(this.#runs.size);
    const max = this.#o.maxBufferedBytes ?? 8 * 1024 * 1024;
    const send = (m: AgentMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage(m));
    };
    type WireEvent = Record<string, unknown> & { type: string };
    // Events emitted in one turn of the event loop leave in one frame, sent at the end of that
    // turn (a microtask): no added wait, far fewer frames and syscalls at high event rates.
    let pending: WireEvent[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      const es = pending;
      pending = [];
      send(es.length === 1 ? { t: 'event', id, e: es[0]! } : { t: 'events', id, es });
      // The hub is not reading: stop this run instead of buffering without bound.
      if (ws.bufferedAmount > max && !run.overflowed) {
        run.overflowed = true;
        run.controller.abort(new Error('hub too slow'));
        const stopped = [...run.open].map((target) => ({ type: 'error', agent: this.info.name, target, code: ErrorCode.Cancelled, message: `agent ${this.info.name} stopped: the hub did not take events fast enough (over ${max} bytes queued)` }));
        if (stopped.length) send({ t: 'events', id, es: stopped });
      }
    };
    const emit = (e: MeasurementEvent): void => {
      if (run.overflowed) return;
      if ((e.type === 'summary' || e.type === 'error') && e.target !== undefined) run.open.delete(e.target);
      this.#o.onEvent?.(e);
      if (pending.length === 0) queueMicrotask(flush);
      pending.push(e as unknown as WireEvent);
      if (pending.length >= MAX_BATCH) flush();
    };
    this.#guard
      .withMode(hubPolicy)
      .run(spec, { signal: run.controller.signal, emit, ...(hubRanges?.length ? { allowedRanges: hubRanges } : {}) })
      .catch((err: unknown) => {
        for (const target of run.open) emit({ type: 'error', agent: this.info.name, target, code: ErrorCode.Internal, message: (err as Error).message ?? String(err) });
      })
      .finally(() => {
        flush();
        this.#runs.delete(id);
        this.#o.onRunning?.(this.#runs.size);
        send({ t: 'end', id });
      });
  }
}
