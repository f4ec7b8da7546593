/**
 * The hub's live, cumulative view of every agent × monitor (issue 13 item 7): what the Prometheus
 * exposition (`meshprobe_monitor_*`, and meshping's names with MESHPROBE_METRICS_COMPAT) and the
 * alerts read without touching the store. The monitor service keeps one series per agent × monitor,
 * initialised from the store's totals when the hub starts and then grown by every stored report,
 * so the counters are monotonic across cuts and resends and survive hub restarts. A series goes
 * away when its monitor is removed (its counters with it, as a Prometheus series may).
 */
import type { Histogram } from '../../shared/model/histogram.ts';

/** One agent × monitor, cumulative since the monitor began. Read-only to consumers. */
export interface MonitorSeries {
  readonly monitorId: number;
  /** The monitor's name (the `monitor` label). */
  readonly monitor: string;
  /** The monitor's target as given: a name, an address, or `name@address` (the `target` label). */
  readonly target: string;
  /** The address the agent last probed, or null before it reported one (the `address` label). */
  readonly address: string | null;
  /** Agent name (the `agent` label). */
  readonly agent: string;
  /** Probes sent. */
  readonly sent: number;
  /** Replies received (lost = sent − received). */
  readonly received: number;
  /** Sum of the received round trips, ms (Prometheus `_sum` is this / 1000 in seconds). */
  readonly sumMs: number;
  /** Every received round trip on the 10-per-octave grid; never reset. Do not mutate. */
  readonly histogram: Histogram;
  /** Route changes recorded by route watch (`meshprobe_monitor_route_changes_total`). */
  readonly routeChanges: number;
  /** The smallest and largest round trip ever seen (ms), null before the first reply (meshping_min/max). */
  readonly minMs: number | null;
  readonly maxMs: number | null;
  /** What TCP echo and one-way delay monitors measure beyond round trips (issue 14); undefined for other types. */
  readonly extras?: SeriesExtras;
}

/**
 * The cumulative extras of a TCP echo or one-way delay series: counters summed over the rows' growth since
 * the hub started (rows rolled up into hours do not keep them), gauges of the newest row.
 */
export interface SeriesExtras {
  timeouts: number;
  drops: number;
  connects: number;
  /** The newest row's round trip (ms) and gauges; undefined until a row carried one. */
  lastMs?: number;
  connected?: 0 | 1;
  rtoMs?: number;
  lossWindowPct?: number;
  offsetMs?: number;
  offsetErrMs?: number;
  unstable?: 0 | 1;
  /** One-way delays (ms) on the 10-per-octave grid, and their sums; never reset. */
  forward: Histogram;
  forwardSumMs: number;
  reverse: Histogram;
  reverseSumMs: number;
}

/** What the hub's monitor service offers to metrics and alerts. */
export interface MonitorSeriesSource {
  /** Every series, by monitor id then agent name. A snapshot iteration: do not hold on to it across awaits. */
  series(): Iterable<MonitorSeries>;
}
