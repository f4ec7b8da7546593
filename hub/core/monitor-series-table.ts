/**
 * The hub's in-memory cumulative series per agent × monitor (hub/core/monitor-series.ts): seeded
 * from the store's totals at start, then grown by the deltas upsertRows reports (a row that grew
 * adds only what it grew by, so a resent row adds nothing). Metrics and `monitor list` read it
 * without a query.
 */
import { Histogram, type HistogramPairs } from '../../shared/model/histogram.ts';
import type { MinuteRow } from '../../shared/model/monitor-types.ts';
import type { RowChange, SampleAggregate } from '../store/monitor-store.ts';
import type { MonitorSeries } from './monitor-series.ts';

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
  seed(monitor: { id: number; name: string; target: string }, totals: ReadonlyMap<string, SampleAggregate>, latest: ReadonlyMap<string, MinuteRow>, routeChanges: ReadonlyMap<string, number>): void {
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
      e.routeChanges = routeChanges.get(agent) ?? 0;
    }
  }

  /** Adds what each stored row grew by. */
  apply(monitor: { id: number; name: string; target: string }, change: RowChange): void {
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
  }

  /** One more route change seen by `agent`. */
  routeChanged(monitor: { id: number; name: string; target: string }, agent: string): void {
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

  #entry(monitor: { id: number; name: string; target: string }, agent: string): Entry {
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
