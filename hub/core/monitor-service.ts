/**
 * The hub's monitors (issue 13, design §11), transport-free: implements MonitorApi over a
 * MonitorStore and the AgentDirectory, for the REST routes and /v1/cli alike.
 *
 * - Who: a monitor belongs to the subject that created it (`principal.subject`); admin sees every
 *   monitor. Reading needs `monitor:read`, changing `monitor:write` (`measure` grants both,
 *   hub/auth/scopes.ts); anonymous callers own none.
 * - Where: each monitor runs on every connected agent that announces `monitor` and the monitor's
 *   type and matches its `from`; paused monitors run nowhere. An agent gets its full set on
 *   connect and again whenever a monitor it has (or gets) changes.
 * - Ingest: a report is validated (rows for monitors the agent does not run are dropped and
 *   counted), stored, and only then does the returned promise resolve, so the link acks only what
 *   is durable; a store failure rejects it (no ack: the agent sends it again). The stored rows'
 *   growth feeds the in-memory series (monitor-series.ts) that /metrics reads.
 */
import { hasScope, Scope } from '../auth/scopes.ts';
import { isAllowed, type PolicyMode } from '../../shared/net/address-policy.ts';
import { isIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import { parseAlertRule } from '../../shared/model/alert-rule.ts';
import { formatDuration, parseDurationMs } from '../../shared/model/duration.ts';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import {
  MONITOR_NAME_PATTERN,
  MonitorLimits,
  type MinuteRow,
  type MonitorAssignment,
  type MonitorCreateRequest,
  type MonitorDetail,
  type MonitorSamplesResponse,
  type MonitorType,
  type MonitorView,
} from '../../shared/model/monitor-types.ts';
import { validateSpec } from '../../shared/model/validate-spec.ts';
import { agentCanRun, andList, monitorTypeNames, type MeasurementType } from '../../shared/registry.ts';
import type { AgentInfo, MonitorReport } from '../../shared/wire/agent-link.ts';
import type { MonitorPatch, MonitorRecord, MonitorStore, SampleAggregate } from '../store/monitor-store.ts';
import { DEFAULT_HOUR_RETENTION_MS, DEFAULT_MINUTE_RETENTION_MS } from '../store/retention.ts';
import type { AgentDirectory } from './agent-directory.ts';
import type { AgentRanges } from './agent-ranges.ts';
import { matchesSelector } from './agent-registry.ts';
import type { MonitorApi, MonitorUpdateRequest } from './monitor-api.ts';
import { MonitorSeriesTable } from './monitor-series-table.ts';
import type { MonitorSeries, MonitorSeriesSource } from './monitor-series.ts';
import { agentStats, mergeAggregate, sampleView } from './monitor-stats.ts';
import { parseMonitorTarget } from './monitor-target.ts';
import { webhookProblem } from './webhook-url.ts';
import { hubLimits, refuseTargets, type HubLimits } from './policy-admit.ts';
import type { Principal } from './principal.ts';
import { MONITOR_CAPABILITY } from '../../shared/wire/agent-protocol-constants.ts';

/** The capability an agent announces when it runs monitors. */
export { MONITOR_CAPABILITY } from '../../shared/wire/agent-protocol-constants.ts';

/**
 * Least time between two pushes of assignment sets: the shortest interval a monitor may have, so a
 * change still reaches the agents within one interval, while a burst of adds (10,000 through the
 * REST API, one per request) sends ~10 sets a second instead of one whole set per add, which the
 * agent parsed 10,000 times (~1 MB each) and whose garbage V8 kept as resident memory.
 */
const PUSH_GAP_MS = MonitorLimits.minIntervalMs;

/** Defaults of {@link MonitorServiceOptions}. */
export const MonitorDefaults = {
  maxPerSubject: 100,
  /** 10,000 targets at 1 Hz on one agent: the performance target. */
  maxPpsPerAgent: 10_000,
  minuteRetentionMs: DEFAULT_MINUTE_RETENTION_MS,
  hourRetentionMs: DEFAULT_HOUR_RETENTION_MS,
  rollupEveryMs: 3_600_000,
  /**
   * Rows one rollup call folds or deletes before it yields to the event loop: ~15 ms of CPU on the
   * development machine (bench/store-rollup.ts), so agents' reports and requests wait at most that.
   */
  rollupRowsPerCall: 3000,
  defaultRangeMs: 86_400_000,
  /** Most steps one samples answer may have. */
  maxSteps: 10_000,
} as const;

export interface MonitorServiceOptions {
  store: MonitorStore;
  registry: AgentDirectory;
  /** The hub's target policy (MESHPROBE_POLICY): literal targets are judged as for ping. */
  policy: PolicyMode;
  /** Overrides of the policy's limits; its minIntervalMs is the floor of a monitor's interval too. */
  limits?: Partial<HubLimits>;
  /** Prefixes the hub allows each named agent (MESHPROBE_AGENT_RANGES); sent with its assignments. */
  agentRanges?: AgentRanges;
  /** Monitors one subject may own (MESHPROBE_MONITOR_MAX_PER_SUBJECT); admin is not capped. Default 100; 0 = no cap. */
  maxPerSubject?: number;
  /** Probes/s one agent may be assigned, all monitors together (MESHPROBE_MONITOR_MAX_PPS_PER_AGENT). Default 10,000; 0 = no cap. */
  maxPpsPerAgent?: number;
  /** Minute rows older than this are folded into hourly rows (MESHPROBE_MONITOR_MINUTE_RETENTION). Default 14 days. */
  minuteRetentionMs?: number;
  /** Hourly rows older than this are deleted (MESHPROBE_MONITOR_HOUR_RETENTION). Default 400 days. */
  hourRetentionMs?: number;
  /** How often the rollup runs. Default hourly; 0 = never (tests call rollup()). */
  rollupEveryMs?: number;
  /** Rows one step of the timer's rollup does before yielding to the event loop; the steps go on until it is done. Default 3,000. */
  rollupRowsPerCall?: number;
  /** Clock, ms since the epoch. Default Date.now. */
  now?: () => number;
  log?: (line: string) => void;
}

/** What the service tells about the reports it took in (tests, logs). */
export interface IngestCounters {
  reports: number;
  rowsStored: number;
  /** Rows (and route records) of monitors the agent does not run, or with impossible times. */
  rowsDropped: number;
  /** Reports that could not be stored (not acked). */
  failed: number;
}

export class MonitorService implements MonitorApi, MonitorSeriesSource {
  readonly #store: MonitorStore;
  readonly #registry: AgentDirectory;
  readonly #policy: PolicyMode;
  readonly #limits: HubLimits;
  readonly #ranges: AgentRanges;
  readonly #maxPerSubject: number;
  readonly #maxPps: number;
  readonly #minuteRetentionMs: number;
  readonly #hourRetentionMs: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #rollupRowsPerCall: number;
  /** A stepped rollup in progress (the timer does not start another). */
  #rolling = false;
  readonly #monitors = new Map<number, MonitorRecord>();
  readonly #series = new MonitorSeriesTable();
  /** The newest row per monitor × agent (last, EWMAs, address, err), loaded from the store on first need. */
  readonly #latest = new Map<number, Map<string, MinuteRow>>();
  /** The address last recorded per `monitor\tagent`: recordAddress only when it changes. */
  readonly #addresses = new Map<string, string>();
  /** Agents seen since start (connected or not), for `agents` of a view. */
  readonly #known = new Map<string, AgentInfo>();
  readonly #pending = new Set<string>();
  #pushQueued = false;
  #lastPushAt = Number.NEGATIVE_INFINITY;
  readonly #counters: IngestCounters = { reports: 0, rowsStored: 0, rowsDropped: 0, failed: 0 };
  readonly #lastDropLog = new Map<string, number>();
  readonly #timers: ReturnType<typeof setTimeout>[] = [];
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(o: MonitorServiceOptions) {
    this.#store = o.store;
    this.#registry = o.registry;
    this.#policy = o.policy;
    this.#limits = hubLimits(o.policy, o.limits);
    this.#ranges = o.agentRanges ?? {};
    this.#maxPerSubject = o.maxPerSubject ?? MonitorDefaults.maxPerSubject;
    this.#maxPps = o.maxPpsPerAgent ?? MonitorDefaults.maxPpsPerAgent;
    this.#minuteRetentionMs = o.minuteRetentionMs ?? MonitorDefaults.minuteRetentionMs;
    this.#hourRetentionMs = o.hourRetentionMs ?? MonitorDefaults.hourRetentionMs;
    this.#now = o.now ?? Date.now;
    this.#log = o.log ?? (() => {});
    this.#rollupRowsPerCall = o.rollupRowsPerCall ?? MonitorDefaults.rollupRowsPerCall;
    for (const m of this.#store.listMonitors()) {
      this.#monitors.set(m.id, m);
      this.#seed(m);
    }
    this.#unsubscribe = this.#registry.onChange((change, info) => change === 'added' && this.#attach(info));
    for (const info of this.#registry.list()) this.#attach(info);
    const every = o.rollupEveryMs ?? MonitorDefaults.rollupEveryMs;
    if (every > 0) {
      const tick = () => void this.rollupInSteps();
      const first = setTimeout(tick, Math.min(every, 60_000));
      const timer = setInterval(tick, every);
      first.unref?.();
      timer.unref?.();
      this.#timers.push(first, timer);
    }
  }

  // ---- MonitorSeriesSource ----

  series(): Iterable<MonitorSeries> {
    return this.#series.series();
  }

  /** The store the service works on (the hub closes it after the service). */
  get store(): MonitorStore {
    return this.#store;
  }

  /** Reports taken in since start. */
  get counters(): Readonly<IngestCounters> {
    return this.#counters;
  }

  // ---- MonitorApi ----

  create(who: Principal, request: MonitorCreateRequest): MonitorView {
    this.#require(who, 'write');
    const type = request.type ?? monitorTypeNames()[0]!;
    if (!monitorTypeNames().includes(type)) throw bad(`type: monitors run ${andList(monitorTypeNames())}`);
    const parsed = parseMonitorTarget(request.target);
    if ('problem' in parsed) throw bad(parsed.problem);
    const intervalMs = this.#interval(request.interval ?? MonitorLimits.defaultIntervalMs / 1000);
    const traceMs = request.trace === undefined ? null : this.#trace(request.trace);
    const name = checkName(request.name ?? parsed.defaultName);
    const from = selectors(request.from);
    const options = { ...(request.legacy ? { legacy: true as const } : {}), ...(request.fixedTimeout ? { fixedTimeout: true as const } : {}) };
    this.#admit(type, parsed.probe, from, options);
    const alerts = checkAlerts(request.alert ?? []);
    const notify = this.#notify(who, request.notify ?? {}, request.webhook);
    const paused = request.paused ?? false;
    const admin = isAdmin(who);
    if (!admin && this.#maxPerSubject > 0) {
      const have = this.#store.countMonitors(who.subject);
      if (have >= this.#maxPerSubject) throw limit(`${who.subject} has ${have} monitors, the most one subject may have (MESHPROBE_MONITOR_MAX_PER_SUBJECT=${this.#maxPerSubject}); remove one first`);
    }
    if (this.#store.findMonitor(who.subject, name)) throw bad(`you already have a monitor named ${name}; give another with --name`);
    const draft = { id: 0, type, probe: parsed.probe, intervalMs, from, paused } as MonitorRecord;
    if (!paused) this.#checkCaps(draft);
    const record = this.#store.createMonitor({ owner: who.subject, name, type, target: request.target.trim(), probe: parsed.probe, intervalMs, traceMs, ...options, from, alerts, notify, paused }, this.#now());
    this.#monitors.set(record.id, record);
    this.#pushFor(undefined, record);
    return this.#view(record);
  }

  list(who: Principal): MonitorView[] {
    this.#require(who, 'read');
    const admin = isAdmin(who);
    return [...this.#monitors.values()].filter((m) => admin || m.owner === who.subject).sort((a, b) => a.id - b.id).map((m) => this.#view(m));
  }

  show(who: Principal, ref: string, rangeMs: number = MonitorDefaults.defaultRangeMs): MonitorDetail {
    this.#require(who, 'read');
    const m = this.#find(who, ref);
    if (!(rangeMs > 0) || rangeMs > this.#hourRetentionMs) throw bad(`range: between 1 minute and ${formatDuration(this.#hourRetentionMs)} (what the hub keeps)`);
    const now = this.#now();
    const from = Math.floor((now - rangeMs) / 60_000) * 60_000;
    const to = Math.floor(now / 60_000) * 60_000 + 60_000;
    const perAgent = new Map<string, SampleAggregate>();
    for (const a of this.#store.samples(m.id, { from, to, stepMs: to - from })) {
      const had = perAgent.get(a.agent);
      perAgent.set(a.agent, had ? mergeAggregate(had, a) : a);
    }
    const latest = this.#latestOf(m.id);
    const agents = this.#agentsOf(m);
    const names = [...new Set([...agents, ...perAgent.keys()])].sort();
    const view = this.#view(m);
    return {
      ...view,
      stats: names.map((agent) => agentStats(agent, perAgent.get(agent), latest.get(agent))),
      rangeMs,
      routeChanges: this.#store.routeChanges(m.id, from).map((c) => ({ agent: c.agent, at: iso(c.at), from: c.from, to: c.to })),
      addressChanges: this.#store.addressChanges(m.id, from).map((c) => ({ agent: c.agent, at: iso(c.at), from: c.from, to: c.to })),
      alerting: m.alerts.filter((rule) => this.#store.alertState(m.id, rule)?.holding === true),
      heatmap: `/v1/monitors/${m.id}/heatmap.png?range=${formatDuration(rangeMs)}`,
    };
  }

  update(who: Principal, ref: string, patch: MonitorUpdateRequest): MonitorView {
    this.#require(who, 'write');
    const before = this.#find(who, ref);
    const change: MonitorPatch = {};
    if (patch.name !== undefined && patch.name !== before.name) {
      change.name = checkName(patch.name);
      if (this.#store.findMonitor(before.owner, change.name)) throw bad(`you already have a monitor named ${change.name}`);
    }
    if (patch.interval !== undefined) change.intervalMs = this.#interval(patch.interval);
    if (patch.trace !== undefined) change.traceMs = isOff(patch.trace) ? null : this.#trace(patch.trace);
    if (patch.from !== undefined) {
      change.from = selectors(patch.from);
      this.#admit(before.type, before.probe, change.from);
    }
    if (patch.alert !== undefined) change.alerts = checkAlerts(patch.alert);
    if (patch.notify !== undefined || patch.webhook !== undefined) {
      change.notify = { ...before.notify, ...this.#notify(who, patch.notify ?? {}, patch.webhook) };
    }
    if (patch.paused !== undefined) change.paused = patch.paused;
    if (Object.keys(change).length === 0) return this.#view(before);
    const draft = { ...before, ...change };
    if (!draft.paused && (change.intervalMs !== undefined || change.from !== undefined || (before.paused && change.paused === false))) this.#checkCaps(draft, before.id);
    const after = this.#store.updateMonitor(before.id, change, this.#now());
    if (!after) throw notFound(ref);
    this.#monitors.set(after.id, after);
    if (after.name !== before.name) this.#series.rename(after.id, after.name);
    this.#pushFor(before, after);
    return this.#view(after);
  }

  remove(who: Principal, ref: string): { id: number; name: string } {
    this.#require(who, 'write');
    const m = this.#find(who, ref);
    this.#store.deleteMonitor(m.id);
    this.#monitors.delete(m.id);
    this.#series.drop(m.id);
    this.#latest.delete(m.id);
    for (const key of [...this.#addresses.keys()]) if (key.startsWith(`${m.id}\t`)) this.#addresses.delete(key);
    this.#pushFor(m, undefined);
    return { id: m.id, name: m.name };
  }

  samples(who: Principal, ref: string, q: { agent?: string; from?: number; to?: number; stepMs?: number }): MonitorSamplesResponse {
    this.#require(who, 'read');
    const m = this.#find(who, ref);
    const now = this.#now();
    const to = Math.ceil((q.to ?? now + 1) / 60_000) * 60_000;
    const from = Math.floor((q.from ?? to - MonitorDefaults.defaultRangeMs) / 60_000) * 60_000;
    if (!(from < to)) throw bad('from: must be before to');
    const span = to - from;
    let stepMs = q.stepMs ?? Math.max(60_000, span / 1440);
    stepMs = Math.max(60_000, Math.ceil(stepMs / 60_000) * 60_000);
    const steps = Math.ceil(span / stepMs);
    if (steps > MonitorDefaults.maxSteps) throw bad(`step: ${formatDuration(stepMs)} over ${formatDuration(span)} gives ${steps} steps, more than the ${MonitorDefaults.maxSteps} one answer may have; take a longer step`);
    const rows = this.#store.samples(m.id, { ...(q.agent !== undefined ? { agent: q.agent } : {}), from, to, stepMs });
    return { monitor: m.id, from: iso(from), to: iso(to), stepMs, samples: rows.map(sampleView) };
  }

  // ---- rollup and lifecycle ----

  /** Folds old minute rows and drops old hourly rows (hourly on its own; callable any time). */
  rollup(): { minutesFolded: number; hoursDeleted: number } {
    return this.#store.rollup(this.#now(), { minuteRetentionMs: this.#minuteRetentionMs, hourRetentionMs: this.#hourRetentionMs });
  }

  /** Stops the timers and stops listening to the directory. The store is the caller's to close. */
  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#unsubscribe();
  }

  /**
   * The timer's rollup: calls of at most rollupRowsPerCall rows, each a synchronous transaction,
   * with a turn of the event loop between them (agents' reports and requests go first), until the
   * store says it is done. Resolves then; a failure is logged and ends this round.
   */
  async rollupInSteps(): Promise<{ minutesFolded: number; hoursDeleted: number; calls: number }> {
    const total = { minutesFolded: 0, hoursDeleted: 0, calls: 0 };
    if (this.#rolling) return total;
    this.#rolling = true;
    try {
      for (;;) {
        if (this.#closed) break;
        const r = this.#store.rollup(this.#now(), { minuteRetentionMs: this.#minuteRetentionMs, hourRetentionMs: this.#hourRetentionMs, maxRows: this.#rollupRowsPerCall });
        total.calls++;
        total.minutesFolded += r.minutesFolded;
        total.hoursDeleted += r.hoursDeleted;
        if (!r.more) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (total.minutesFolded || total.hoursDeleted) {
        this.#log(`hub: monitors: rolled ${total.minutesFolded} minute rows into hours, deleted ${total.hoursDeleted} hourly rows (${total.calls} steps)`);
      }
    } catch (err) {
      this.#log(`hub: monitors: rollup failed: ${(err as Error).message}`);
    } finally {
      this.#rolling = false;
    }
    return total;
  }

  // ---- ingest ----

  /**
   * Stores one report of `agent`: resolves once everything in it is durable, rejects with the
   * store's error otherwise. Rows for monitors the agent does not run are dropped and counted.
   */
  async ingest(agent: string, report: MonitorReport): Promise<void> {
    this.#counters.reports++;
    try {
      this.#ingest(agent, report);
    } catch (err) {
      this.#counters.failed++;
      throw err;
    }
  }

  #ingest(agent: string, report: MonitorReport): void {
    const info = this.#known.get(agent) ?? this.#registry.get(agent)?.info;
    const now = this.#now();
    // A row older than the minute retention may already be folded into its hour: storing it
    // again would count it twice. Agents buffer far less than that.
    const oldest = now - this.#minuteRetentionMs + 3_600_000;
    const runs = (id: number): MonitorRecord | undefined => {
      const m = this.#monitors.get(id);
      return m && info && this.#eligible(m, info) ? m : undefined;
    };
    const rows: MinuteRow[] = [];
    let dropped = 0;
    for (const row of report.rows) {
      if (runs(row.m) && row.t <= now + 120_000 && row.t >= oldest) rows.push(row);
      else dropped++;
    }
    const routes = (report.routes ?? []).filter((r) => runs(r.m) !== undefined && r.at <= now + 120_000);
    dropped += (report.routes?.length ?? 0) - routes.length;
    if (dropped > 0) this.#dropped(agent, dropped);
    if (rows.length > 0) {
      const changes = this.#store.upsertRows(agent, rows);
      // Durable now: the growth goes into the series at once, so that a failure further on (and
      // the resend it causes, which adds nothing) cannot lose it.
      for (const c of changes) {
        const m = this.#monitors.get(c.row.m);
        if (!m) continue;
        this.#series.apply(m, c);
        this.#noteLatest(m.id, agent, c.row);
      }
      this.#counters.rowsStored += changes.length;
      this.#recordAddresses(agent, rows);
    }
    for (const r of routes) {
      const changed = this.#store.recordRoute(agent, r);
      const m = this.#monitors.get(r.m);
      if (changed && m) this.#series.routeChanged(m, agent);
    }
  }

  /** Records the address of each monitor's newest row when it differs from the one last recorded. */
  #recordAddresses(agent: string, rows: readonly MinuteRow[]): void {
    const newest = new Map<number, MinuteRow>();
    for (const r of rows) {
      if (r.addr === undefined) continue;
      const had = newest.get(r.m);
      if (!had || r.t >= had.t) newest.set(r.m, r);
    }
    for (const [m, row] of newest) {
      const key = `${m}\t${agent}`;
      if (this.#addresses.get(key) === row.addr) continue;
      this.#store.recordAddress(m, agent, row.addr!, row.lastAt ?? row.t);
      this.#addresses.set(key, row.addr!);
    }
  }

  #dropped(agent: string, n: number): void {
    this.#counters.rowsDropped += n;
    const now = this.#now();
    if (now - (this.#lastDropLog.get(agent) ?? -Infinity) < 60_000) return;
    this.#lastDropLog.set(agent, now);
    this.#log(`hub: monitors: dropped ${n} rows from agent ${agent}: monitors it does not run, or times out of range (logged once a minute)`);
  }

  #noteLatest(id: number, agent: string, row: MinuteRow): void {
    const latest = this.#latest.get(id);
    if (!latest) return; // loaded from the store when first asked for, with this row in it
    const had = latest.get(agent);
    if (!had || row.t >= had.t) latest.set(agent, row);
  }

  #latestOf(id: number): Map<string, MinuteRow> {
    let latest = this.#latest.get(id);
    if (!latest) this.#latest.set(id, (latest = this.#store.latestRows(id)));
    return latest;
  }

  #seed(m: MonitorRecord): void {
    const latest = this.#latestOf(m.id);
    const routeChanges = new Map<string, number>();
    for (const c of this.#store.routeChanges(m.id, 0)) routeChanges.set(c.agent, (routeChanges.get(c.agent) ?? 0) + 1);
    this.#series.seed(m, this.#store.totals(m.id), latest, routeChanges);
    for (const [agent, row] of latest) if (row.addr !== undefined) this.#addresses.set(`${m.id}\t${agent}`, row.addr);
  }

  // ---- assignment ----

  #attach(info: AgentInfo): void {
    if (this.#closed) return;
    this.#known.set(info.name, info);
    const link = this.#registry.get(info.name);
    if (!link?.monitors || !info.capabilities.includes(MONITOR_CAPABILITY)) return;
    const name = info.name;
    link.monitors.onReport((report) => this.ingest(name, report));
    this.#schedulePush([name]);
  }

  /** Whether `m` runs on the agent `info` (paused or not): capability, type and `from`. */
  #eligible(m: Pick<MonitorRecord, 'type' | 'from'>, info: AgentInfo): boolean {
    if (!info.capabilities.includes(MONITOR_CAPABILITY) || !agentCanRun(info.capabilities, m.type as MeasurementType)) return false;
    return m.from.length === 0 || m.from.some((s) => matchesSelector(info, s));
  }

  /** Whether the hub's ranges for `agent` (if any) allow a literal `probe`; names are the agent's to check. */
  #inRanges(agent: string, probe: string): boolean {
    const ranges = Object.hasOwn(this.#ranges, agent) ? this.#ranges[agent] : undefined;
    if (!ranges || !isIp(probe, TARGET_ADDRESS)) return true;
    return isAllowed(probe, 'lan', { allowedRanges: ranges }).ok;
  }

  /** The set `info` runs: in id order, within the probes/s cap and the assignment bound. */
  #assignmentsFor(info: AgentInfo): MonitorAssignment[] {
    const out: MonitorAssignment[] = [];
    let pps = 0;
    let left = 0;
    for (const m of [...this.#monitors.values()].sort((a, b) => a.id - b.id)) {
      if (m.paused || !this.#eligible(m, info) || !this.#inRanges(info.name, m.probe)) continue;
      const cost = 1000 / m.intervalMs;
      if ((this.#maxPps > 0 && pps + cost > this.#maxPps + 1e-9) || out.length >= MonitorLimits.maxAssignmentsPerAgent) {
        left++;
        continue;
      }
      pps += cost;
      out.push({
        id: m.id,
        type: m.type,
        target: m.probe,
        intervalMs: m.intervalMs,
        timeoutMs: Math.min(2000, Math.max(1000, m.intervalMs)),
        ...(m.traceMs !== null ? { traceMs: m.traceMs } : {}),
        ...(m.legacy ? { legacy: true } : {}),
        ...(m.fixedTimeout ? { fixedTimeout: true } : {}),
        rev: m.rev,
      });
    }
    if (left > 0) this.#log(`hub: monitors: agent ${info.name} is at its cap (${this.#maxPps} probes/s, ${MonitorLimits.maxAssignmentsPerAgent} monitors); ${left} monitors are not assigned to it`);
    return out;
  }

  /** Pushes new sets to the agents a change concerns (those that ran `before` or run `after`). */
  #pushFor(before: MonitorRecord | undefined, after: MonitorRecord | undefined): void {
    const names: string[] = [];
    for (const info of this.#registry.list()) {
      if ((before && this.#eligible(before, info)) || (after && this.#eligible(after, info))) names.push(info.name);
    }
    this.#schedulePush(names);
  }

  /**
   * Sends once per agent however many monitors changed: at this turn's end, or PUSH_GAP_MS after
   * the previous push when that was more recent.
   */
  #schedulePush(names: readonly string[]): void {
    for (const n of names) this.#pending.add(n);
    if (this.#pushQueued || this.#pending.size === 0) return;
    this.#pushQueued = true;
    const flush = () => {
      this.#pushQueued = false;
      this.#lastPushAt = performance.now();
      const names = [...this.#pending];
      this.#pending.clear();
      for (const name of names) this.#push(name);
    };
    const wait = this.#lastPushAt + PUSH_GAP_MS - performance.now();
    if (wait <= 0) setImmediate(flush);
    else setTimeout(flush, wait).unref();
  }

  #push(name: string): void {
    if (this.#closed) return;
    const link = this.#registry.get(name);
    if (!link?.monitors || !link.info.capabilities.includes(MONITOR_CAPABILITY)) return;
    // The link sends what differs from what the agent has (or nothing); so does an in-process agent.
    const list = this.#assignmentsFor(link.info);
    const ranges = Object.hasOwn(this.#ranges, name) ? this.#ranges[name] : undefined;
    link.monitors.assign(list, { policy: this.#policy, ...(ranges ? { allowedRanges: ranges } : {}) });
  }

  /** Refuses `m` (not yet stored, or changed) when an agent it would run on would pass its caps. */
  #checkCaps(m: Pick<MonitorRecord, 'type' | 'from' | 'intervalMs'> & { probe: string }, replacing?: number): void {
    const cost = 1000 / m.intervalMs;
    for (const info of this.#registry.list()) {
      if (!this.#eligible(m, info) || !this.#inRanges(info.name, m.probe)) continue;
      let pps = 0;
      let n = 0;
      for (const o of this.#monitors.values()) {
        if (o.id === replacing || o.paused || !this.#eligible(o, info)) continue;
        pps += 1000 / o.intervalMs;
        n++;
      }
      if (this.#maxPps > 0 && pps + cost > this.#maxPps + 1e-9) {
        throw limit(`agent ${info.name} would probe ${fmt(pps + cost)}/s, over the cap of ${fmt(this.#maxPps)} probes/s per agent (MESHPROBE_MONITOR_MAX_PPS_PER_AGENT); take a longer interval or fewer agents (--from)`);
      }
      if (n + 1 > MonitorLimits.maxAssignmentsPerAgent) throw limit(`agent ${info.name} already runs ${n} monitors, the most one agent may run (${MonitorLimits.maxAssignmentsPerAgent})`);
    }
  }

  // ---- views and checks ----

  #agentsOf(m: MonitorRecord): string[] {
    if (m.paused) return [];
    const out = new Set<string>();
    for (const info of this.#known.values()) if (this.#eligible(m, info) && this.#inRanges(info.name, m.probe)) out.add(info.name);
    return [...out].sort();
  }

  #view(m: MonitorRecord): MonitorView {
    const agents = this.#agentsOf(m);
    const series = this.#series.of(m.id);
    const latest = this.#latestOf(m.id);
    const names = [...new Set([...agents, ...series.keys()])].sort();
    return {
      id: m.id,
      name: m.name,
      type: m.type,
      target: m.target,
      probe: m.probe,
      intervalMs: m.intervalMs,
      traceMs: m.traceMs,
      ...(m.legacy ? { legacy: true as const } : {}),
      ...(m.fixedTimeout ? { fixedTimeout: true as const } : {}),
      from: m.from,
      alerts: m.alerts,
      paused: m.paused,
      owner: m.owner,
      createdAt: iso(m.createdAt),
      updatedAt: iso(m.updatedAt),
      agents,
      stats: names.map((agent) => {
        const s = series.get(agent);
        return agentStats(agent, s ? { sent: s.sent, recv: s.received, min: s.minMs, max: s.maxMs, hist: s.histogram } : undefined, latest.get(agent));
      }),
    };
  }

  #require(who: Principal, access: 'read' | 'write'): void {
    if (who.subject === 'anonymous') {
      throw new MeshprobeError(ErrorCode.Unauthorized, 'monitors need a token: anonymous callers cannot own or read monitors (ask the hub admin for one, or /token in the Telegram bot)');
    }
    const scope = access === 'read' ? Scope.monitorRead : Scope.monitorWrite;
    if (!hasScope(who.scopes, [scope])) throw new MeshprobeError(ErrorCode.Forbidden, `${who.subject} may not ${access === 'read' ? 'read' : 'change'} monitors: it needs the ${scope} scope`);
  }

  /** The caller's monitor by id or name (admin: anyone's); MP_ERR_NOT_FOUND otherwise, whoever owns it. */
  #find(who: Principal, ref: string): MonitorRecord {
    const r = ref.trim();
    const admin = isAdmin(who);
    const mine = (m: MonitorRecord | undefined) => (m && (admin || m.owner === who.subject) ? m : undefined);
    let m = /^\d+$/.test(r) ? mine(this.#monitors.get(Number(r))) : undefined;
    m ??= mine(this.#store.findMonitor(who.subject, r));
    if (!m && admin) {
      const named = [...this.#monitors.values()].filter((x) => x.name === r);
      if (named.length > 1) throw bad(`${named.length} monitors are named ${r} (owners ${named.map((x) => x.owner).join(', ')}); give its id`);
      m = named[0];
    }
    if (!m) throw notFound(r);
    return this.#monitors.get(m.id) ?? m;
  }

  #interval(value: number | string): number {
    const ms = parseDurationMs(value);
    const floor = Math.max(MonitorLimits.minIntervalMs, this.#limits.minIntervalMs);
    if (ms === undefined) throw bad(`interval: ${value} is not a duration (seconds, or a number with ms, s, m or h)`);
    if (ms < floor || ms > MonitorLimits.maxIntervalMs) throw bad(`interval: ${formatDuration(ms)} is outside ${formatDuration(floor)}–${formatDuration(MonitorLimits.maxIntervalMs)} (the bounds of this hub)`);
    return ms;
  }

  #trace(value: number | string): number {
    const ms = parseDurationMs(value);
    if (ms === undefined) throw bad(`trace: ${value} is not a duration (seconds, or a number with s, m, h or d)`);
    if (ms < MonitorLimits.minTraceMs || ms > MonitorLimits.maxTraceMs) throw bad(`trace: ${formatDuration(ms)} is outside ${formatDuration(MonitorLimits.minTraceMs)}–${formatDuration(MonitorLimits.maxTraceMs)}`);
    return ms;
  }

  /**
   * Where alerts may go, checked: a webhook by its form and, for an address literal, the target
   * policy (hub/core/webhook-url.ts); a mail address only that of the caller (`email:<address>`)
   * and a chat only for a Telegram caller, as the front-ends set them, so that a token cannot make
   * the hub write to someone else's mailbox (admin may set either).
   */
  #notify(who: Principal, notify: { telegram?: string; email?: string }, webhook: string | undefined): { telegram?: string; email?: string; webhook?: string } {
    const admin = isAdmin(who);
    if (notify.email !== undefined && !admin && who.subject.toLowerCase() !== `email:${notify.email.trim().toLowerCase()}`) {
      throw bad(`notify.email: alerts go by mail only to the address the monitor is created from (here ${who.subject}); use a webhook for anything else`);
    }
    if (notify.telegram !== undefined && !admin && !who.subject.startsWith('telegram:')) {
      throw bad(`notify.telegram: alerts go to a Telegram chat only for monitors created from Telegram (here ${who.subject}); use a webhook for anything else`);
    }
    if (webhook !== undefined) {
      const problem = webhookProblem(webhook, this.#policy);
      if (problem) throw bad(problem);
    }
    return { ...notify, ...(webhook !== undefined ? { webhook } : {}) };
  }

  /** The target policy exactly as for a measurement of the monitor's type with that target and `from`: the same validation and refusal. */
  #admit(type: MonitorType, probe: string, from: string[], options: { legacy?: true; fixedTimeout?: true } = {}): void {
    // The probe options go through the type's own validation: a type that has no such option refuses it.
    const v = validateSpec({ type, targets: [probe], ...(from.length ? { from } : {}), ...options });
    if (!v.ok) throw bad(v.message);
    const refusal = refuseTargets(v.spec, this.#policy, this.#limits);
    if (refusal) throw new MeshprobeError(refusal.code, refusal.message);
  }
}

function isAdmin(who: Principal): boolean {
  return who.scopes.includes(Scope.admin);
}

/** The rules as given (trimmed), each parsed (shared/model/alert-rule.ts); the first bad one refused with its reason. */
function checkAlerts(rules: readonly string[]): string[] {
  if (rules.length > MonitorLimits.maxAlerts) throw bad(`alert: at most ${MonitorLimits.maxAlerts} rules`);
  const out = rules.map((r) => r.trim());
  for (const rule of out) {
    const parsed = parseAlertRule(rule);
    if (!parsed.ok) throw bad(parsed.message);
  }
  return out;
}

function checkName(name: string): string {
  const n = name.trim();
  if (!MONITOR_NAME_PATTERN.test(n)) throw bad(`name: ${n || '(empty)'} is not a monitor name (1-63 letters, digits, '.', '_', ':', '@' or '-', starting with a letter or digit)`);
  if (/^\d+$/.test(n)) throw bad(`name: ${n} is all digits, which reads as a monitor id; add a letter`);
  return n;
}

/** `from` as given, with comma lists split (as `-s a,b`). */
function selectors(from: readonly string[] | undefined): string[] {
  return [...new Set((from ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))];
}

function isOff(v: number | string): boolean {
  return v === 0 || (typeof v === 'string' && /^\s*(0|off|none)\s*$/i.test(v));
}

function bad(message: string): MeshprobeError {
  return new MeshprobeError(ErrorCode.BadRequest, message);
}

function limit(message: string): MeshprobeError {
  return new MeshprobeError(ErrorCode.LimitReached, message);
}

function notFound(ref: string): MeshprobeError {
  return new MeshprobeError(ErrorCode.NotFound, `no monitor ${ref} (see monitor list)`);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

