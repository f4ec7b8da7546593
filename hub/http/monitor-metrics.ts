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
import { splitHostPort } from '../../shared/net/host-port.ts';

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
 * tcp_ping_prometheus' families (tcp_ping_prometheus.go), for TCP echo monitors (those whose rows carry a connection's figures), with its names,
 * types and help lines: those of the current release, then the older release's (tcp-echo-metrics)
 * `tcp_echo_connects_total` and `tcp_echo_loss_percent` (sliding window of 100), so that the
 * PromQL and dashboards of either work unchanged.
 */
export const TCP_ECHO_FAMILIES: readonly MetricFamily[] = [
  { name: 'tcp_echo_sent_total', type: 'counter', help: 'Total echo requests sent (attempts).' },
  { name: 'tcp_echo_received_total', type: 'counter', help: 'Total echo responses received.' },
  { name: 'tcp_echo_timeouts_total', type: 'counter', help: 'Total echo requests that timed out.' },
  { name: 'tcp_echo_dropped_total', type: 'counter', help: 'Total connections dropped/failed.' },
  { name: 'tcp_echo_rtt_seconds', type: 'histogram', help: 'Round-trip time in seconds.' },
  { name: 'tcp_echo_last_rtt_seconds', type: 'gauge', help: 'Most recent RTT in seconds.' },
  { name: 'tcp_echo_connected', type: 'gauge', help: '1 if currently connected, 0 otherwise.' },
  { name: 'tcp_echo_estimated_timeout_seconds', type: 'gauge', help: 'Current adaptive timeout (RTO) being used.' },
  { name: 'tcp_echo_connects_total', type: 'counter', help: 'Number of TCP connect attempts (successful).' },
  { name: 'tcp_echo_loss_percent', type: 'gauge', help: 'Echo loss percentage over the sliding window (timeouts considered loss).' },
];

/** The families of one-way delay monitors (issue 14: those whose rows carry one-way delays or a clock offset). */
export const OWD_FAMILIES: readonly MetricFamily[] = [
  { name: 'meshprobe_owd_seconds', type: 'histogram', help: 'One-way delays of monitor probes by direction (one bucket per octave, 2^k ms; negative delays count in the first)' },
  { name: 'meshprobe_clock_offset_seconds', type: 'gauge', help: "The peer's clock minus the agent's, from the four timestamps of one-way delay monitor probes (NTP's estimate)" },
  { name: 'meshprobe_clock_offset_uncertainty_seconds', type: 'gauge', help: 'Half the round trip of the exchange the clock offset comes from: the most it can be off' },
  { name: 'meshprobe_owd_unreliable', type: 'gauge', help: '1 when the clock offset is too unstable to trust one-way delays' },
];

/**
 * Every sample name the exposition can contain (a histogram family contributes `_bucket`,
 * `_sum` and `_count`), with or without the compat families: what dashboards may query.
 */
export function exportedSampleNames(o: MonitorExpositionOptions = {}): string[] {
  const families = [...MONITOR_FAMILIES, ...TCP_ECHO_FAMILIES, ...OWD_FAMILIES, ...(o.compat === 'meshping' ? MESHPING_FAMILIES : [])];
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
  // By what the rows carry, not by the type's name: a type's behaviour is a property of its definition and engine.
  tcpEchoExposition(list.filter((s) => s.extras?.connected !== undefined), out);
  oneWayExposition(list.filter((s) => s.extras !== undefined && (s.extras.forward.total > 0 || s.extras.reverse.total > 0 || s.extras.offsetMs !== undefined)), out);
  if (o.compat === 'meshping') meshpingExposition(list, out);
  out.push('');
  return out.join('\n');
}

/**
 * tcp_ping_prometheus' bounds, ExponentialBuckets(0.0005, 2, 14): 0.5 ms to 4.096 s. They fall on
 * the coarse grid (2^j ms, j = −1…12), so each is an exact sum of the stored fine buckets.
 */
const TCP_ECHO_COARSE = Array.from({ length: 14 }, (_, i) => COARSE_BOUNDS_MS.indexOf(2 ** (i - 1)));
/** tcp_ping_prometheus' default port, for a target given without one. */
const ECHO_PORT = '4000';
const TCP_ECHO_LE = [...TCP_ECHO_COARSE.map((j) => num(COARSE_BOUNDS_MS[j]! / 1000)), '+Inf'];

/**
 * The exporter's `address` label: the address probed with its port (`192.0.2.1:4000`,
 * `[2001:db8::1]:4000`), or the target as given before the agent reported an address.
 */
function echoAddress(s: MonitorSeries): string {
  const port = splitHostPort(s.target.slice(s.target.indexOf('@') + 1)).port ?? ECHO_PORT;
  if (s.address === null) return s.target;
  return s.address.includes(':') ? `[${s.address}]:${port}` : `${s.address}:${port}`;
}

/**
 * tcp_ping_prometheus' names for TCP echo monitors. Labels: `target` (the exporter's target name:
 * the monitor's name) and `address` (host:port probed), plus `agent`, since one hub serves many
 * vantage points where the exporter runs one per host.
 */
function tcpEchoExposition(list: readonly MonitorSeries[], out: string[]): void {
  const labels = list.map((s) => `target="${escapeLabelValue(s.monitor)}",address="${escapeLabelValue(echoAddress(s))}",agent="${escapeLabelValue(s.agent)}"`);
  const [sent, received, timeouts, dropped, rtt, last, connected, rto, connects, loss] = TCP_ECHO_FAMILIES as [MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily, MetricFamily];
  const series = (f: MetricFamily, value: (s: MonitorSeries) => number | undefined) => {
    header(f, out);
    for (let i = 0; i < list.length; i++) {
      const v = value(list[i]!);
      if (v !== undefined) out.push(`${f.name}{${labels[i]}} ${num(v)}`);
    }
  };
  series(sent, (s) => s.sent);
  series(received, (s) => s.received);
  series(timeouts, (s) => s.extras?.timeouts ?? 0);
  series(dropped, (s) => s.extras?.drops ?? 0);
  header(rtt, out);
  for (let i = 0; i < list.length; i++) {
    const s = list[i]!;
    const cum = s.histogram.coarseCumulative();
    for (let j = 0; j < TCP_ECHO_COARSE.length; j++) out.push(`${rtt.name}_bucket{${labels[i]},le="${TCP_ECHO_LE[j]}"} ${cum[TCP_ECHO_COARSE[j]!]}`);
    out.push(`${rtt.name}_bucket{${labels[i]},le="+Inf"} ${s.histogram.total}`);
    out.push(`${rtt.name}_sum{${labels[i]}} ${num(s.sumMs / 1000)}`, `${rtt.name}_count{${labels[i]}} ${s.histogram.total}`);
  }
  series(last, (s) => (s.extras?.lastMs !== undefined ? s.extras.lastMs / 1000 : undefined));
  series(connected, (s) => s.extras?.connected ?? 0);
  series(rto, (s) => (s.extras?.rtoMs !== undefined ? s.extras.rtoMs / 1000 : undefined));
  series(connects, (s) => s.extras?.connects ?? 0);
  series(loss, (s) => s.extras?.lossWindowPct);
}

/** meshprobe_owd_seconds by direction and the clock offset, for one-way delay monitors. */
function oneWayExposition(list: readonly MonitorSeries[], out: string[]): void {
  const labels = list.map(
    (s) => `monitor="${escapeLabelValue(s.monitor)}",target="${escapeLabelValue(s.target)}",address="${escapeLabelValue(s.address ?? '')}",agent="${escapeLabelValue(s.agent)}"`,
  );
  const [oneWay, offset, uncertainty, unreliable] = OWD_FAMILIES as [MetricFamily, MetricFamily, MetricFamily, MetricFamily];
  header(oneWay, out);
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!.extras;
    if (!x) continue;
    for (const [direction, h, sumMs] of [['forward', x.forward, x.forwardSumMs], ['reverse', x.reverse, x.reverseSumMs]] as const) {
      const l = `${labels[i]},direction="${direction}"`;
      const cum = h.coarseCumulative();
      for (let j = 0; j < cum.length; j++) out.push(`${oneWay.name}_bucket{${l},le="${COARSE_LE[j]}"} ${cum[j]}`);
      out.push(`${oneWay.name}_sum{${l}} ${num(sumMs / 1000)}`, `${oneWay.name}_count{${l}} ${h.total}`);
    }
  }
  for (const [f, value] of [
    [offset, (s: MonitorSeries) => (s.extras?.offsetMs !== undefined ? s.extras.offsetMs / 1000 : undefined)],
    [uncertainty, (s: MonitorSeries) => (s.extras?.offsetErrMs !== undefined ? s.extras.offsetErrMs / 1000 : undefined)],
    [unreliable, (s: MonitorSeries) => s.extras?.unstable],
  ] as const) {
    header(f, out);
    for (let i = 0; i < list.length; i++) {
      const v = value(list[i]!);
      if (v !== undefined) out.push(`${f.name}{${labels[i]}} ${num(v)}`);
    }
  }
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
