/**
 * Sweep of 127.1.0.0/16 (every address answers on loopback): meshprobe's sweep engine versus
 * `fping -g 127.1.0.0/16 -i 0 -r 0 -q -a`, each as its own process, alternating, in this run.
 * Reports the median wall time of each, the ratio, and the hosts each found in every run (and
 * how many fping found that ours missed), with the kernel drops our sweep reported.
 *
 * --load N keeps N busy-loop processes (`node -e 'for(;;){}'`) running for the whole bench:
 * item 15 of issue 11 (sweeps that missed hosts while other work ran on the machine).
 *
 *   node bench/sweep-fping.ts [--prefix 127.1.0.0/16] [--runs 3] [--load 0] [--json]
 */
import { parseArgs } from 'node:util';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runCommand } from './ping-runners.ts';

const { values } = parseArgs({
  options: {
    prefix: { type: 'string', default: '127.1.0.0/16' },
    runs: { type: 'string', default: '3' },
    load: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const prefix = values.prefix!;
const runs = Number(values.runs);
const load = Number(values.load);
const child = fileURLToPath(new URL('./sweep-child.ts', import.meta.url));

interface Run {
  ms: number;
  hosts: string[];
  kernelDrops?: number;
}

async function timed(cmd: string, argv: string[]): Promise<Run> {
  const r = await runCommand(cmd, argv);
  // fping exits 1 when some host is unreachable; only a missing output is a failure.
  if (r.code !== 0 && r.code !== 1) throw new Error(`${cmd} exited with ${r.code}: ${r.err.trim()}`);
  const drops = /^kernelDrops (\d+)$/m.exec(r.err);
  return { ms: r.ms, hosts: r.out.split('\n').filter(Boolean), ...(drops ? { kernelDrops: Number(drops[1]) } : {}) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours: Run[] = [];
const theirs: Run[] = [];
const busy: ChildProcess[] = Array.from({ length: load }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
try {
  for (let i = 0; i < runs; i++) {
    // Alternate who goes first, so neither always gets the warmer machine.
    const a = () => timed(process.execPath, ['--disable-warning=ExperimentalWarning', child, prefix, '0']).then((r) => ours.push(r));
    const b = () => timed('fping', ['-g', prefix, '-i', '0', '-r', '0', '-q', '-a']).then((r) => theirs.push(r));
    if (i % 2 === 0) {
      await a();
      await b();
    } else {
      await b();
      await a();
    }
  }
} finally {
  await Promise.all(busy.map((c) => {
    const gone = once(c, 'exit');
    c.kill('SIGKILL');
    return gone;
  }));
}
// Missed: per run, the hosts fping found in the same round that ours did not.
const missedPerRun = ours.map((r, i) => {
  const mine = new Set(r.hosts);
  return theirs[i]!.hosts.filter((h) => !mine.has(h)).length;
});
const result = {
  bench: 'sweep-fping',
  prefix,
  runs,
  load,
  meshprobe: { wallMs: median(ours.map((r) => r.ms)), hosts: Math.min(...ours.map((r) => r.hosts.length)), hostsPerRun: ours.map((r) => r.hosts.length), wallMsPerRun: ours.map((r) => Math.round(r.ms)), kernelDropsPerRun: ours.map((r) => r.kernelDrops ?? null) },
  fping: { wallMs: median(theirs.map((r) => r.ms)), hosts: Math.min(...theirs.map((r) => r.hosts.length)), hostsPerRun: theirs.map((r) => r.hosts.length), wallMsPerRun: theirs.map((r) => Math.round(r.ms)) },
  ratio: median(ours.map((r) => r.ms)) / median(theirs.map((r) => r.ms)),
  missed: Math.max(...missedPerRun),
  missedPerRun,
};
if (values.json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const l = load ? `, ${load} busy-loop process${load === 1 ? '' : 'es'} running` : '';
  process.stdout.write(
    `sweep ${prefix}, ${runs} runs each, alternating (whole processes, node start-up included${l})\n` +
      `meshprobe median ${result.meshprobe.wallMs.toFixed(0).padStart(6)} ms  hosts up per run ${result.meshprobe.hostsPerRun.join(' ')}  kernel drops ${result.meshprobe.kernelDropsPerRun.join(' ')}\n` +
      `fping     median ${result.fping.wallMs.toFixed(0).padStart(6)} ms  hosts up per run ${result.fping.hostsPerRun.join(' ')}\n` +
      `wall ms per run: meshprobe ${result.meshprobe.wallMsPerRun.join(' ')}; fping ${result.fping.wallMsPerRun.join(' ')}\n` +
      `ratio meshprobe/fping ${result.ratio.toFixed(2)}× (target ≤ 1.0×), hosts fping found that meshprobe missed, per run: ${missedPerRun.join(' ')}\n`,
  );
}
