/**
 * Monitors at scale (issue 13, design §10): one agent pinging 10,000 targets at 1 Hz, and fping
 * -l -p 1000 -i 0 on 5,000 of the same addresses, in a network namespace of their own
 * (bench/netns-bench.ts). CPU is utime+stime from /proc over the window, as % of one core; RSS
 * from /proc/<pid>/status at its end, with the child's own heap breakdown. Runs alternate
 * (agent 10k, agent 5k, fping 5k, …) `--repeat` times and the medians are printed with the load
 * average of each run: the machine is shared. The agent runs with a warm compile cache, as
 * `meshprobe agent` does from its second start (bin/meshprobe.js, agent/main.ts).
 * Run by hand as root:
 *   node bench/monitor-agent.ts [--seconds 60] [--warmup 20] [--repeat 3] [--young held|default]
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeNetns, median, rssMb, runFping, treeCpu, type FpingRun } from './netns-bench.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
    young: { type: 'string', default: 'held' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const repeat = Number(values.repeat);
const here = dirname(fileURLToPath(import.meta.url));
const ns = makeNetns(`mp-mon-bench-${process.pid}`);
const cache = mkdtempSync(join(tmpdir(), 'mp-bench-cache-'));
const env = { ...process.env, NODE_COMPILE_CACHE: cache };

interface AgentRun {
  cpu: number;
  rss: number;
  load: number;
  result: string;
}

async function agent(n: number): Promise<AgentRun> {
  const child = ns.exec(process.execPath, ['--disable-warning=ExperimentalWarning', join(here, 'monitor-agent-child.ts'), String(n), '1000', values.young!], env);
  const exited = once(child, 'exit');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  while (!out.includes('ready')) await sleep(50);
  await sleep(warmup * 1000);
  const m = await treeCpu(child.pid!, seconds);
  const rss = rssMb(child.pid!);
  child.kill('SIGTERM');
  await exited;
  return { cpu: m.total, rss, load: m.load, result: out.split('\n').filter((l) => l.startsWith('{')).join('') };
}

const fmt = (r: AgentRun | FpingRun): string => `CPU ${r.cpu.toFixed(1)} %, RSS ${r.rss.toFixed(0)} MB (load ${r.load.toFixed(1)})`;

try {
  await agent(0); // fills the compile cache
  const a10: AgentRun[] = [];
  const a5: AgentRun[] = [];
  const fq: FpingRun[] = [];
  const fQ: FpingRun[] = [];
  for (let i = 0; i < repeat; i++) {
    a10.push(await agent(10_000));
    console.log(`  run ${i + 1}: agent 10,000: ${fmt(a10.at(-1)!)} ${a10.at(-1)!.result}`);
    a5.push(await agent(5_000));
    console.log(`  run ${i + 1}: agent  5,000: ${fmt(a5.at(-1)!)}`);
    for (const [quiet, list] of [['-q', fq], ['-Q', fQ]] as const) {
      const f = await runFping(ns, 5_000, { warmup, seconds, quiet });
      if (typeof f === 'string') console.log(`  run ${i + 1}: fping ${quiet} 5,000 exited: ${f}`);
      else {
        list.push(f);
        console.log(`  run ${i + 1}: fping ${quiet}  5,000: ${fmt(f)}`);
      }
    }
  }
  const f10k = await runFping(ns, 10_000, { warmup: 1, seconds: 5, quiet: '-q' });
  const med = (rs: { cpu: number; rss: number; load: number }[]) => ({ cpu: median(rs.map((r) => r.cpu)), rss: median(rs.map((r) => r.rss)), load: median(rs.map((r) => r.load)) });
  const m10 = med(a10);
  const m5 = med(a5);
  console.log(`monitors, one agent, 1 Hz, young generation ${values.young}, ${seconds} s windows after ${warmup} s, medians of ${repeat}, netns ${ns.name}:`);
  console.log(`  agent 10,000 targets: CPU ${m10.cpu.toFixed(1)} % of a core, RSS ${m10.rss.toFixed(0)} MB (target < 20 %, < 150 MB; load ${m10.load.toFixed(1)})`);
  console.log(`  agent  5,000 targets: CPU ${m5.cpu.toFixed(1)} %, RSS ${m5.rss.toFixed(0)} MB (load ${m5.load.toFixed(1)})`);
  for (const [quiet, list] of [['-q', fq], ['-Q 3600', fQ]] as const) {
    if (!list.length) continue;
    const f = med(list);
    console.log(`  fping ${quiet} 5,000 targets: CPU ${f.cpu.toFixed(1)} %, RSS ${f.rss.toFixed(0)} MB (load ${f.load.toFixed(1)}); agent/fping at 5,000: ${(m5.cpu / f.cpu).toFixed(2)}×`);
  }
  console.log(`  fping 10,000 targets: ${typeof f10k === 'string' ? `refused: ${f10k}` : `ran: CPU ${f10k.cpu.toFixed(1)} %`}`);
} finally {
  ns.close();
  rmSync(cache, { recursive: true, force: true });
}
