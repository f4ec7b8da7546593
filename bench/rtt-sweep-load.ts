/**
 * RTT of 127.0.0.1 — median and p99 — from meshprobe's ICMP ping next to iputils
 * `ping -i 0.002` run alongside, twice: idle, and while the same process also sweeps
 * 127.4.0.0/16 at 20,000 packets/s (design §10: within 10 µs idle median, 50 µs p99 loaded).
 *
 *   node bench/rtt-sweep-load.ts [--count 1000] [--rate 20000] [--json]
 */
import { parseArgs } from 'node:util';
import { iputilsPing, meshprobePing } from './ping-runners.ts';
import { runSweep } from '../agent/probes/probe/sweep.ts';
import { parseSpec } from '../shared/model/spec.ts';
import type { PingStats } from '../shared/model/events.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20000' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const rate = Number(values.rate);
const intervalMs = 2;
const target = '127.0.0.1';

const meshprobe = () => meshprobePing(target, count, intervalMs);
const iputils = () => iputilsPing(target, count, intervalMs);

async function sweepWhile<T>(work: Promise<T>): Promise<{ result: T; sweepSent: number }> {
  const r = parseSpec({ type: 'probe', targets: ['127.4.0.0/16'], rate, timeoutMs: 200 });
  if (!r.ok) throw new Error(r.message);
  const ac = new AbortController();
  let sent = 0;
  const sweep = runSweep(r.spec, { agent: 'bench', signal: ac.signal, emit: (e) => { if (e.type === 'summary') sent = e.sent; } });
  const result = await work;
  ac.abort();
  await sweep;
  return { result, sweepSent: sent };
}

const idle = await Promise.all([meshprobe(), iputils()]);
const loaded = await sweepWhile(Promise.all([meshprobe(), iputils()]));
const us = (ms: number | null) => (ms === null ? NaN : ms * 1000);
const result = {
  bench: 'rtt-sweep-load',
  count,
  intervalMs,
  rate,
  idle: { meshprobe: idle[0], iputils: idle[1], medianDiffUs: us(idle[0].p50Ms) - us(idle[1].p50Ms), p99DiffUs: us(idle[0].p99Ms) - us(idle[1].p99Ms) },
  loaded: {
    meshprobe: loaded.result[0], iputils: loaded.result[1], sweepPackets: loaded.sweepSent,
    medianDiffUs: us(loaded.result[0].p50Ms) - us(loaded.result[1].p50Ms), p99DiffUs: us(loaded.result[0].p99Ms) - us(loaded.result[1].p99Ms),
  },
};
if (values.json) {
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  const row = (name: string, s: PingStats) =>
    `  ${name.padEnd(10)} ${String(s.received).padStart(5)}/${s.sent}  median ${us(s.p50Ms).toFixed(1).padStart(7)} µs  p99 ${us(s.p99Ms).toFixed(1).padStart(7)} µs`;
  process.stdout.write(
    `RTT ${target}, ${count} echo requests ${intervalMs} ms apart, meshprobe and iputils at once\n` +
      `idle\n${row('meshprobe', idle[0])}\n${row('iputils', idle[1])}\n` +
      `  median diff ${result.idle.medianDiffUs.toFixed(1)} µs, p99 diff ${result.idle.p99DiffUs.toFixed(1)} µs\n` +
      `while sweeping 127.4.0.0/16 at ${rate} pps in the same process (${loaded.sweepSent} sweep packets)\n` +
      `${row('meshprobe', loaded.result[0])}\n${row('iputils', loaded.result[1])}\n` +
      `  median diff ${result.loaded.medianDiffUs.toFixed(1)} µs, p99 diff ${result.loaded.p99DiffUs.toFixed(1)} µs (target: p99 within 50 µs)\n`,
  );
}
