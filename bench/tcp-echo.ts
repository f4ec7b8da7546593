/**
 * TCP echo figures (issue 14):
 *  1. schedule: our tcpping client at a 1 ms interval for --seconds (runs of 10,000 probes, the
 *     count's bound, back to back) against a TCP echo server in another process (our own
 *     responder); each probe's lateness against its due time (p50/p99/max). Each probe later than
 *     100 µs is put down to what happened in its interval, so that a figure taken on a shared
 *     machine can be read: the main thread was preempted (its nonvoluntary context switches in
 *     /proc/thread-self/status went up), or it slept (its voluntary ones did: a futex, a blocking
 *     poll), or a GC pause overlapped it (PerformanceObserver 'gc'), or it was sent at once after a
 *     probe more than an interval late (the schedule catching up), or none of these (our code).
 *     Scavenges and preemptions during the run are counted too.
 *  2. RTT: the same server, in 5 rounds of 2,000 probes at 1 ms per client, one client after the
 *     other in each round (a change of load falls on all alike): our client, a minimal Python
 *     client (time.perf_counter_ns around send/recv on one socket, TCP_NODELAY, 1 ms apart,
 *     blocking recv) and a minimal C client (bench/tcpping-min.c, built with `cc -O2` into a temp
 *     directory; skipped with a message without cc) in its two waiting modes: `block` (blocking
 *     recv, sleeping between probes) and `poll` (MSG_DONTWAIT recv in a busy loop, spinning
 *     between probes). Ours never sleeps between probes at 1 ms (it turns its event loop), so
 *     C(poll) is the like-for-like yardstick. Per client the median of its round medians; a
 *     difference is the median of the per-round differences.
 *  (Many tcpping monitors at once: bench/tcpping-monitors.ts.)
 *
 *   node bench/tcp-echo.ts [--seconds 60] [--json]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
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

/** Runs our client; its events, or none kept when `onEvent` takes them. */
async function ours(count: number, intervalMs: number, onSend?: (seq: number, late: number) => void, onEvent?: (e: MeasurementEvent) => void): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'tcpping', targets: [`127.0.0.1:${port}`], count, intervalMs });
  if (!r.ok) throw new Error(r.message);
  const events: MeasurementEvent[] = [];
  await runTcpping(r.spec, { agent: 'bench', resolver, signal: new AbortController().signal, emit: onEvent ?? ((e) => events.push(e)), ...(onSend ? { onSend } : {}) });
  return events;
}

// The main thread's nonvoluntary context switches, read without allocating (it runs per probe).
const statusFd = (() => {
  try {
    return openSync('/proc/thread-self/status', 'r');
  } catch {
    return undefined;
  }
})();
const statusBuf = Buffer.alloc(4096);
const PREEMPTED = Buffer.from('nonvoluntary_ctxt_switches:');
const SLEPT = Buffer.from('\nvoluntary_ctxt_switches:');
/** The main thread's context switches so far: nonvoluntary (preempted) × 2^26 + voluntary (it slept). */
function switches(): number {
  if (statusFd === undefined) return 0;
  const n = readSync(statusFd, statusBuf, 0, statusBuf.length, 0);
  return counter(PREEMPTED, n) * 2 ** 26 + counter(SLEPT, n);
}
function counter(label: Buffer, n: number): number {
  let at = statusBuf.indexOf(label) + label.length;
  if (at < label.length || at >= n) return 0;
  while (statusBuf[at] === 0x20 || statusBuf[at] === 0x09) at++;
  let v = 0;
  for (; at < n && statusBuf[at]! >= 0x30 && statusBuf[at]! <= 0x39; at++) v = v * 10 + statusBuf[at]! - 0x30;
  return v;
}

// 1 and 2: our client at 1 ms. Per probe: its lateness, when it left, and whether the main thread
// was preempted since the previous probe (preallocated: the bench must not add garbage of its own).
const n = Math.round(seconds * 1000);
const late = new Float64Array(n);
const leftAt = new Float64Array(n);
// 1: preempted since the previous probe, 2: slept (a voluntary switch), 0: neither.
const switchedBefore = new Uint8Array(n);
let probes = 0;
let lastSwitches = switches();
const gcs: { start: number; end: number; minor: boolean }[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, minor: (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === 1 });
});
gcObserver.observe({ entryTypes: ['gc'] });
const usage0 = process.resourceUsage();
// One run is at most Limits.maxCount (10,000) probes: a longer figure is runs of 10 s back to back.
// Its events are counted, not kept: 60,000 of them alive would lengthen every scavenge.
let replies = 0;
for (let left = n; left > 0; left -= 10_000) {
  await ours(
    Math.min(left, 10_000),
    1,
    (_s, l) => {
      if (probes >= n) return;
      const sw = switches();
      late[probes] = l;
      leftAt[probes] = performance.now();
      switchedBefore[probes] = Math.floor(sw / 2 ** 26) > Math.floor(lastSwitches / 2 ** 26) ? 1 : sw % 2 ** 26 > lastSwitches % 2 ** 26 ? 2 : 0;
      lastSwitches = sw;
      probes++;
    },
    (e) => {
      if (e.type === 'reply') replies++;
    },
  );
}
const usage1 = process.resourceUsage();
gcObserver.disconnect();
const lates = Array.from(late.subarray(0, probes));
let lateProbes = 0;
let latePreempted = 0;
let lateSlept = 0;
let lateInGc = 0;
let lateKnockOn = 0;
for (let i = 0; i < probes; i++) {
  if (late[i]! <= 0.1) continue;
  lateProbes++;
  const due = leftAt[i]! - late[i]!;
  // A probe more than an interval late sends those due meanwhile at once, each 1 ms less late.
  if (i > 0 && late[i - 1]! > 1 && late[i]! <= late[i - 1]! - 1 + 0.1) lateKnockOn++;
  else if (switchedBefore[i] === 1) latePreempted++;
  else if (switchedBefore[i] === 2) lateSlept++;
  else if (gcs.some((g) => g.start <= leftAt[i]! && g.end >= due)) lateInGc++;
}
const scavenges = gcs.filter((g) => g.minor).map((g) => g.end - g.start);

// 2: round trips, in rounds (ours, Python, C block, C poll, 2,000 probes each at 1 ms) so that a
// change of load on a shared machine falls on every client alike; per client the median of its
// round medians, and ours − C as the median of the per-round differences.
const ROUNDS = 5;
const PER_ROUND = 2000;
const median = (xs: number[]) => pct(xs, 50);
function cBuild(): { exe: string; dir: string } | string {
  const dir = mkdtempSync(join(tmpdir(), 'tcpping-min-'));
  const exe = join(dir, 'tcpping-min');
  const built = spawnSync('cc', ['-O2', '-o', exe, fileURLToPath(new URL('./tcpping-min.c', import.meta.url))], { encoding: 'utf8' });
  if (built.error || built.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `no C comparison: cc ${built.error ? 'not found' : `failed: ${built.stderr.trim().split('\n')[0]}`}`;
  }
  return { exe, dir };
}
/** The C client's median round trip (ms) in `mode`. */
function cRun(exe: string, mode: 'block' | 'poll'): number {
  const r = spawnSync(exe, [String(port), String(PER_ROUND), mode], { encoding: 'utf8' });
  const [got, med] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || !got) throw new Error(`tcpping-min ${mode}: ${r.stderr.trim()}`);
  return med! / 1e6;
}
async function pyRun(): Promise<number> {
  const py = spawn('python3', ['-c', PY_CLIENT, String(port), String(PER_ROUND)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return Number(await new Promise<string>((r) => createInterface({ input: py.stdout! }).once('line', r)));
}
const cc = cBuild();
const rounds: { ours: number; py: number; cBlock?: number; cPoll?: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const ourRtts = (await ours(PER_ROUND, 1)).flatMap((e) => (e.type === 'reply' ? [e.rttMs] : []));
  const py = await pyRun();
  rounds.push({ ours: median(ourRtts), py, ...(typeof cc === 'string' ? {} : { cBlock: cRun(cc.exe, 'block'), cPoll: cRun(cc.exe, 'poll') }) });
}
if (typeof cc !== 'string') rmSync(cc.dir, { recursive: true, force: true });
const ourMedian = median(rounds.map((r) => r.ours));
const pyMedian = median(rounds.map((r) => r.py));
const c =
  typeof cc === 'string'
    ? cc
    : {
        block: median(rounds.map((r) => r.cBlock!)),
        poll: median(rounds.map((r) => r.cPoll!)),
        diffBlock: median(rounds.map((r) => r.ours - r.cBlock!)),
        diffPoll: median(rounds.map((r) => r.ours - r.cPoll!)),
      };

server.kill();

const out = {
  seconds,
  probes: replies,
  schedule: {
    p50Us: pct(lates, 50) * 1000, p99Us: pct(lates, 99) * 1000, maxUs: Math.max(...lates) * 1000,
    // Probes later than 100 µs, and what their interval saw.
    lateProbes, latePreempted, lateSlept, lateInGc, lateKnockOn, lateOther: lateProbes - latePreempted - lateSlept - lateInGc - lateKnockOn,
    scavenges: scavenges.length, scavengeP50Us: scavenges.length ? pct(scavenges, 50) * 1000 : 0, scavengeMaxUs: scavenges.length ? Math.max(...scavenges) * 1000 : 0,
    otherGcs: gcs.filter((g) => !g.minor).length,
    preemptions: usage1.involuntaryContextSwitches - usage0.involuntaryContextSwitches,
  },
  rtt: {
    rounds: ROUNDS, probesPerRound: PER_ROUND, oursMedianUs: ourMedian * 1000, pythonMedianUs: pyMedian * 1000, diffUs: median(rounds.map((r) => r.ours - r.py)) * 1000,
    ...(typeof c === 'string' ? { c } : { cBlockMedianUs: c.block * 1000, cPollMedianUs: c.poll * 1000, diffPollUs: c.diffPoll * 1000, diffBlockUs: c.diffBlock * 1000 }),
  },
};
if (values.json) console.log(JSON.stringify(out));
else {
  const sc = out.schedule;
  console.log(`tcpping at 1 ms for ${seconds} s: ${out.probes} replies; schedule lateness p50 ${sc.p50Us.toFixed(1)} µs, p99 ${sc.p99Us.toFixed(1)} µs, max ${sc.maxUs.toFixed(0)} µs (target p99 < 100 µs)`);
  console.log(`  ${sc.lateProbes} probes later than 100 µs: ${sc.latePreempted} with the main thread preempted, ${sc.lateSlept} with it asleep, ${sc.lateInGc} in a GC pause, ${sc.lateKnockOn} sent at once after a probe more than 1 ms late, ${sc.lateOther} none of these`);
  console.log(`  in the run: ${sc.scavenges} scavenges (p50 ${sc.scavengeP50Us.toFixed(0)} µs, max ${sc.scavengeMaxUs.toFixed(0)} µs), ${sc.otherGcs} other GCs, ${sc.preemptions} preemptions of the process`);
  console.log(`RTT (median of ${ROUNDS} rounds of ${PER_ROUND} probes each, alternating): ours ${out.rtt.oursMedianUs.toFixed(1)} µs, minimal Python client ${out.rtt.pythonMedianUs.toFixed(1)} µs, diff ${out.rtt.diffUs.toFixed(1)} µs`);
  const r = out.rtt;
  if ('c' in r) console.log(`  ${r.c}`);
  else console.log(`  minimal C client: poll ${r.cPollMedianUs!.toFixed(1)} µs (ours ${r.diffPollUs! >= 0 ? '+' : ''}${r.diffPollUs!.toFixed(1)} µs, the like-for-like one, target within 10 µs), block ${r.cBlockMedianUs!.toFixed(1)} µs (ours ${r.diffBlockUs! >= 0 ? '+' : ''}${r.diffBlockUs!.toFixed(1)} µs)`);
}
