/**
 * A scrape of the monitor families (hub/http/monitor-metrics.ts) for 1,000 monitors × 3 agents,
 * each with a histogram of a few dozen occupied fine buckets: wall time per exposition (median
 * of runs), lines and bytes, with and without meshping's names.
 *
 *   node bench/monitor-metrics.ts [--json] [--runs 15]
 */
import { parseArgs } from 'node:util';
import { Histogram } from '../shared/model/histogram.ts';
import type { MonitorSeries } from '../hub/core/monitor-series.ts';
import { monitorExposition } from '../hub/http/monitor-metrics.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string' } } });
const runs = Number(values.runs ?? 15);

const list: MonitorSeries[] = [];
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
for (let m = 0; m < 1000; m++) {
  for (const agent of ['lax1', 'fra1', 'sin1']) {
    const histogram = new Histogram();
    // A day of 1 Hz probes around a base RTT: ~30 occupied fine buckets.
    const base = 0.05 + rnd() * 80;
    for (let i = 0; i < 2000; i++) histogram.addCount(Math.round(10 * Math.log2(base * (0.8 + rnd() * 0.8))), 43);
    const address = `10.${m >> 8}.${m & 255}.1`;
    list.push({ monitorId: m + 1, monitor: `mon-${m}`, target: address, address, agent, sent: 86_400, received: histogram.total, sumMs: base * histogram.total, histogram, routeChanges: 0, minMs: base * 0.8, maxMs: base * 1.6 });
  }
}

function measure(compat: boolean): { medianMs: number; lines: number; bytes: number } {
  const times: number[] = [];
  let text = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    text = monitorExposition(list, compat ? { compat: 'meshping' } : {});
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, lines: text.split('\n').length - 1, bytes: Buffer.byteLength(text) };
}

const result = { series: list.length, runs, plain: measure(false), compat: measure(true) };
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
else {
  for (const [what, r] of [['meshprobe_monitor_*', result.plain], ['+ meshping compat', result.compat]] as const) {
    process.stdout.write(`${what}: ${result.series} series, ${r.lines} lines, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.medianMs.toFixed(1)} ms per scrape (median of ${runs})\n`);
  }
}
