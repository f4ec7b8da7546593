/**
 * Continuous monitors on this agent (design §11, issue 13 item 3): the agent half of
 * `AgentMonitors` (shared/wire/agent-link.ts), independent of the measurement type.
 *
 * - **Assignments.** `assign()` takes the full set from the hub and reconciles within one
 *   interval: new monitors start, removed ones stop (their open minute is closed and reported),
 *   one whose `rev` changed restarts (its series, EWMAs included, goes on). With a data dir the
 *   set is written (atomically, fsynced) before it is applied, and read back at start, so a
 *   restarted agent resumes its monitors without the hub.
 * - **Targets.** A name is resolved with the agent's resolver, and every address is checked
 *   against the policy as runs are (target-guard.ts `addressRefusal`: the agent's own mode and
 *   ranges, the hub's mode and the ranges it set for this agent). A refused or unresolvable
 *   target sends nothing: its rows carry `err` with sent = 0, and it is checked again every
 *   {@link MonitorServiceOptions.errorRetryMs}. Names are resolved again every
 *   `MonitorLimits.resolveEveryMs`; a new address shows in the rows' `addr`.
 * - **Rows.** Each outcome folds into the monitor's {@link MinuteSeries}. Every tick closes the
 *   minutes that ended; their rows go into numbered reports, spooled (report-spool.ts) before
 *   they are sent. Every {@link MonitorServiceOptions.reportEveryMs}, and right after a monitor's
 *   first outcome, the open minute's rows go out too, numbered but not spooled (the closed row
 *   supersedes them).
 * - **Reports.** One report is handed to the `onReport` callback at a time, in seq order; when
 *   its promise resolves (the hub stored it) the spool forgets everything up to it; when it
 *   rejects (no hub), it is offered again after {@link MonitorServiceOptions.retryMs}. The agent
 *   measures on while the hub is away.
 * - **Route watch.** A monitor with `traceMs` has its route traced (the registry's
 *   `routeTracer`) every `traceMs`; each trace goes into the next report as a RouteRecord.
 */
import { join } from 'node:path';
import type { AgentMonitors, MonitorReport } from '../../shared/wire/agent-link.ts';
import type { MinuteRow, MonitorAssignment, RouteRecord } from '../../shared/model/monitor-types.ts';
import { assignmentChanges, MonitorLimits } from '../../shared/model/monitor-types.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import { parseIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import { splitHostPort } from '../../shared/net/host-port.ts';
import { describeError, ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { addressRefusal, type GuardResolver } from '../runtime/target-guard.ts';
import { monitorEngine, routeTracer } from '../probes/registry.ts';
import type { MonitorEngine, MonitorEngineOptions, MonitorExtrasSink, TraceResult } from './monitor-engine.ts';
import { MinuteSeries } from './minute-series.ts';
import { ReportSpool } from './report-spool.ts';
import { AssignmentFile, type Scope } from './assignment-file.ts';

export interface MonitorServiceOptions {
  /** The agent's name (refusals name it). */
  agent: string;
  resolver: GuardResolver;
  /** The agent's own policy; the hub's mode applies too (the stricter wins). Default 'lan'. */
  policy?: PolicyMode;
  /** The agent's own allowed prefixes; empty = any (subject to the policy). */
  allowedRanges?: readonly string[];
  /**
   * Where the assignments and the report spool live (`<dataDir>/monitors/`); none = in memory
   * only (a restart then waits for the hub's assignments and loses unacknowledged reports).
   */
  dataDir?: string;
  /** Epoch ms, for minute boundaries and EWMA weights. Default Date.now (tests pass a faster clock). */
  now?: () => number;
  /** How often minutes are closed (real ms). Default 1000. */
  tickMs?: number;
  /** How often the open minute's rows are sent. Default 10,000. */
  reportEveryMs?: number;
  /** Wait after a report could not be delivered. Default 2000. */
  retryMs?: number;
  /** Wait before a refused or unresolvable target is checked again. Default 30,000. */
  errorRetryMs?: number;
  /** How often names are resolved again. Default MonitorLimits.resolveEveryMs (5 min). */
  resolveEveryMs?: number;
  /**
   * Rows kept while the hub does not acknowledge them, before the oldest are dropped. Default
   * 10,000,000 with a data dir (~2.5 GB; a week of 1,000 monitors), 200,000 without (~60 MB).
   */
  maxBufferedRows?: number;
  /** Engine options (socket mode). */
  engine?: MonitorEngineOptions;
  /** Route watch's trace; default the registry's `routeTracer`. */
  trace?: (address: string, family: 4 | 6, signal: AbortSignal) => Promise<TraceResult>;
  log?: (line: string) => void;
}

interface Running {
  a: MonitorAssignment;
  series: MinuteSeries;
  address: string | undefined;
  family: 4 | 6 | undefined;
  /** Added to its engine. */
  probing: boolean;
  /** Bumped on every (re)start and stop: an older check's result is dropped. */
  gen: number;
  checkTimer: ReturnType<typeof setTimeout> | undefined;
  traceTimer: ReturnType<typeof setTimeout> | undefined;
  trace: AbortController | undefined;
}

/** Bytes of rows in one report at most: the hub's frames are bounded at 1 MiB. */
const MAX_REPORT_BYTES = 512 * 1024;

export class MonitorService implements AgentMonitors {
  readonly #o: MonitorServiceOptions;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #running = new Map<number, Running>();
  readonly #engines = new Map<string, Promise<MonitorEngine>>();
  /** The engines made so far (those of #engines that resolved). */
  readonly #made: MonitorEngine[] = [];
  readonly #spool: ReportSpool;
  readonly #dir: string | undefined;
  #file: AssignmentFile | undefined;
  #scope: Scope = { policy: 'lan' };
  #store: ((report: MonitorReport) => Promise<void>) | undefined;
  /** Rows of stopped monitors and route records waiting for the next report. */
  #orphanRows: MinuteRow[] = [];
  #routes: RouteRecord[] = [];
  /** The open minute's reports waiting to go (replaced by each new batch). */
  #live: MonitorReport[] = [];
  /** A report is with the hub now. */
  #sending = false;
  /** Delivery failed; nothing is offered until this passes. */
  #blockedUntil = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #liveSoon: ReturnType<typeof setTimeout> | undefined;
  /** Monitors whose open row should go soon ({@link #soon}). */
  readonly #fresh = new Set<Running>();
  readonly #tick: ReturnType<typeof setInterval>;
  readonly #liveTick: ReturnType<typeof setInterval>;
  #closed = false;

  constructor(o: MonitorServiceOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#log = o.log ?? (() => {});
    this.#dir = o.dataDir ? join(o.dataDir, 'monitors') : undefined;
    this.#spool = new ReportSpool({ ...(this.#dir ? { dir: this.#dir } : {}), maxRows: o.maxBufferedRows ?? (this.#dir ? 10_000_000 : 200_000), log: this.#log });
    this.#tick = setInterval(() => this.#closeMinutes(), o.tickMs ?? 1000);
    this.#tick.unref();
    this.#liveTick = setInterval(() => this.#queueLive(), o.reportEveryMs ?? 10_000);
    this.#liveTick.unref();
    if (this.#dir) {
      this.#file = new AssignmentFile(this.#dir);
      this.#resume(this.#file);
    }
  }

  /** Monitors running now. */
  get size(): number {
    return this.#running.size;
  }

  /** Rows waiting for the hub's acknowledgement (spooled reports). */
  get bufferedRows(): number {
    return this.#spool.rows;
  }

  assign(list: readonly MonitorAssignment[], scope: Scope): void {
    if (this.#closed) return;
    // Durable first, then apply: a restart resumes exactly this set. The hub hands an in-process
    // agent the whole set on every change; what differs goes to the journal, not a rewrite.
    if (JSON.stringify(scope) === JSON.stringify(this.#scope) && this.#running.size > 0) {
      const { set, drop } = assignmentChanges(new Map([...this.#running].map(([id, run]) => [id, run.a])), list);
      if (set.length + drop.length === 0) return;
      if (set.length + drop.length < list.length / 2) {
        this.#file?.append(set, drop, () => ({ list, scope }));
        this.#applyChanges(set, drop);
        return;
      }
    }
    this.#file?.writeAll(list, scope);
    this.#apply(list, scope);
  }

  /**
   * Changes the set (the hub's `monitor-changes` frame): `set` adds or replaces by id, `drop`
   * removes. Refused whole, before anything is written, when the set would pass
   * MonitorLimits.maxAssignmentsPerAgent.
   */
  change(set: readonly MonitorAssignment[], drop: readonly number[]): void {
    if (this.#closed) return;
    // The size after the change, in the change's own time (not the set's).
    const dropped = new Set(drop.filter((id) => this.#running.has(id)));
    const added = new Set(set.filter((a) => !this.#running.has(a.id) || dropped.has(a.id)).map((a) => a.id));
    const size = this.#running.size - dropped.size + added.size;
    if (size > MonitorLimits.maxAssignmentsPerAgent) {
      throw new MeshprobeError(ErrorCode.LimitReached, `monitor changes refused: the set would hold ${size} monitors, over the most one agent runs (${MonitorLimits.maxAssignmentsPerAgent})`);
    }
    this.#file?.append(set, drop, () => {
      const byId = new Map([...this.#running].map(([id, run]) => [id, run.a]));
      for (const id of drop) byId.delete(id);
      for (const a of set) byId.set(a.id, a);
      return { list: [...byId.values()], scope: this.#scope };
    });
    this.#applyChanges(set, drop);
  }

  onReport(store: (report: MonitorReport) => Promise<void>): void {
    this.#store = store;
    this.#blockedUntil = 0;
    this.#pump();
  }

  /** Offers waiting reports now (the link to the hub came back). */
  resume(): void {
    this.#blockedUntil = 0;
    this.#pump();
  }

  /** Stops every monitor; what was measured in the open minutes is spooled first. */
  close(): void {
    if (this.#closed) return;
    for (const run of this.#running.values()) this.#stop(run);
    this.#running.clear();
    this.#closeMinutes();
    this.#closed = true;
    clearInterval(this.#tick);
    clearInterval(this.#liveTick);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#liveSoon) clearTimeout(this.#liveSoon);
    for (const e of this.#engines.values()) void e.then((engine) => engine.close(), () => {});
    this.#spool.close();
    this.#file?.close();
  }

  #resume(file: AssignmentFile): void {
    const saved = file.load();
    if (!saved) return;
    this.#log(`monitors: resuming ${saved.list.length} monitors from ${this.#dir}${saved.changes ? ` (a saved set and ${saved.changes} changes)` : ''}`);
    this.#apply(saved.list, saved.scope);
  }

  #apply(list: readonly MonitorAssignment[], scope: Scope): void {
    const scopeChanged = JSON.stringify(scope) !== JSON.stringify(this.#scope);
    this.#scope = scope;
    const wanted = new Set(list.map((a) => a.id));
    for (const [id, run] of this.#running) {
      if (wanted.has(id)) continue;
      this.#stop(run);
      this.#running.delete(id);
    }
    for (const a of list) this.#upsert(a, scopeChanged);
  }

  #applyChanges(set: readonly MonitorAssignment[], drop: readonly number[]): void {
    for (const id of drop) {
      const run = this.#running.get(id);
      if (!run) continue;
      this.#stop(run);
      this.#running.delete(id);
    }
    for (const a of set) this.#upsert(a, false);
  }

  /** Starts `a`, restarts it when its rev, target or type changed, or when the scope did. */
  #upsert(a: MonitorAssignment, scopeChanged: boolean): void {
    const run = this.#running.get(a.id);
    if (!run) {
      const fresh: Running = { a, series: new MinuteSeries(a.id, this.#now()), address: undefined, family: undefined, probing: false, gen: 0, checkTimer: undefined, traceTimer: undefined, trace: undefined };
      this.#running.set(a.id, fresh);
      this.#start(fresh);
    } else if (run.a.rev !== a.rev || run.a.target !== a.target || run.a.type !== a.type) {
      this.#halt(run);
      run.a = a;
      run.address = undefined;
      this.#start(run);
    } else if (scopeChanged) {
      this.#start(run);
    }
  }

  /** Stops probing `run` (timers, engine, trace), keeping its series. */
  #halt(run: Running): void {
    run.gen++;
    if (run.checkTimer) clearTimeout(run.checkTimer);
    if (run.traceTimer) clearTimeout(run.traceTimer);
    run.checkTimer = run.traceTimer = undefined;
    run.trace?.abort();
    run.trace = undefined;
    if (run.probing) void this.#engine(run.a.type).then((e) => e.remove(run.a.id), () => {});
    run.probing = false;
  }

  /** Stops `run` for good: its open minute is closed and reported. */
  #stop(run: Running): void {
    this.#halt(run);
    run.series.close();
    this.#orphanRows.push(...run.series.takeClosed());
  }

  #start(run: Running): void {
    const gen = ++run.gen;
    if (run.checkTimer) clearTimeout(run.checkTimer);
    run.checkTimer = undefined;
    void this.#check(run, gen);
  }

  #engine(type: string): Promise<MonitorEngine> {
    let e = this.#engines.get(type);
    if (!e) {
      const factory = monitorEngine(type);
      e = factory
        ? factory.then((make) => {
            const engine = make({ agent: this.#o.agent, ...this.#o.engine });
            this.#made.push(engine);
            return engine;
          })
        : Promise.reject(new Error(`this agent cannot run ${type} monitors`));
      this.#engines.set(type, e);
    }
    return e;
  }

  /** Outcomes the engines hold back go into the series before rows are read. */
  #flushEngines(): void {
    for (const engine of this.#made) engine.flush?.();
  }

  /** Resolves and checks the target, then (re)starts probing it; errors go into the rows. */
  async #check(run: Running, gen: number): Promise<void> {
    const { a } = run;
    // A `host:port` target (types that connect to a port): the host is resolved and checked, the port goes to the engine.
    const { host, port } = splitHostPort(a.target);
    const literal = parseIp(host, TARGET_ADDRESS);
    let address: string;
    let family: 4 | 6;
    try {
      const r = await this.#o.resolver.resolve(host, a.family);
      address = r.address;
      family = r.family;
    } catch (err) {
      if (gen !== run.gen) return;
      return this.#refused(run, describeError(err).message, undefined);
    }
    if (gen !== run.gen) return;
    const own = this.#o.policy ?? 'lan';
    const mode: PolicyMode = own === 'public' || this.#scope.policy === 'public' ? 'public' : 'lan';
    const refusal = addressRefusal(this.#o.agent, host, address, { mode, allowedRanges: this.#o.allowedRanges ?? [], hubRanges: this.#scope.allowedRanges ?? [] });
    if (refusal) return this.#refused(run, refusal, address);
    if (!run.probing || run.address !== address) {
      try {
        const engine = await this.#engine(a.type);
        if (gen !== run.gen) return;
        const extras: MonitorExtrasSink = {
          count: (name) => run.series.count(name, this.#now()),
          gauge: (name, value) => run.series.gauge(name, value),
          oneWay: (forwardMs, reverseMs) => run.series.oneWay(forwardMs, reverseMs, this.#now()),
        };
        engine.add({ id: a.id, address, family, intervalMs: a.intervalMs, timeoutMs: a.timeoutMs, ...(port ? { port: Number(port) } : {}), ...(a.legacy ? { legacy: true } : {}), ...(a.fixedTimeout ? { fixedTimeout: true } : {}) }, (rtt, error, agoMs) => this.#outcome(run, rtt, error, agoMs), extras);
      } catch (err) {
        if (gen !== run.gen) return;
        return this.#refused(run, describeError(err).message, address);
      }
      if (run.address !== undefined && run.address !== address) this.#log(`monitors: ${a.target} (monitor ${a.id}) now resolves to ${address}, was ${run.address}`);
      run.probing = true;
      run.address = address;
      run.family = family;
      run.series.addr = address;
      run.series.err = undefined;
      if (a.traceMs !== undefined && !run.traceTimer) this.#scheduleTrace(run, gen, Math.min(5000, a.traceMs));
    }
    // Names are resolved again now and then; a literal never changes.
    if (!literal) run.checkTimer = this.#later(() => this.#check(run, gen), this.#o.resolveEveryMs ?? MonitorLimits.resolveEveryMs);
  }

  /** Nothing can be probed: say why in the rows, stop probing, and look again later. */
  #refused(run: Running, reason: string, address: string | undefined): void {
    const gen = run.gen;
    if (run.series.err !== reason) this.#log(`monitors: monitor ${run.a.id} (${run.a.target}): ${reason}`);
    if (run.probing) void this.#engine(run.a.type).then((e) => e.remove(run.a.id), () => {});
    run.probing = false;
    run.address = undefined;
    run.series.err = reason;
    run.series.dirty = true;
    if (address !== undefined) run.series.addr = address;
    this.#soon(run);
    run.checkTimer = this.#later(() => this.#check(run, gen), this.#o.errorRetryMs ?? 30_000);
  }

  #later(f: () => unknown, ms: number): ReturnType<typeof setTimeout> {
    const t = setTimeout(f, ms);
    t.unref();
    return t;
  }

  #outcome(run: Running, rtt: number | undefined, error: string | undefined, agoMs: number | undefined): void {
    const s = run.series;
    s.record(agoMs ? this.#now() - agoMs : this.#now(), rtt);
    if (rtt === undefined && error) s.err = error;
    else if (rtt !== undefined && s.err !== undefined) s.err = undefined;
    // The first sample shows at the hub within a moment, not at the next report.
    if (s.outcomes === 1) this.#soon(run);
  }

  #scheduleTrace(run: Running, gen: number, ms: number): void {
    run.traceTimer = this.#later(async () => {
      if (gen !== run.gen || !run.address || !run.family) return;
      const controller = new AbortController();
      run.trace = controller;
      const address = run.address;
      try {
        const trace = this.#o.trace ?? (async (addr: string, fam: 4 | 6, signal: AbortSignal) => (await routeTracer())(this.#o.agent, addr, fam, signal));
        const r = await trace(address, run.family, controller.signal);
        if (gen === run.gen) this.#routes.push({ m: run.a.id, at: Math.round(this.#now()), addr: address, hops: r.hops.slice(0, MonitorLimits.maxHops), reached: r.reached });
      } catch (err) {
        if (gen === run.gen) this.#log(`monitors: route watch of ${run.a.target} (monitor ${run.a.id}): ${describeError(err).message}`);
      }
      run.trace = undefined;
      if (gen === run.gen) this.#scheduleTrace(run, gen, run.a.traceMs!);
    }, ms);
  }

  /** Closes ended minutes into spooled reports (with the route records), and offers them. */
  #closeMinutes(): void {
    if (this.#closed) return;
    this.#flushEngines();
    const now = this.#now();
    const rows = this.#orphanRows;
    this.#orphanRows = [];
    for (const run of this.#running.values()) {
      run.series.roll(now);
      for (const r of run.series.takeClosed()) rows.push(r);
    }
    const routes = this.#routes.splice(0, this.#routes.length);
    if (rows.length === 0 && routes.length === 0) return;
    for (const batch of packRows(rows)) this.#spool.append({ seq: this.#spool.allocateSeq(), rows: batch });
    for (let i = 0; i < routes.length; i += MonitorLimits.maxRoutesPerReport) {
      this.#spool.append({ seq: this.#spool.allocateSeq(), rows: [], routes: routes.slice(i, i + MonitorLimits.maxRoutesPerReport) });
    }
    this.#pump();
  }

  /**
   * `run`'s open-minute row soon (its first sample, an error): coalesced into one report with the
   * others that came within 100 ms. Only theirs: while monitors are being added by the thousand,
   * sending every changed row each time would serialize most of the set ten times a second.
   */
  #soon(run: Running): void {
    if (this.#closed) return;
    this.#fresh.add(run);
    this.#liveSoon ??= this.#later(() => {
      this.#liveSoon = undefined;
      const fresh = [...this.#fresh];
      this.#fresh.clear();
      this.#queueLive(fresh.filter((r) => this.#running.get(r.a.id) === r));
    }, 100);
  }

  /** The open minute's changed rows (of `runs`, default all), to send once what is spooled has gone (never spooled). */
  #queueLive(runs: Iterable<Running> = this.#running.values()): void {
    if (this.#closed || !this.#store) return;
    this.#flushEngines();
    const rows: MinuteRow[] = [];
    for (const run of runs) {
      if (!run.series.dirty) continue;
      const row = run.series.openRow();
      if (row) rows.push(row);
    }
    if (rows.length === 0) return;
    // Rows still waiting go too, unless newer ones replace them (a taken row is clean until it changes).
    if (this.#live.length) {
      const newer = new Set(rows.map((r) => r.m));
      for (const r of this.#live) for (const row of r.rows) if (!newer.has(row.m)) rows.push(row);
    }
    this.#live = packRows(rows).map((batch) => ({ seq: -1, rows: batch }));
    this.#pump();
  }

  /** Hands the next report to the hub: spooled ones in order, then the open minute's. */
  #pump(): void {
    if (this.#sending || !this.#store || this.#closed) return;
    const wait = this.#blockedUntil - Date.now();
    if (wait > 0) {
      this.#retryTimer ??= this.#later(() => {
        this.#retryTimer = undefined;
        this.#pump();
      }, wait);
      return;
    }
    const next = this.#spool.pending[0];
    let report: MonitorReport | undefined;
    let spooled = false;
    if (next) {
      report = this.#spool.read(next.seq);
      spooled = true;
    } else if (this.#live.length) {
      report = { ...this.#live.shift()!, seq: this.#spool.allocateSeq() };
    }
    if (!report) return;
    this.#sending = true;
    const sent = report;
    const delivered = (): void => {
      this.#sending = false;
      if (spooled) this.#spool.ack(sent.seq);
      this.#pump();
    };
    const failed = (): void => {
      this.#sending = false;
      // The open minute's rows are not offered again: newer ones (or the closed row) follow.
      this.#live = [];
      this.#blockedUntil = Date.now() + (this.#o.retryMs ?? 2000);
      this.#pump();
    };
    let p: Promise<void>;
    try {
      p = this.#store(sent);
    } catch {
      failed();
      return;
    }
    p.then(delivered, failed);
  }
}

/** Splits rows into reports within the row and byte bounds. */
function packRows(rows: MinuteRow[]): MinuteRow[][] {
  const out: MinuteRow[][] = [];
  let batch: MinuteRow[] = [];
  let bytes = 0;
  for (const r of rows) {
    const size = 120 + r.hist.length * 12 + (r.err?.length ?? 0) + (r.x ? 200 + ((r.x.fwd?.length ?? 0) + (r.x.rev?.length ?? 0)) * 12 : 0);
    if (batch.length && (batch.length >= MonitorLimits.maxRowsPerReport || bytes + size > MAX_REPORT_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}
