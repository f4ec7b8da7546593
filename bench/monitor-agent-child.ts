/**
 * The agent side of bench/monitor-agent.ts: a LocalAgent's monitors with N ping targets on
 * 127.0.0.0/8 at one interval, its reports acknowledged at once (the hub is not measured here).
 * Usage: node bench/monitor-agent-child.ts N INTERVAL_MS [held|default]
 * `held` (the default) holds V8's young generation as `meshprobe agent` and `npm start` do
 * (agent/runtime/young-generation.ts); `default` leaves V8's sizing alone, for comparison.
 * On SIGTERM it prints one JSON line: rows, sent, recv, and the heap's breakdown in MB.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { LocalAgent } from '../agent/runtime/local-agent.ts';
import { holdYoungGeneration } from '../agent/runtime/young-generation.ts';
import type { MonitorAssignment } from '../shared/model/monitor-types.ts';

const n = Number(process.argv[2] ?? 10_000);
const intervalMs = Number(process.argv[3] ?? 1000);
if ((process.argv[4] ?? 'held') === 'held') holdYoungGeneration();
const local = new LocalAgent({ name: 'bench', loadRunnersNow: false, icmpMode: 'raw' });
let rows = 0;
let sent = 0;
let recv = 0;
local.monitors.onReport(async (r) => {
  for (const row of r.rows) {
    // Closed rows only (the open minute's are sent again as they grow).
    if (row.t + 60_000 <= Date.now()) {
      rows++;
      sent += row.sent;
      recv += row.recv;
    }
  }
});
const list: MonitorAssignment[] = Array.from({ length: n }, (_, i) => ({ id: i + 1, type: 'ping', target: addr(i), intervalMs, timeoutMs: 1000, rev: 1 }));
local.monitors.assign(list, { policy: 'lan' });
process.stdout.write('ready\n');
// Runs until SIGTERM, even with no monitor (the engine's timers do not hold the process).
const alive = setInterval(() => {}, 60_000);
process.on('SIGTERM', () => {
  const mb = (x: number) => Math.round(x / 1048576);
  const m = process.memoryUsage();
  const space = (name: string) => mb(getHeapSpaceStatistics().find((s) => s.space_name === name)?.physical_space_size ?? 0);
  const memory = { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), newSpace: space('new_space'), oldSpace: space('old_space'), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
  clearInterval(alive);
  local.close();
  process.stdout.write(`${JSON.stringify({ rows, sent, recv, memory })}\n`);
  process.exit(0);
});

/** The i-th address of 127.1.0.0 onwards (the same list the fping side reads). */
function addr(i: number): string {
  const k = i + 256;
  return `127.${1 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}
