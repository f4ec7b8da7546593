/**
 * TCP echo figures (issue 14):
 *  1. schedule: our tcpping client at a 1 ms interval for --seconds (runs of 10,000 probes, the
 *     count's bound, back to back) against a TCP echo server in another process (our own
 *     responder); each probe's lateness against its due time (p50/p99).
 *  2. RTT: the same server, our client and a minimal Python client (time.perf_counter_ns around
 *     send/recv on one socket, TCP_NODELAY, 1 ms apart) run one after the other; medians compared.
 *  (Many tcpping monitors at once: bench/tcpping-monitors.ts.)
 *
 *   node bench/tcp-echo.ts [--seconds 60] [--json]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { runTcpping } from '../agent/probes/tcpping/tcpping.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';
import { parseSpec } from '../shared/model/spec.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, json: { type: 'boolean' } } });
const seconds = Number(values.seconds);

const SERVER = `
import('./agent/servers/tcp-echo-responder.ts').then(async ({ TcpEchoResponder }) => {
  const r = new TcpEchoResponder({ maxPerSource: 100000, maxConnections: 100000 });
  const a = await r.listen('127.0.0.1', 0);
  console.log(a.port);
});`;

const PY_CLIENT = `
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(('127.0.0.1', port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
rtts = []
start = time.perf_counter_ns()
for seq in range(1, n + 1):
    due = start + seq * 1_000_000
    while time.perf_counter_ns() < due: pass
    f = b'TCPPING\\x00' + struct.pack('<QQ', seq, time.time_ns())
    t0 = time.perf_counter_ns(); s.sendall(f)
    b = b''
    while len(b) < 24: b += s.recv(24 - len(b))
    rtts.append(time.perf_counter_ns() - t0)
rtts.sort()
print(rtts[len(rtts) // 2] / 1e6)
`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = Number(await new Promise<string>((r) => createInterface({ input: server.stdout! }).once('line', r)));
const resolver = { resolve: async (host: string) => ({ address: host, family: 4 as const }) };

async function ours(count: number, intervalMs: number, onSend?: (seq: number, late: number) => void): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'tcpping', targets: [`127.0.0.1:${port}`], count, intervalMs });
  if (!r.ok) throw new Error(r.message);
  const events: MeasurementEvent[] = [];
  await runTcpping(r.spec, { agent: 'bench', resolver, signal: new AbortController().signal, emit: (e) => events.push(e), ...(onSend ? { onSend } : {}) });
  return events;
}

// 1 and 2: our client at 1 ms.
const late: number[] = [];
const n = Math.round(seconds * 1000);
// One run is at most Limits.maxCount (10,000) probes: a longer figure is runs of 10 s back to back.
const events: MeasurementEvent[] = [];
for (let left = n; left > 0; left -= 10_000) events.push(...(await ours(Math.min(left, 10_000), 1, (_s, l) => late.push(l))));
const rtts = events.flatMap((e) => (e.type === 'reply' ? [e.rttMs] : []));
const ourMedian = pct(rtts, 50);
const py = spawn('python3', ['-c', PY_CLIENT, String(port), String(Math.min(n, 20_000))], { stdio: ['ignore', 'pipe', 'inherit'] });
const pyMedian = Number(await new Promise<string>((r) => createInterface({ input: py.stdout! }).once('line', r)));

server.kill();

const out = {
  seconds,
  probes: rtts.length,
  schedule: { p50Us: pct(late, 50) * 1000, p99Us: pct(late, 99) * 1000, maxUs: Math.max(...late) * 1000 },
  rtt: { oursMedianUs: ourMedian * 1000, pythonMedianUs: pyMedian * 1000, diffUs: (ourMedian - pyMedian) * 1000 },
};
if (values.json) console.log(JSON.stringify(out));
else {
  console.log(`tcpping at 1 ms for ${seconds} s: ${out.probes} replies; schedule lateness p50 ${out.schedule.p50Us.toFixed(1)} µs, p99 ${out.schedule.p99Us.toFixed(1)} µs (target < 100 µs)`);
  console.log(`RTT median: ours ${out.rtt.oursMedianUs.toFixed(1)} µs, minimal Python client ${out.rtt.pythonMedianUs.toFixed(1)} µs, diff ${out.rtt.diffUs.toFixed(1)} µs (target within 10 µs)`);
}
