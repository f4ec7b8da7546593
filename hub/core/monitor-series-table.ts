/**
 * The hub's in-memory cumulative series per agent × monitor (hub/core/monitor-series.ts): seeded
 * from the store's totals at start, then grown by the deltas upsertRows reports (a row that grew
 * adds only what it grew by, so a resent row adds nothing). Metrics and `monitor list` read it
 * without a query.
 */
import { Histogram, type HistogramPairs } from '../../shared/model/histogram.ts';
import type { MinuteRow } from '../../shared/model/monitor-types.ts';
import type { RowChange, SampleAggregate } from '../store/monitor-store.ts';
import type { MonitorSeries, SeriesExtras } from './monitor-series.ts';

/** What the table needs of a monitor. */
type MonitorRef = { id: number; name: string; target: string };

/** One series, mutable inside the table. */
interface Entry {
  monitorId: number;
  monitor: string;
  target: string;
  address: string | null;
  /** Minute (t) of the row `address` came from: an older row does not overwrite it. */
  addressT: number;
  agent: string;
  sent: number;
  received: number;
  sumMs: number;
  histogram: Histogram;
  routeChanges: number;
  minMs: number | null;
  maxMs: number | null;
  extras?: SeriesExtras & { gaugeT: number };
}

export class MonitorSeriesTable {
  /** monitor id → agent → entry. */
  readonly #byMonitor = new Map<number, Map<string, Entry>>();

  /** Every series, by monitor id then agent name (insertion order). */
  *series(): Iterable<MonitorSeries> {
    for (const agents of this.#byMonitor.values()) yield* agents.values();
  }

  /** The series of one monitor, by agent. */
  of(monitorId: number): ReadonlyMap<string, MonitorSeries> {
    return this.#byMonitor.get(monitorId) ?? new Map();
  }

  /** Seeds the series of `monitor` from the store's totals, routes changes counted and latest addresses. */
  seed(monitor: MonitorRef, totals: ReadonlyMap<string, SampleAggregate>, latest: ReadonlyMap<string, MinuteRow>, routeChanges: ReadonlyMap<string, number>): void {
    const agents = new Set([...totals.keys(), ...latest.keys(), ...routeChanges.keys()]);
    for (const agent of agents) {
      const e = this.#entry(monitor, agent);
      const t = totals.get(agent);
      if (t) {
        e.sent = t.sent;
        e.received = t.recv;
        e.sumMs = t.sum;
        e.histogram = Histogram.from(t.hist);
        e.minMs = t.min;
        e.maxMs = t.max;
      }
      const row = latest.get(agent);
      if (row?.addr !== undefined) {
        e.address = row.addr;
        e.addressT = row.t;
      }
      if (row) applyGauges(e, row);
      e.routeChanges = routeChanges.get(agent) ?? 0;
    }
  }

  /** Adds what each stored row grew by. */
  apply(monitor: MonitorRef, change: RowChange): void {
    const { row, previous } = change;
    const e = this.#entry(monitor, change.agent);
    e.sent += Math.max(0, row.sent - (previous?.sent ?? 0));
    e.received += Math.max(0, row.recv - (previous?.recv ?? 0));
    e.sumMs += Math.max(0, row.sum - (previous?.sum ?? 0));
    for (const [k, c] of histogramGrowth(row.hist, previous?.hist)) e.histogram.addCount(k, c);
    if (row.min !== undefined) e.minMs = e.minMs === null ? row.min : Math.min(e.minMs, row.min);
    if (row.max !== undefined) e.maxMs = e.maxMs === null ? row.max : Math.max(e.maxMs, row.max);
    if (row.addr !== undefined && row.t >= e.addressT) {
      e.address = row.addr;
      e.addressT = row.t;
    }
    const x = row.x;
    if (x) {
      const px = previous?.x;
      const ex = extrasOf(e);
      ex.timeouts += Math.max(0, (x.timeouts ?? 0) - (px?.timeouts ?? 0));
      ex.drops += Math.max(0, (x.drops ?? 0) - (px?.drops ?? 0));
      ex.connects += Math.max(0, (x.connects ?? 0) - (px?.connects ?? 0));
      if (x.fwd) for (const [k, c] of histogramGrowth(x.fwd, px?.fwd)) ex.forward.addCount(k, c);
      if (x.rev) for (const [k, c] of histogramGrowth(x.rev, px?.rev)) ex.reverse.addCount(k, c);
      ex.forwardSumMs += Math.max(0, (x.fwdSum ?? 0) - (px?.fwdSum ?? 0));
      ex.reverseSumMs += Math.max(0, (x.revSum ?? 0) - (px?.revSum ?? 0));
    }
    applyGauges(e, row);
  }

  /** One more route change seen by `agent`. */
  routeChanged(monitor: MonitorRef, agent: string): void {
    this.#entry(monitor, agent).routeChanges++;
  }

  /** A monitor was renamed: its series keep their counts under the new label. */
  rename(monitorId: number, name: string): void {
    for (const e of this.#byMonitor.get(monitorId)?.values() ?? []) e.monitor = name;
  }

  /** A monitor was removed: its series go. */
  drop(monitorId: number): void {
    this.#byMonitor.delete(monitorId);
  }

  #entry(monitor: MonitorRef, agent: string): Entry {
    let agents = this.#byMonitor.get(monitor.id);
    if (!agents) this.#byMonitor.set(monitor.id, (agents = new Map()));
    let e = agents.get(agent);
    if (!e) {
      e = { monitorId: monitor.id, monitor: monitor.name, target: monitor.target, address: null, addressT: -1, agent, sent: 0, received: 0, sumMs: 0, histogram: new Histogram(), routeChanges: 0, minMs: null, maxMs: null };
      agents.set(agent, e);
    }
    return e;
  }
}

function extrasOf(e: Entry): SeriesExtras & { gaugeT: number } {
  e.extras ??= { timeouts: 0, drops: 0, connects: 0, forward: new Histogram(), forwardSumMs: 0, reverse: new Histogram(), reverseSumMs: 0, gaugeT: -1 };
  return e.extras;
}

/** The gauges (and last round trip) of a row with extras, unless a newer row set them already. */
function applyGauges(e: Entry, row: MinuteRow): void {
  const x = row.x;
  if (!x) return;
  const ex = extrasOf(e);
  if (row.t < ex.gaugeT) return;
  ex.gaugeT = row.t;
  if (row.last !== undefined) ex.lastMs = row.last;
  if (x.connected !== undefined) ex.connected = x.connected;
  if (x.rtoMs !== undefined) ex.rtoMs = x.rtoMs;
  if (x.lossWindowPct !== undefined) ex.lossWindowPct = x.lossWindowPct;
  if (x.offsetMs !== undefined) ex.offsetMs = x.offsetMs;
  if (x.offsetErrMs !== undefined) ex.offsetErrMs = x.offsetErrMs;
  if (x.unstable !== undefined) ex.unstable = x.unstable;
}

/** Per bucket, how much `now` exceeds `before` (rows only grow; a shrunk bucket adds nothing). */
export function histogramGrowth(now: HistogramPairs, before: HistogramPairs | undefined): HistogramPairs {
  if (!before || before.length === 0) return now;
  const prev = new Map(before);
  const out: HistogramPairs = [];
  for (const [k, c] of now) {
    const d = c - (prev.get(k) ?? 0);
    if (d > 0) out.push([k, d]);
  }
  return out;
}
