/**
 * The agent side of bench/monitor-agent.ts: a LocalAgent's monitors with N ping targets on
 * 127.0.0.0/8 at one interval, its reports acknowledged at once (the hub is not measured here).
 * Usage: node bench/monitor-agent-child.ts N INTERVAL_MS
 */
import { LocalAgent } from '../agent/runtime/local-agent.ts';
import type { MonitorAssignment } from '../shared/model/monitor-types.ts';

const n = Number(process.argv[2] ?? 10_000);
const intervalMs = Number(process.argv[3] ?? 1000);
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
process.on('SIGTERM', () => {
  local.close();
  process.stdout.write(`${JSON.stringify({ rows, sent, recv })}\n`);
  process.exit(0);
});

/** The i-th address of 127.1.0.0 onwards (the same list the fping side reads). */
function addr(i: number): string {
  const k = i + 256;
  return `127.${1 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`;
}
