/**
 * Monitors at scale (issue 13, design §10): one agent pinging 10,000 targets at 1 Hz, and fping
 * -l -p 1000 -i 0 -q on 5,000 of the same addresses, in a network namespace of their own (its
 * loopback has all of 127.0.0.0/8 and nobody else's ICMP). CPU is utime+stime from
 * /proc/<pid>/stat over the window, as % of one core; RSS from /proc/<pid>/status at its end.
 * Run by hand as root: node bench/monitor-agent.ts [--seconds 60] [--warmup 10]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, warmup: { type: 'string', default: '10' } } });
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const here = dirname(fileURLToPath(import.meta.url));
const ns = `mp-mon-bench-${process.pid}`;
const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** CPU % of one core of `child` over the window after the warm-up, and its RSS at the end. */
async function measure(child: ChildProcess): Promise<{ cpu: number; rss: number }> {
  await sleep(warmup * 1000);
  const pid = child.pid!;
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = ((cpuTicks(pid) - c0) / ticks / ((performance.now() - t0) / 1000)) * 100;
  return { cpu, rss: rssMb(pid) };
}

function inNs(cmd: string, args: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function agent(n: number): Promise<{ cpu: number; rss: number; result: string }> {
  const child = inNs(process.execPath, ['--disable-warning=ExperimentalWarning', join(here, 'monitor-agent-child.ts'), String(n), '1000']);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  while (!out.includes('ready')) await sleep(50);
  const m = await measure(child);
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { ...m, result: out.split('\n').filter((l) => l.startsWith('{')).join('') };
}

async function fping(n: number): Promise<{ cpu: number; rss: number } | string> {
  const file = `/tmp/${ns}-targets-${n}.txt`;
  writeFileSync(file, Array.from({ length: n }, (_, i) => { const k = i + 256; return `127.${1 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`; }).join('\n') + '\n');
  const child = inNs('fping', ['-l', '-p', '1000', '-i', '0', '-q', '-f', file]);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  const early = await Promise.race([exited.then(() => true), sleep(2000).then(() => false)]);
  if (early) return err.trim().split('\n')[0] ?? 'exited';
  const m = await measure(child);
  child.kill('SIGINT');
  await exited;
  return m;
}

execFileSync('ip', ['netns', 'add', ns]);
try {
  execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  const a10k = await agent(10_000);
  const a5k = await agent(5_000);
  const f5k = await fping(5_000);
  const f10k = await fping(10_000);
  const f5 = typeof f5k === 'string' ? undefined : f5k;
  console.log(`monitors, one agent, 1 Hz, ${seconds} s window after ${warmup} s, netns ${ns}:`);
  console.log(`  agent 10,000 targets: CPU ${a10k.cpu.toFixed(1)} % of a core, RSS ${a10k.rss.toFixed(0)} MB (target < 20 %, < 150 MB) ${a10k.result}`);
  console.log(`  agent  5,000 targets: CPU ${a5k.cpu.toFixed(1)} %, RSS ${a5k.rss.toFixed(0)} MB ${a5k.result}`);
  console.log(`  fping  5,000 targets: ${f5 ? `CPU ${f5.cpu.toFixed(1)} %, RSS ${f5.rss.toFixed(0)} MB; agent/fping at 5,000: ${(a5k.cpu / f5.cpu).toFixed(2)}×` : f5k}`);
  console.log(`  fping 10,000 targets: ${typeof f10k === 'string' ? `refused: ${f10k}` : `CPU ${f10k.cpu.toFixed(1)} %`}`);
} finally {
  execFileSync('ip', ['netns', 'del', ns]);
}
