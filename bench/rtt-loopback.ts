/**
 * RTT of 127.0.0.1: meshprobe's ICMP ping (kernel receive timestamps) next to iputils `ping`,
 * both sending 200 echo requests 5 ms apart, started together in this run so they see the same
 * machine. Prints both medians and the difference in µs.
 *
 *   node bench/rtt-loopback.ts [--count 200] [--interval-ms 5] [--rounds 3] [--sequential] [--json]
 *
 * On a shared machine one round's medians move by ±15 µs with the neighbours' load, so the
 * bench runs a few rounds and reports the median of the per-round differences as the figure.
 */
import { parseArgs } from 'node:util';
import { iputilsPing, meshprobePing } from './ping-runners.ts';
import type { PingStats } from '../shared/model/events.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    'interval-ms': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    sequential: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const intervalMs = Number(values['interval-ms']);
const rounds = Math.max(1, Number(values.rounds));
const target = '127.0.0.1';

const meshprobe = () => meshprobePing(target, count, intervalMs);
const iputils = () => iputilsPing(target, count, intervalMs);

const us = (ms: number | null) => (ms === null ? NaN : ms * 1000);
const row = (name: string, s: PingStats) =>
  `${name.padEnd(10)} ${String(s.received).padStart(4)}/${s.sent}  median ${us(s.p50Ms).toFixed(1).padStart(6)} µs  p90 ${us(s.p90Ms).toFixed(1).padStart(6)} µs  p99 ${us(s.p99Ms).toFixed(1).padStart(6)} µs  min ${us(s.minMs).toFixed(1).padStart(6)} µs`;

const results: { meshprobe: PingStats; iputils: PingStats; medianDiffUs: number }[] = [];
if (!values.json) {
  process.stdout.write(`RTT ${target}: ${count} echo requests ${intervalMs} ms apart, ${rounds} round(s), ${values.sequential ? 'one tool after the other' : 'both tools at once'}\n`);
}
for (let round = 1; round <= rounds; round++) {
  let mine: PingStats;
  let theirs: PingStats;
  if (values.sequential) {
    theirs = await iputils();
    mine = await meshprobe();
  } else {
    [mine, theirs] = await Promise.all([meshprobe(), iputils()]);
  }
  const diff = us(mine.p50Ms) - us(theirs.p50Ms);
  results.push({ meshprobe: mine, iputils: theirs, medianDiffUs: diff });
  if (!values.json) {
    process.stdout.write(`round ${round}\n  ${row('meshprobe', mine)}\n  ${row('iputils', theirs)}\n  median difference: ${diff >= 0 ? '+' : ''}${diff.toFixed(1)} µs\n`);
  }
}
const diffs = results.map((r) => r.medianDiffUs).sort((a, b) => a - b);
const figure = diffs[Math.floor(diffs.length / 2)]!;
if (values.json) {
  process.stdout.write(JSON.stringify({ bench: 'rtt-loopback', count, intervalMs, rounds, mode: values.sequential ? 'sequential' : 'alongside', results, medianDiffUs: figure }) + '\n');
} else {
  process.stdout.write(`median of the per-round differences (meshprobe − iputils): ${figure >= 0 ? '+' : ''}${figure.toFixed(1)} µs (target: within 10 µs)\n`);
}
