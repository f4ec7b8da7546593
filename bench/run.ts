/**
 * `npm run bench`: runs every bench in this one run (each measured next to its anchor tool at
 * the same time or alternately) and prints one table of figures and ratios.
 *
 *   node bench/run.ts [--only NAME,…]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runCommand } from './ping-runners.ts';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',');

interface Bench {
  name: string;
  file: string;
  args: string[];
  /** Rows of [what, meshprobe, anchor, ratio/diff, target]. */
  rows: (r: any) => string[][];
}

const us = (ms: number | null | undefined) => (ms == null ? 'n/a' : `${(ms * 1000).toFixed(1)} µs`);
const signed = (x: number, unit: string) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} ${unit}`;

const benches: Bench[] = [
  {
    name: 'sweep-fping',
    file: 'sweep-fping.ts',
    args: ['--json'],
    rows: (r) => [
      [`sweep ${r.prefix} wall time (median of ${r.runs})`, `${r.meshprobe.wallMs.toFixed(0)} ms`, `fping ${r.fping.wallMs.toFixed(0)} ms`, `${r.ratio.toFixed(2)}×`, '≤ 1.0×'],
      ['sweep hosts found', String(r.meshprobe.hosts), `fping ${r.fping.hosts}`, `${r.missed} missed`, '0 missed'],
    ],
  },
  {
    name: 'sweep-fping-load',
    file: 'sweep-fping.ts',
    args: ['--json', '--load', '2', '--runs', '5'],
    rows: (r) => [
      [`sweep ${r.prefix} under load (${r.load} busy loops), wall time (median of ${r.runs})`, `${r.meshprobe.wallMs.toFixed(0)} ms`, `fping ${r.fping.wallMs.toFixed(0)} ms`, `${r.ratio.toFixed(2)}×`, '≤ 1.0×'],
      ['sweep hosts found under load (fewest of the runs)', String(r.meshprobe.hosts), `fping ${r.fping.hosts}`, `${r.missed} missed (worst run)`, '0 missed'],
      ['sweep kernel drops under load, per run', r.meshprobe.kernelDropsPerRun.join(' '), '', '', '0'],
    ],
  },
  {
    name: 'rtt-loopback',
    file: 'rtt-loopback.ts',
    args: ['--json'],
    rows: (r) => {
      // One round ({meshprobe, iputils}) or several ({results: [...]}, the figure is their median).
      const rounds: { meshprobe: { p50Ms: number }; iputils: { p50Ms: number } }[] = r.results ?? [r];
      const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const n = rounds.length > 1 ? `, median of ${rounds.length} rounds` : '';
      return [[
        `RTT 127.0.0.1 median of ${r.count} (${r.intervalMs} ms apart${n})`,
        us(mid(rounds.map((x) => x.meshprobe.p50Ms))),
        `ping ${us(mid(rounds.map((x) => x.iputils.p50Ms)))}`,
        signed(r.medianDiffUs, 'µs'),
        '±10 µs',
      ]];
    },
  },
  {
    name: 'ping-breakdown',
    file: 'ping-breakdown.ts',
    args: ['--json'],
    rows: (r) => [
      [`RTT 127.0.0.1 median, ${r.rounds} alternating rounds of ${r.count} × ${r.intervalMs} ms`, us(r.meshprobeUs / 1000), `ping ${us(r.iputilsUs / 1000)}`, signed(r.medianDiffUs, 'µs'), '±10 µs (aim ±2)'],
      ['  of which: send stamp → kernel reply stamp (the RTT)', us(r.spans.rttUs / 1000), '', '', ''],
      ['  outside the RTT: timer callback → send stamp (JS, N-API)', us(r.spans.beforeStampUs / 1000), '', '', ''],
      ['  outside the RTT: reply stamp → JS handler', us(r.spans.loopToReplyUs / 1000), '', '', ''],
      ['  RTT of the same path waiting awake (as iputils < 10 ms)', us(r.awakeUs / 1000), '', signed(r.awakeUs - r.spans.rttUs, 'µs vs asleep'), ''],
      ...(r.kernel ? [['  C pinger (iputils-like): asleep → awake', us(r.kernel.rttUs / 1000), `awake ${us(r.kernel.spinRttUs / 1000)}`, signed(r.kernel.spinRttUs - r.kernel.rttUs, 'µs'), '']] : []),
      ['  RTT back to back (no idle between probes)', us(r.backToBack.meshprobeRttUs / 1000), `ping -i 0 ${us(r.backToBack.iputilsUs / 1000)}`, signed(r.backToBack.meshprobeRttUs - r.backToBack.iputilsUs, 'µs'), ''],
    ],
  },
  {
    name: 'traceroute-rtt',
    file: 'traceroute-rtt.ts',
    args: ['--json'],
    rows: (r) => [
      [`traceroute 127.0.0.1 per-probe RTT median (${r.loopback.rounds} rounds × ${r.loopback.queries})`, us(r.loopback.meshprobe.medianMs), `traceroute -I ${us(r.loopback.traceroute.medianMs)}`, signed(r.loopback.medianDiffUs, 'µs'), '±20 µs'],
      ...(r.lab.skipped
        ? [['traceroute lab', 'skipped', r.lab.skipped, '', '']]
        : r.lab.perHop.flatMap((h: any) => [
          [`traceroute lab hop ${h.hop} average`, us(h.meshprobeAvgMs), `mtr ${us(h.mtrAvgMs)}`, signed(h.diffUs, 'µs'), `±${h.allowedUs.toFixed(0)} µs`],
          ['', '', `traceroute -I ${us(h.tracerouteAvgMs)}`, signed(h.diffTracerouteUs, 'µs'), ''],
        ])),
      ['mtr on loopback (user-space receive time)', '', `mtr ${us(r.loopback.mtrMs)}`, signed((r.loopback.mtrMs - r.loopback.traceroute.medianMs) * 1000, 'µs vs traceroute -I'), ''],
    ],
  },
  {
    name: 'rtt-sweep-load',
    file: 'rtt-sweep-load.ts',
    args: ['--json'],
    rows: (r) => [
      [`RTT 127.0.0.1 median, idle (${r.count} × ${r.intervalMs} ms)`, us(r.idle.meshprobe.p50Ms), `ping ${us(r.idle.iputils.p50Ms)}`, signed(r.idle.medianDiffUs, 'µs'), '±10 µs'],
      ['RTT 127.0.0.1 p99, idle', us(r.idle.meshprobe.p99Ms), `ping ${us(r.idle.iputils.p99Ms)}`, signed(r.idle.p99DiffUs, 'µs'), ''],
      [`RTT 127.0.0.1 median, sweeping ${r.rate} pps`, us(r.loaded.meshprobe.p50Ms), `ping ${us(r.loaded.iputils.p50Ms)}`, signed(r.loaded.medianDiffUs, 'µs'), ''],
      [`RTT 127.0.0.1 p99, sweeping ${r.rate} pps`, us(r.loaded.meshprobe.p99Ms), `ping ${us(r.loaded.iputils.p99Ms)}`, signed(r.loaded.p99DiffUs, 'µs'), '≤ +50 µs'],
    ],
  },
  {
    name: 'relay',
    file: 'relay.ts',
    args: ['--json'],
    rows: (r) => [
      [`relay agent → hub → client, ${r.rate} events/s, p50 latency`, `${r.relay.p50.toFixed(3)} ms`, `direct ${r.direct.p50.toFixed(3)} ms`, `+${r.addedP50Ms.toFixed(3)} ms`, ''],
      [`relay p99 latency (median of ${r.rounds} alternating rounds)`, `+${r.addedP99MedianMs.toFixed(3)} ms`, `direct p99 ${r.direct.p99.toFixed(3)} ms`, `pooled +${r.addedP99PooledMs.toFixed(3)} ms`, '< 1 ms added'],
      [`relay p99.9 latency (median of ${r.rounds} rounds)`, `+${r.addedP999MedianMs.toFixed(3)} ms`, `direct p99.9 ${r.direct.p999.toFixed(3)} ms`, '', ''],
      ['relay throughput', `${Math.round(r.relay.eps)} events/s`, `direct ${Math.round(r.direct.eps)} events/s`, `${(r.relay.eps / r.direct.eps).toFixed(2)}×`, ''],
      ['relay: hub CPU per relayed event', `${r.hubCpuUsPerEvent.toFixed(1)} µs`, '', '', ''],
    ],
  },
  {
    name: 'monitor-metrics',
    file: 'monitor-metrics.ts',
    args: ['--json'],
    rows: (r) => [
      [`/metrics monitor families, ${r.series} series (median of ${r.runs})`, `${r.plain.medianMs.toFixed(1)} ms`, '', `${r.plain.lines} lines, ${(r.plain.bytes / 1e6).toFixed(1)} MB`, 'near 80k lines, fast'],
      ['  with MESHPROBE_METRICS_COMPAT=meshping', `${r.compat.medianMs.toFixed(1)} ms`, '', `${r.compat.lines} lines, ${(r.compat.bytes / 1e6).toFixed(1)} MB`, ''],
    ],
  },
  {
    name: 'tcp-echo',
    file: 'tcp-echo.ts',
    args: ['--json'],
    rows: (r) => [
      [`tcpping schedule lateness at 1 ms, p99 (${r.probes} probes)`, us(r.schedule.p99Us / 1000), '-', `p50 ${us(r.schedule.p50Us / 1000)}`, '< 100 µs'],
      ['tcpping RTT median vs a minimal Python client', us(r.rtt.oursMedianUs / 1000), `python ${us(r.rtt.pythonMedianUs / 1000)}`, signed(r.rtt.diffUs, 'µs'), '-'],
      ['tcpping RTT median vs a minimal C client (poll: never sleeps, as ours)', us(r.rtt.oursMedianUs / 1000), r.rtt.c ?? `C poll ${us(r.rtt.cPollMedianUs / 1000)}`, r.rtt.c ? '-' : signed(r.rtt.diffPollUs, 'µs'), 'within 10 µs'],
    ],
  },
  {
    name: 'tcpping-monitors',
    file: 'tcpping-monitors.ts',
    args: ['--json'],
    rows: (r) => [
      [`${r.conns} tcpping monitors at ${r.intervalMs} ms: CPU, RSS (median of ${r.runs.length})`, `${(r.cpuShareOfCore * 100).toFixed(1)} % of a core`, r.floor ? `bare C client ${(r.floor.cpuShareOfCore * 100).toFixed(1)} %` : 'no cc: no anchor', r.floor ? `${(r.cpuShareOfCore / r.floor.cpuShareOfCore).toFixed(2)}×, ${r.rssMB.toFixed(0)} MB` : `${r.rssMB.toFixed(0)} MB`, '< 10 %'],
    ],
  },
  {
    name: 'enrich',
    file: 'enrich.ts',
    args: ['--json'],
    rows: (r) => [
      [`mmdb lookups/s (${r.networks} networks)`, `${Math.round(r.mmdbPerS)}/s`, '–', '–', '≥ 500k/s'],
      ['enrichment added to a 30-hop trace (p99)', `${r.trace30HopsP99Ms.toFixed(2)} ms`, '–', '–', '≤ 5 ms'],
    ],
  },
  {
    name: 'mrt-import',
    file: 'mrt-import.ts',
    args: ['--json'],
    rows: (r) => [
      [`MRT import ${r.prefixes} prefixes × peers (${r.routes} routes)`, `${r.importS.toFixed(0)} s, peak RSS ${r.peakRssMb.toFixed(0)} MB`, '–', '–', 'stated'],
      ['BGP lookup by address p99', `${(r.lookupP99Ms * 1000).toFixed(0)} µs`, `SQLite alone ${(r.sqlOnlyP99Ms * 1000).toFixed(0)} µs`, `${(r.lookupP99Ms / r.sqlOnlyP99Ms).toFixed(2)}×`, '< 1 ms'],
    ],
  },
  {
    name: 'web-ui',
    file: 'web-ui.ts',
    args: ['--json'],
    rows: (r) => [
      ['web UI first visit, compressed bytes', `${(r.firstVisitBytes / 1024).toFixed(1)} KB`, '', '', '≤ 150 KB'],
      [`web UI first result line after Enter, beyond the RTT (median of ${r.firstLine.length})`, `${r.medianOverRttMs.toFixed(1)} ms`, '', '', '≤ 150 ms'],
      [`web UI live ${r.sweep.prefix} sweep: long tasks > 50 ms (longest)`, `${r.sweep.longTasks} (${r.sweep.longestMs.toFixed(0)} ms)`, `${r.sweep.hostsUp} up in ${(r.sweep.wallMs / 1000).toFixed(1)} s`, '', '0'],
    ],
  },
];

async function runBench(b: Bench): Promise<any> {
  const file = fileURLToPath(new URL(`./${b.file}`, import.meta.url));
  const r = await runCommand(process.execPath, ['--disable-warning=ExperimentalWarning', file, ...b.args]);
  if (r.code !== 0) throw new Error(`${b.name} failed (${r.code}): ${r.err.trim().split('\n').pop()}`);
  try {
    return JSON.parse(r.out.trim().split('\n').pop()!);
  } catch {
    throw new Error(`${b.name} printed no JSON`);
  }
}

const table: string[][] = [['what', 'meshprobe', 'anchor (same run)', 'ratio / diff', 'target']];
let failed = 0;
for (const b of benches) {
  if (only && !only.includes(b.name)) continue;
  process.stderr.write(`bench: ${b.name} …\n`);
  try {
    table.push(...b.rows(await runBench(b)));
  } catch (err) {
    failed++;
    table.push([b.name, 'failed', (err as Error).message, '', '']);
  }
}
const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => [...(r[i] ?? '')].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
process.stdout.write([line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n') + '\n');
process.exitCode = failed ? 1 : 0;
