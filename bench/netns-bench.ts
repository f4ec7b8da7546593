/**
 * What bench/monitor-agent.ts and bench/monitor-tree.ts share: a network namespace of their own
 * (its loopback holds all of 127.0.0.0/8 and nobody else's ICMP reaches its raw sockets), CPU of a
 * process or a process tree from /proc (utime + stime, as % of one core), RSS, the load average,
 * medians, and fping run the way the issue names it.
 *
 * fping in a namespace: `fping -l` prints a line per reply on stdout even with -q (fping 5.1), so
 * a stdout pipe nobody reads fills after ~1,000 lines and fping blocks in write(): its stack shows
 * sock_alloc_send_pskb under unix_stream_sendmsg (node's stdio pipes are socket pairs), which
 * looked like a full ICMP send buffer. Its stdout goes to /dev/null here. And fping refuses
 * 10,000 targets only after ~6.5 s, when its 65,536 sequence numbers (each held 10 s) run out, so
 * an early exit is watched for 12 s.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** A namespace with its loopback up; `close()` deletes it. */
export function makeNetns(name: string): { name: string; exec: (cmd: string, args: string[], env?: NodeJS.ProcessEnv) => ChildProcess; close: () => void } {
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    exec: (cmd, args, env) => spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }),
    close: () => execFileSync('ip', ['netns', 'del', name]),
  };
}

/**
 * Runs the calling script inside a network namespace of its own, so that the loopback traffic of
 * other processes on the box does not share its loopback: outside one (no MP_BENCH_NETNS), makes
 * `<prefix>-<pid>`, re-runs `script` there with the same arguments, and deletes it after; inside,
 * calls `inside(name)`. With `enabled` false (not root, or asked not to), runs `inside()` here.
 */
export async function inOwnNetns(prefix: string, script: string, inside: (ns: string | undefined) => Promise<void>, enabled = true): Promise<void> {
  if (!enabled || process.env.MP_BENCH_NETNS) return inside(process.env.MP_BENCH_NETNS);
  const ns = `${prefix}-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, MP_BENCH_NETNS: ns } });
    const [code] = (await once(child, 'exit')) as [number | null];
    process.exitCode = code ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

/** utime + stime of one process, in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** `pid` and all its descendants now. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** RSS of one process in MB. */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/**
 * CPU (% of one core) of the tree under `pid` over `seconds`, per process and in total. The tree
 * is listed at the start (the processes that live through the window).
 */
export async function treeCpu(pid: number, seconds: number): Promise<{ total: number; byPid: Map<number, number>; load: number }> {
  const pids = processTree(pid);
  const c0 = new Map(pids.map((p) => [p, cpuSeconds(p)]));
  const load0 = loadAverage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const byPid = new Map(pids.map((p) => [p, ((cpuSeconds(p) - c0.get(p)!) / wall) * 100]));
  return { total: [...byPid.values()].reduce((a, b) => a + b, 0), byPid, load: (load0 + loadAverage()) / 2 };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The i-th bench address, 127.1.1.0 onwards (the agent and fping probe the same list). */
export function benchAddress(i: number): string {
  const k = i + 256;
  return `127.${1 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}

export interface FpingRun {
  cpu: number;
  rss: number;
  load: number;
}

/**
 * `fping -l -p 1000 -i 0 <quiet> -f FILE` on the first n bench addresses in the namespace, CPU
 * over `seconds` after `warmup`; a string when it exits by itself within 12 s (its refusal).
 * `quiet` is '-q' (the command; fping 5.1 still prints each reply) or '-Q 3600' (silent).
 */
export async function runFping(ns: ReturnType<typeof makeNetns>, n: number, o: { warmup: number; seconds: number; quiet: '-q' | '-Q' }): Promise<FpingRun | string> {
  const file = `/tmp/${ns.name}-targets-${n}.txt`;
  writeFileSync(file, `${Array.from({ length: n }, (_, i) => benchAddress(i)).join('\n')}\n`);
  const quiet = o.quiet === '-q' ? ['-q'] : ['-Q', '3600'];
  const child = spawn('ip', ['netns', 'exec', ns.name, 'fping', '-l', '-p', '1000', '-i', '0', ...quiet, '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(child, 'exit');
  const early = await Promise.race([exited.then(() => true), sleep(Math.max(12, o.warmup) * 1000).then(() => false)]);
  if (early) return err.trim().split('\n')[0] ?? 'exited';
  const pid = processTree(child.pid!).at(-1)!; // fping itself (ip netns exec execs it: the same pid)
  const m = await treeCpu(pid, o.seconds);
  const rss = rssMb(pid);
  child.kill('SIGINT');
  await exited;
  return { cpu: m.total, rss, load: m.load };
}
