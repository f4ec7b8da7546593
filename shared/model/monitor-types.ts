/**
 * The shapes of continuous monitors (design §11, docs/monitors.md), without zod so that the
 * agent can use them: what the hub assigns to an agent, what an agent reports per minute, and
 * what the REST API answers. The zod schemas of the agent frames are in
 * shared/wire/agent-protocol.ts; those of the REST bodies in shared/model/monitor-api.ts.
 */
import type { HistogramPairs } from './histogram.ts';

/** Bounds of monitors; the hub's settings may be stricter, never looser. */
export const MonitorLimits = {
  minIntervalMs: 100,
  maxIntervalMs: 3_600_000,
  defaultIntervalMs: 1000,
  /** Route watch period (`--trace`). */
  minTraceMs: 60_000,
  maxTraceMs: 86_400_000,
  /** Alert rules per monitor. */
  maxAlerts: 8,
  /** Monitors one agent is assigned, all owners together. */
  maxAssignmentsPerAgent: 20_000,
  /** Rows in one `report` frame. */
  maxRowsPerReport: 4096,
  /** Route records in one `report` frame. */
  maxRoutesPerReport: 256,
  /** Hops in one route record. */
  maxHops: 64,
  /** Non-empty histogram buckets in one row (the grid has 232). */
  maxHistogramPairs: 232,
  /** How often agents re-resolve a monitor's name. */
  resolveEveryMs: 300_000,
} as const;

/** A monitor's name: what `monitor rm NAME` and the metrics' `monitor` label use. */
export const MONITOR_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,62}$/;

/**
 * The measurement type a monitor runs: a registered type whose definition is `monitorable`
 * (shared/registry.ts monitorTypeNames). A string here, so that the agent needs no registry.
 */
export type MonitorType = string;

/** One monitor as the hub assigns it to an agent (the `monitors` frame carries the full set). */
export interface MonitorAssignment {
  id: number;
  type: MonitorType;
  /** What to probe: an address literal, or a name the agent resolves (and re-resolves). */
  target: string;
  intervalMs: number;
  /** Reply timeout per probe. Default min(intervalMs, 2000)... as the hub sets it. */
  timeoutMs: number;
  /** Route watch: a hop-by-hop trace every `traceMs`; absent = none. */
  traceMs?: number;
  /** 4 or 6 to force the family of a name's address; absent = as the resolver answers. */
  family?: 4 | 6;
  /** The older release of the type's protocol (the type's help says which); absent = the current one. */
  legacy?: true;
  /** A fixed timeout instead of the type's adaptive one; absent = adaptive where the type adapts. */
  fixedTimeout?: true;
  /** Bumped when anything above changes: an agent restarts the monitor when it differs. */
  rev: number;
}

/**
 * What turns the set `had` (by id) into `list`: the assignments new or changed (`set`) and the ids
 * gone (`drop`), as a `monitor-changes` frame carries them.
 */
export function assignmentChanges(had: ReadonlyMap<number, MonitorAssignment>, list: readonly MonitorAssignment[]): { set: MonitorAssignment[]; drop: number[] } {
  const wanted = new Set<number>();
  const set: MonitorAssignment[] = [];
  for (const a of list) {
    wanted.add(a.id);
    const before = had.get(a.id);
    if (!before || !sameAssignment(before, a)) set.push(a);
  }
  const drop = [...had.keys()].filter((id) => !wanted.has(id));
  return { set, drop };
}

/** Whether two assignments are the same in every field (all of them plain values). */
function sameAssignment(a: MonitorAssignment, b: MonitorAssignment): boolean {
  const ka = Object.keys(a) as (keyof MonitorAssignment)[];
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * What one agent measured for one monitor in one minute (or so far in the current minute: rows
 * of the open minute are sent again as they grow). Keyed by (monitor, agent, minute): the hub
 * replaces a stored row with a grown one and never adds rows, so a row sent twice counts once.
 * A row only grows: a row with fewer `sent` than the stored one is ignored.
 */
export interface MinuteRow {
  /** Monitor id. */
  m: number;
  /** Start of the minute, ms since the epoch (a multiple of 60,000). */
  t: number;
  sent: number;
  recv: number;
  /** Round trips in ms (min, max, sum over the received). Absent when recv = 0. */
  min?: number;
  max?: number;
  sum: number;
  hist: HistogramPairs;
  /** Last round trip (ms) and when (ms since the epoch), as of this row. */
  last?: number;
  lastAt?: number;
  /** Time-weighted averages (ms) at the end of this row, τ = 15 min, 6 h, 24 h (shared/model/ewma.ts). */
  ewma?: [number, number, number];
  /** The address probed (names resolve to it). */
  addr?: string;
  /** Why nothing was sent (a name that does not resolve, a policy refusal): one line. */
  err?: string;
  /** What TCP echo and one-way delay monitors measure beyond round trips (issue 14); absent for other types. */
  x?: MinuteRowExtras;
}

/**
 * The extra figures of a TCP echo or one-way delay monitor's row (issue 14): counters of this minute (they
 * grow as the row does), and gauges as of the end of the row. Every field is optional.
 */
export interface MinuteRowExtras {
  /** TCP echo: probes that timed out in this minute. */
  timeouts?: number;
  /** TCP echo: connections dropped, or connects that failed, in this minute. */
  drops?: number;
  /** TCP echo: connections opened in this minute. */
  connects?: number;
  /** TCP echo: 1 while connected, 0 while not. */
  connected?: 0 | 1;
  /** TCP echo: the probe timeout in use (ms): RFC 6298's RTO, or the fixed one. */
  rtoMs?: number;
  /** TCP echo: loss in percent over the last 100 probes (tcp-echo-metrics' sliding window). */
  lossWindowPct?: number;
  /** One-way delay: forward (us → peer) one-way delays of this minute (ms), on the histogram grid, and their sum. */
  fwd?: HistogramPairs;
  fwdSum?: number;
  /** One-way delay: reverse (peer → us) one-way delays of this minute (ms), and their sum. */
  rev?: HistogramPairs;
  revSum?: number;
  /** One-way delay: the peer's clock minus ours (ms), and its uncertainty (ms), as of the end of the row. */
  offsetMs?: number;
  offsetErrMs?: number;
  /** One-way delay: 1 when the offset estimate is too unstable to trust one-way figures. */
  unstable?: 0 | 1;
}

/** A route-watch trace: the first responder per TTL (null = no answer). */
export interface RouteRecord {
  m: number;
  /** When it ran, ms since the epoch. */
  at: number;
  addr: string;
  hops: (string | null)[];
  /** Whether the target answered. */
  reached: boolean;
}

/** The statistics of one agent × monitor, as `monitor list` and `monitor show` print them. */
export interface MonitorAgentStats {
  agent: string;
  address: string | null;
  sent: number;
  received: number;
  /** Percent, 0–100; null before the first probe. */
  successPct: number | null;
  lossPct: number | null;
  minMs: number | null;
  avg15mMs: number | null;
  avg6hMs: number | null;
  avg24hMs: number | null;
  maxMs: number | null;
  lastMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** When the agent last reported (ISO), or null. */
  lastAt: string | null;
  /** The agent's one-line reason when it cannot probe (resolve failure, policy). */
  error?: string;
}

/** A monitor as the REST API shows it. */
export interface MonitorView {
  id: number;
  name: string;
  type: MonitorType;
  /** As given: a name, an address, or `name@address`. */
  target: string;
  /** What agents probe: the address of `name@address`, else the target. */
  probe: string;
  intervalMs: number;
  traceMs: number | null;
  /** Probe options given at `monitor add` (MonitorAssignment's): absent when not set. */
  legacy?: true;
  fixedTimeout?: true;
  from: string[];
  alerts: string[];
  paused: boolean;
  owner: string;
  createdAt: string;
  updatedAt: string;
  /** The agents it is assigned to now (connected or not). */
  agents: string[];
  /** Per agent, over the range asked (default: all time for counts, live EWMAs). */
  stats: MonitorAgentStats[];
}

/** `monitor show`: the monitor, its statistics over the range, and what changed in it. */
export interface MonitorDetail extends MonitorView {
  /** The range the statistics cover, ms (default 24 h). */
  rangeMs: number;
  routeChanges: { agent: string; at: string; from: (string | null)[]; to: (string | null)[] }[];
  addressChanges: { agent: string; at: string; from: string | null; to: string }[];
  /** Alert rules holding now. */
  alerting: string[];
  /** Path of the heatmap PNG of this monitor over the range, relative to the hub. */
  heatmap: string;
}

/** Body of POST /v1/monitors (PATCH takes the same fields but target/type, all optional). */
export interface MonitorCreateRequest {
  target: string;
  type?: MonitorType;
  from?: string[];
  /** Seconds as a number, or a duration string (`1s`, `500ms`). Default 1 s. */
  interval?: number | string;
  name?: string;
  /** Route watch period, as interval. */
  trace?: number | string;
  alert?: string[];
  /** Where alerts go (front-ends set it for the chat or mail address the command came from). */
  notify?: { telegram?: string; email?: string };
  webhook?: string;
  paused?: boolean;
  /** `--legacy`: the older release of the type's protocol (types that have one; fixed at creation). */
  legacy?: boolean;
  /** `--fixed-timeout`: no adaptive timeout (types that adapt one; fixed at creation). */
  fixedTimeout?: boolean;
}

/** One step of GET /v1/monitors/{id}/samples. */
export interface MonitorSample {
  /** Start of the step (ISO). */
  t: string;
  agent: string;
  sent: number;
  received: number;
  lossPct: number | null;
  minMs: number | null;
  maxMs: number | null;
  avgMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Non-empty buckets: [upper bound ms (null = +Inf), count]. */
  hist: [number | null, number][];
}

export interface MonitorSamplesResponse {
  monitor: number;
  from: string;
  to: string;
  stepMs: number;
  samples: MonitorSample[];
}
