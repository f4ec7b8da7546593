/**
 * The monitor families of the hub's `/metrics` (issue 13 item 7), written as exposition text
 * directly rather than through prom-client: 1,000 monitors × 3 agents are ~93,000 lines, which a
 * prom-client registry would hold as label objects and re-serialise on every scrape. Here each
 * series is one pass over its histogram and one string per line (see docs/monitors.md "Metrics"
 * for the figures).
 *
 * `meshprobe_monitor_rtt_seconds` is a histogram on the coarse grid (one bound per octave,
 * 2^j ms, COARSE_BOUNDS_MS): each coarse bucket is an exact sum of the fine buckets the store
 * keeps, so `histogram_quantile` over it agrees with the heatmap's rows. Counters are cumulative
 * since the monitor began (the series survive hub restarts, hub/core/monitor-series.ts).
 *
 * With `compat: 'meshping'` the meshping names follow (src/api.py of Svedrin/meshping):
 * `meshping_sent`, `meshping_recv`, `meshping_lost` (counters without `_total`), `meshping_min`,
 * `meshping_max` (gauges in ms, two decimals, only once something was received), and the
 * histogram `meshping_pings` in ms on the 10-per-octave grid, only non-empty buckets, cumulative,
 * then `+Inf`; labels `name` (the monitor's name) and `target` (the address). meshping runs one
 * process per vantage point; the hub serves every agent, so an `agent` label keeps the series apart.
 */
import { bucketBoundMs, COARSE_BOUNDS_MS, OVERFLOW_BUCKET } from '../../shared/model/histogram.ts';
import type { MonitorSeries } from '../core/monitor-series.ts';

/** Options of {@link monitorExposition}. */
export interface MonitorExpositionOptions {
  /** Also meshping's names and units (MESHPROBE_METRICS_COMPAT=meshping). Default none. */
  compat?: 'meshping';
}

/** A metric family the hub exports: its name, type and help line. */
export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
}

/** The meshprobe_monitor_* families, always exported. */
export const MONITOR_FAMILIES: readonly MetricFamily[] = [
  { name: 'meshprobe_monitor_rtt_seconds', type: 'histogram', help: 'Round-trip times of monitor probes (one bucket per octave, 2^k ms)' },
  { name: 'meshprobe_monitor_sent_total', type: 'counter', help: 'Monitor probes sent' },
  { name: 'meshprobe_monitor_received_total', type: 'counter', help: 'Monitor probes answered' },
  { name: 'meshprobe_monitor_lost_total', type: 'counter', help: 'Monitor probes unanswered (sent - received)' },
  { name: 'meshprobe_monitor_route_changes_total', type: 'counter', help: 'Route changes seen by route watch (--trace)' },
];

/** meshping's families, exported with MESHPROBE_METRICS_COMPAT=meshping. */
export const MESHPING_FAMILIES: readonly MetricFamily[] = [
  { name: 'meshping_sent', type: 'counter', help: 'Sent pings' },
  { name: 'meshping_recv', type: 'counter', help: 'Received pongs' },
  { name: 'meshping_lost', type: 'counter', help: 'Lost pings (sent - recv)' },
  { name: 'meshping_max', type: 'gauge', help: 'max ping' },
  { name: 'meshping_min', type: 'gauge', help: 'min ping' },
  { name: 'meshping_pings', type: 'histogram', help: 'Pings bucketed by response time' },
];

/**
 * Every sample name the exposition can contain (a histogram family contributes `_bucket`,
 * `_sum` and `_count`), with or without the compat families: what dashboards may query.
 */
export function exportedSampleNames(o: MonitorExpositionOptions = {}): string[] {
  const families = [...MONITOR_FAMILIES, ...(o.compat === 'meshping' ? MESHPING_FAMILIES : [])];
  return families.flatMap((f) => (f.type === 'histogram' ? [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`] : [f.name]));
}

/** A label value escaped as the text format wants it: backslash, double quote and newline. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

/** A sample value: integers as they are, other numbers in JS's shortest round-trip form. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** The coarse bounds in seconds, as `le` label text (computed once). */
const COARSE_LE: readonly string[] = [...COARSE_BOUNDS_MS.map((ms) => num(ms / 1000)), '+Inf'];

/**
 * meshping prints `le` in ms with two decimals; below 1 ms that merges neighbouring buckets of the
 * fine grid (0.0078 and 0.0084 would both be `0.01`), so there three significant digits are kept.
 */
export function meshpingLe(k: number): string {
  if (k >= OVERFLOW_BUCKET) return '+Inf';
  const ms = bucketBoundMs(k);
  return ms >= 1 ? ms.toFixed(2) : String(Number(ms.toPrecision(3)));
}

function header(f: MetricFamily, out: string[]): void {
  out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
}

/**
 * The exposition text (format 0.0.4) of every series: the meshprobe families, then meshping's
 * when asked. Ends with a newline; empty families still carry HELP and TYPE.
 */
export function monitorExposition(series: Iterable<MonitorSeries>, o: MonitorExpositionOptions = {}): string {
  const list = [...series];
  const labels = list.map(
    (s) => `monitor="${escapeLabelValue(s.monitor)}",target="${escapeLabelValue(s.target)}",address="${escapeLabelValue(s.address ?? '')}",agent="${escapeLabelValue(s.agent)}"`,
  );
  const out: string[] = [];
  const [rtt, sent, received, lost, routes] = MONITOR_FAMILIES as [MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily];
  header(rtt, out);
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    const l = labels[i]!;
    const cum = s.histogram.coarseCumulative();
    for (let j = 0; j < cum.length; j++) out.push(`${rtt.name}_bucket{${l},le="${COARSE_LE[j]}"} ${cum[j]}`);
    out.push(`${rtt.name}_sum{${l}} ${num(s.sumMs / 1000)}`, `${rtt.name}_count{${l}} ${s.histogram.total}`);
  }
  for (const [f, value] of [
    [sent, (s: MonitorSeries) => s.sent],
    [received, (s: MonitorSeries) => s.received],
    [lost, (s: MonitorSeries) => Math.max(0, s.sent - s.received)],
    [routes, (s: MonitorSeries) => s.routeChanges],
  ] as const) {
    header(f, out);
    for (let i = 0; i < list.length; i++) out.push(`${f.name}{${labels[i]}} ${value(list[i]!)}`);
  }
  if (o.compat === 'meshping') meshpingExposition(list, out);
  out.push('');
  return out.join('\n');
}

/** meshping's families (src/api.py), one block per family as the text format requires. */
function meshpingExposition(list: readonly MonitorSeries[], out: string[]): void {
  const labels = list.map((s) => `name="${escapeLabelValue(s.monitor)}",target="${escapeLabelValue(s.address ?? s.target)}",agent="${escapeLabelValue(s.agent)}"`);
  const [sent, recv, lost, max, min, pings] = MESHPING_FAMILIES as [MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily];
  for (const [f, value] of [
    [sent, (s: MonitorSeries) => s.sent],
    [recv, (s: MonitorSeries) => s.received],
    [lost, (s: MonitorSeries) => Math.max(0, s.sent - s.received)],
  ] as const) {
    header(f, out);
    for (let i = 0; i < list.length; i++) out.push(`${f.name}{${labels[i]}} ${value(list[i]!)}`);
  }
  for (const [f, value] of [
    [max, (s: MonitorSeries) => s.maxMs],
    [min, (s: MonitorSeries) => s.minMs],
  ] as const) {
    header(f, out);
    for (let i = 0; i < list.length; i++) {
      const v = value(list[i]!);
      if (list[i]!.received > 0 && v !== null) out.push(`${f.name}{${labels[i]}} ${v.toFixed(2)}`);
    }
  }
  header(pings, out);
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    const l = labels[i]!;
    let count = 0;
    for (const [k, c] of s.histogram.pairs()) {
      if (k >= OVERFLOW_BUCKET) continue;
      count += c;
      out.push(`${pings.name}_bucket{${l},le="${meshpingLe(k)}"} ${count}`);
    }
    out.push(`${pings.name}_bucket{${l},le="+Inf"} ${s.histogram.total}`);
    out.push(`${pings.name}_sum{${l}} ${num(s.sumMs)}`, `${pings.name}_count{${l}} ${s.histogram.total}`);
  }
}
