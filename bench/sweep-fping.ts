/**
 * Sweep of 127.1.0.0/16 (every address answers on loopback): meshprobe's sweep engine versus
 * `fping -g 127.1.0.0/16 -i 0 -r 0 -q -a`, each as its own process, alternating, in this run.
 * Reports the median wall time of each, the ratio, and the hosts each found (and ours missed).
 *
 *   node bench/sweep-fping.ts [--prefix 127.1.0.0/16] [--runs 3] [--json]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runCommand } from './ping-runners.ts';

const { values } = parseArgs({
  options: {
    prefix: { type: 'string', default: '127.1.0.0/16' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const prefix = values.prefix!;
const runs = Number(values.runs);
const child = fileURLToPath(new URL('./sweep-child.ts', import.meta.url));

async function timed(cmd: string, argv: string[]): Promise<{ ms: number; hosts: string[] }> {
  const r = await runCommand(cmd, argv);
  // fping exits 1 when some host is unreachable; only a missing output is a failure.
  if (r.code !== 0 && r.code !== 1) throw new Error(`${cmd} exited with ${r.code}: ${r.err.trim()}`);
  return { ms: r.ms, hosts: r.out.split('\n').filter(Boolean) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours: { ms: number; hosts: string[] }[] = [];
const theirs: { ms: number; hosts: string[] }[] = [];
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
const mine = new Set(ours.at(-1)!.hosts);
const fpingHosts = theirs.at(-1)!.hosts;
const missed = fpingHosts.filter((h) => !mine.has(h)).length;
const result = {
  bench: 'sweep-fping',
  prefix,
  runs,
  meshprobe: { wallMs: median(ours.map((r) => r.ms)), hosts: mine.size },
  fping: { wallMs: median(theirs.map((r) => r.ms)), hosts: fpingHosts.length },
  ratio: median(ours.map((r) => r.ms)) / median(theirs.map((r) => r.ms)),
  missed,
};
if (values.json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  process.stdout.write(
    `sweep ${prefix}, median of ${runs} runs each (whole processes, node start-up included)\n` +
      `meshprobe ${result.meshprobe.wallMs.toFixed(0).padStart(6)} ms  ${result.meshprobe.hosts} hosts up\n` +
      `fping     ${result.fping.wallMs.toFixed(0).padStart(6)} ms  ${result.fping.hosts} hosts up\n` +
      `ratio meshprobe/fping ${result.ratio.toFixed(2)}× (target ≤ 1.0×), hosts fping found that meshprobe missed: ${missed}\n`,
  );
}
