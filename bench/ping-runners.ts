/**
 * What the benches share: running a command and capturing it, and one ping of 127.0.0.1 by
 * meshprobe's ICMP engine or by iputils `ping`, both reduced to the same PingStats.
 */
import { spawn } from 'node:child_process';
import { runPing } from '../agent/probes/ping/ping.ts';
import { Resolver } from '../agent/runtime/resolver.ts';
import { IcmpSocketPool } from '../agent/socket/icmp-socket-pool.ts';
import { parseSpec } from '../shared/model/spec.ts';
import { computeStats } from '../shared/model/stats.ts';
import type { PingStats } from '../shared/model/events.ts';

/** A finished command: exit code, what it printed, and its wall time from spawn to close. */
export interface CommandResult {
  code: number | null;
  out: string;
  err: string;
  ms: number;
}

/** Runs `cmd argv` with no stdin and collects its output; rejects only when it cannot start. */
export function runCommand(cmd: string, argv: string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err, ms: performance.now() - t0 }));
  });
}

/** meshprobe's ICMP ping of `target`, in this process, on its own socket pool. */
export async function meshprobePing(target: string, count: number, intervalMs: number): Promise<PingStats> {
  const r = parseSpec({ type: 'ping', targets: [target], count, intervalMs, timeoutMs: 1000 });
  if (!r.ok) throw new Error(r.message);
  let stats: PingStats | undefined;
  const pool = new IcmpSocketPool({ lingerMs: 0 });
  try {
    await runPing(r.spec, {
      agent: 'bench',
      resolver: new Resolver(),
      signal: new AbortController().signal,
      pool,
      emit: (e) => {
        if (e.type === 'summary') stats = e;
        if (e.type === 'error') throw new Error(e.message);
      },
    });
  } finally {
    pool.close();
  }
  if (!stats) throw new Error('meshprobe ping ended without a summary');
  return stats;
}

/** iputils `ping -n` of `target` (-i below 0.2 s needs root or a capable ping). */
export async function iputilsPing(target: string, count: number, intervalMs: number): Promise<PingStats> {
  const r = await runCommand('ping', ['-n', '-c', String(count), '-i', String(intervalMs / 1000), target]);
  if (r.code !== 0) throw new Error(`iputils ping exited with ${r.code}: ${r.err.trim()}`);
  return computeStats(count, [...r.out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])));
}
