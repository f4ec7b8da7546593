/**
 * What a measurement type provides to run as a monitor (agent/probes/registry.ts lists one per
 * type that has it, loaded on first use): probes for many targets at once, each on its own
 * interval, every outcome handed back as it is known. The MonitorService (monitor-service.ts)
 * owns everything else: assignments, resolution and policy, minute rows, reports.
 */
import type { RawMode } from '../socket/raw-socket.ts';

/** One target of an engine: an address already resolved and checked against the policy. */
export interface MonitorProbeTarget {
  /** The monitor's id (unique within the engine). */
  id: number;
  address: string;
  family: 4 | 6;
  intervalMs: number;
  timeoutMs: number;
  /** The port of a `host:port` target (types that connect to a port); absent = the type's default. */
  port?: number;
  /** The older release of the type's protocol (a TCP echo: 16-byte frames and a fixed timeout). */
  legacy?: true;
  /** Keep `timeoutMs` fixed (no adaptive timeout). */
  fixedTimeout?: true;
}

/**
 * What an engine measures beyond round trips (a TCP echo's connection, one-way delays), into
 * the monitor's rows (MinuteRow `x`). Engines that have nothing of the kind ignore it.
 */
export interface MonitorExtrasSink {
  /** One more of a per-minute counter. */
  count(name: 'timeouts' | 'drops' | 'connects'): void;
  /** A gauge's value now (carried on in the following rows until it changes). */
  gauge(name: 'connected' | 'rtoMs' | 'lossWindowPct' | 'offsetMs' | 'offsetErrMs' | 'unstable', value: number): void;
  /** One probe's one-way delays (ms): forward (us → peer) and reverse (peer → us). */
  oneWay(forwardMs: number, reverseMs: number): void;
}

/**
 * An outcome: the round trip in ms, or undefined when the probe was lost (timeout, an ICMP
 * error, a send the kernel refused; `error` then says why, in one line, when it is worth showing).
 * `agoMs`: how long ago it was known, for an engine that hands outcomes over in batches (its
 * {@link MonitorEngine.flush}); 0 when absent.
 */
export type MonitorOutcome = (rttMs: number | undefined, error?: string, agoMs?: number) => void;

export interface MonitorEngine {
  /**
   * Starts probing `target` (replacing a target of the same id). Throws a MeshprobeError when it
   * cannot (no socket: MP_ERR_PERMISSION with the fix-it); the service shows that in the rows.
   */
  add(target: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void;
  /** Stops probing `id`; an answer still in flight is dropped. */
  remove(id: number): void;
  /** Targets probed now. */
  readonly size: number;
  /** Stops everything and releases the sockets. */
  close(): void;
  /**
   * Hands over the outcomes it holds back, if it holds any back (the TCP echo engine folds a
   * monitor's round trips together). The service calls it before it reads its rows.
   */
  flush?(): void;
}

export interface MonitorEngineOptions {
  /** Socket mode: 'raw' (CAP_NET_RAW), 'dgram' (unprivileged ping sockets) or 'auto' (default: raw, else dgram). */
  mode?: RawMode | 'auto';
  /** The agent's name, for protocols whose messages carry the sender's (latency-monitor's SOURCE). */
  agent?: string;
}

/** How the registry makes an engine. */
export type MonitorEngineFactory = (o: MonitorEngineOptions) => MonitorEngine;

/** What one route-watch trace found: hops by TTL (null = no answer), and whether the target answered. */
export interface TraceResult {
  hops: (string | null)[];
  reached: boolean;
}

/** Route watch's trace of one address (agent/probes/registry.ts `routeTracer`). */
export type RouteTracer = (agent: string, address: string, family: 4 | 6, signal: AbortSignal) => Promise<TraceResult>;
