/**
 * Traceroute RTTs next to the classic tools, in one run:
 *  - loopback: meshprobe's ICMP traceroute of 127.0.0.1 (in this process) and
 *    `traceroute -n -I -q N 127.0.0.1`, alternately, `rounds` times; the figure is the median
 *    of meshprobe's per-probe RTTs minus traceroute(8)'s, with the median per probe index (a
 *    rising row means probes queue behind each other);
 *  - lab (unless --no-lab): the 3-router namespace lab of test/lab/lab.ts; meshprobe's per-hop
 *    average (an agent run in the client namespace) next to `mtr -r -j -n -c N` per-hop Avg and
 *    `traceroute -n -I -q N`'s per-hop mean, alternately. mtr reads its receive time in user
 *    space after recvmsg, so its figures carry its own wake-up latency (the loopback line shows
 *    how much); traceroute(8) and meshprobe use the kernel's receive stamp.
 *
 *   node bench/traceroute-rtt.ts [--queries 5] [--rounds 10] [--lab-rounds 3] [--no-lab] [--json]
 */
import { parseArgs } from 'node:util';
import { runTraceroute } from '../agent/probes/traceroute/traceroute.ts';
import { Resolver } from '../agent/runtime/resolver.ts';
import { parseSpec } from '../shared/model/spec.ts';
import type { HopEvent, MeasurementEvent } from '../shared/model/events.ts';
import { runCommand } from './ping-runners.ts';
import { Lab, haveCommand, labUnavailable } from '../test/lab/lab.ts';

const { values } = parseArgs({
  options: {
    queries: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '10' },
    'lab-rounds': { type: 'string', default: '3' },
    'no-lab': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const queries = Number(values.queries);
const rounds = Math.max(1, Number(values.rounds));
const labRounds = Math.max(1, Number(values['lab-rounds']));

const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const say = (s: string) => {
  if (!values.json) process.stdout.write(s + '\n');
};

/** Per hop (index ttl-1), the RTTs of each probe in probe order (ms). */
type Trace = number[][];

function hopsOf(ev: MeasurementEvent[]): Trace {
  const err = ev.find((e) => e.type === 'error');
  if (err && err.type === 'error') throw new Error(err.message);
  const out: Trace = [];
  for (const e of ev) if (e.type === 'hop') out[(e as HopEvent).ttl - 1] = (e as HopEvent).responders.flatMap((r) => r.rttsMs);
  return out;
}

async function meshprobeLoopback(): Promise<Trace> {
  const r = parseSpec({ type: 'traceroute', targets: ['127.0.0.1'], queriesPerHop: queries, protocol: 'icmp' });
  if (!r.ok) throw new Error(r.message);
  const ev: MeasurementEvent[] = [];
  await runTraceroute(r.spec, { agent: 'bench', resolver: new Resolver(), signal: new AbortController().signal, emit: (e) => ev.push(e) });
  return hopsOf(ev);
}

/** RTTs per hop of `traceroute -n` output, in probe order. */
function parseTraceroute(out: string): Trace {
  return out
    .split('\n')
    .slice(1)
    .filter((l) => /^\s*\d+\s/.test(l))
    .map((l) => [...l.matchAll(/([\d.]+) ms/g)].map((m) => Number(m[1])));
}

/** Avg (ms) per hop of `mtr -r -j` (JSON report: µs resolution; the text report has 0.1 ms). */
function parseMtr(out: string): number[] {
  const hubs = (JSON.parse(out) as { report: { hubs: { count: number; Avg: number }[] } }).report.hubs;
  const avg: number[] = [];
  for (const h of hubs) avg[h.count - 1] = h.Avg;
  return avg;
}

async function loopback() {
  const mine: number[][] = [];
  const theirs: number[][] = [];
  for (let i = 0; i < rounds; i++) {
    const m = await meshprobeLoopback();
    mine.push(m[0] ?? []);
    const t = await runCommand('traceroute', ['-n', '-I', '-q', String(queries), '127.0.0.1']);
    if (t.code !== 0) throw new Error(`traceroute exited with ${t.code}: ${t.err.trim()}`);
    theirs.push(parseTraceroute(t.out)[0] ?? []);
  }
  const byIndex = (rs: number[][]) => Array.from({ length: queries }, (_, q) => median(rs.map((r) => r[q]!).filter((x) => x !== undefined)));
  // mtr stamps replies in user space after recvmsg (packet/probe_unix.c); on loopback its Avg
  // shows what that costs, next to traceroute(8), which uses the kernel's SO_TIMESTAMP.
  const mtrLo: number[] = [];
  if (haveCommand('mtr')) {
    const r = await runCommand('mtr', ['-r', '-j', '-n', '-c', String(queries), '-i', '0.1', '127.0.0.1']);
    if (r.code === 0) mtrLo.push(...parseMtr(r.out));
  }
  const meshMed = median(mine.flat());
  const trMed = median(theirs.flat());
  return {
    rounds,
    queries,
    meshprobe: { medianMs: meshMed, byProbeMs: byIndex(mine) },
    traceroute: { medianMs: trMed, byProbeMs: byIndex(theirs) },
    medianDiffUs: (meshMed - trMed) * 1000,
    mtrMs: mtrLo[0] ?? NaN,
  };
}

async function lab() {
  const l = await Lab.create({});
  try {
    const target = l.target.v4;
    const mine: number[][] = []; // per round, per-hop averages
    const theirs: number[][] = [];
    const trace: number[][] = [];
    for (let i = 0; i < labRounds; i++) {
      const ev = await l.runAgent({ type: 'traceroute', targets: [target], queriesPerHop: queries, protocol: 'icmp' });
      mine.push(hopsOf(ev).map((h) => mean(h)));
      const r = await l.exec(l.client.ns, ['mtr', '-r', '-j', '-n', '-c', String(queries), '-i', '0.1', target], { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`mtr exited with ${r.code}: ${r.stderr.trim()}`);
      theirs.push(parseMtr(r.stdout));
      const t = await l.exec(l.client.ns, ['traceroute', '-n', '-I', '-q', String(queries), target], { timeoutMs: 60_000 });
      if (t.code !== 0) throw new Error(`traceroute exited with ${t.code}: ${t.stderr.trim()}`);
      trace.push(parseTraceroute(t.stdout).map((h) => mean(h)));
    }
    const hops = Math.max(...mine.map((x) => x.length), ...theirs.map((x) => x.length));
    const at = (rs: number[][], h: number) => median(rs.map((x) => x[h]!).filter((x) => x !== undefined && !Number.isNaN(x)));
    const perHop = Array.from({ length: hops }, (_, h) => {
      const m = at(mine, h);
      const t = at(theirs, h);
      const tr = at(trace, h);
      const diffUs = (m - t) * 1000;
      const allowedUs = Math.max(20, t * 1000 * 0.05);
      return {
        hop: h + 1, meshprobeAvgMs: m, mtrAvgMs: t, diffUs, allowedUs, within: Math.abs(diffUs) <= allowedUs,
        tracerouteAvgMs: tr, diffTracerouteUs: (m - tr) * 1000,
      };
    });
    return { rounds: labRounds, queries, perHop };
  } finally {
    await l.destroy();
  }
}

const result: Record<string, unknown> = { bench: 'traceroute-rtt' };
const lo = await loopback();
result.loopback = lo;
const f = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
say(`traceroute 127.0.0.1, ${queries} probes, ${rounds} alternating rounds`);
say(`  meshprobe   median ${f(lo.meshprobe.medianMs)}  by probe: ${lo.meshprobe.byProbeMs.map(f).join(' ')}`);
say(`  traceroute  median ${f(lo.traceroute.medianMs)}  by probe: ${lo.traceroute.byProbeMs.map(f).join(' ')}`);
say(`  median per-probe difference: ${lo.medianDiffUs >= 0 ? '+' : ''}${lo.medianDiffUs.toFixed(1)} µs (target: within 20 µs)`);

const labSkip = values['no-lab'] ? 'not asked for' : (labUnavailable() ?? (haveCommand('mtr') ? undefined : 'mtr is not installed (apt-get install mtr-tiny)'));
if (labSkip) {
  result.lab = { skipped: labSkip };
  say(`lab: skipped (${labSkip})`);
} else {
  const lb = await lab();
  result.lab = lb;
  say(`lab (3 routers + target), ${queries} probes per hop, ${lb.rounds} alternating rounds; per-hop average, median of rounds`);
  const sg = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} µs`;
  for (const h of lb.perHop) {
    say(`  hop ${h.hop}: meshprobe ${f(h.meshprobeAvgMs)}  mtr ${f(h.mtrAvgMs)} (${sg(h.diffUs)}, allowed ±${h.allowedUs.toFixed(1)} µs${h.within ? '' : ', OUTSIDE'})  traceroute -I ${f(h.tracerouteAvgMs)} (${sg(h.diffTracerouteUs)})`);
  }
  say(`  mtr on loopback (its own user-space receive time; traceroute(8) there: ${f(lo.traceroute.medianMs)}): ${f(lo.mtrMs)}`);
}
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
