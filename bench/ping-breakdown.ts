/**
 * Where the microseconds of a loopback ping go: meshprobe's ping (agent/probes/ping/ping.ts) and
 * iputils `ping` in alternating rounds, plus an instrumented copy of meshprobe's send path (the
 * same IcmpChannel → RawSocket.send → sendmsg calls as ping.ts) that reads the RawSocket clock
 * around each step, per probe:
 *
 *   due ─(timer lateness)→ wake ─(JS + N-API before the stamp)→ send stamp ─(sendmsg … reply
 *   stamped by the kernel)→ reply stamp ─(reply waits for the loop)→ JS sees the reply
 *
 * Only "send stamp → reply stamp" is in the RTT. The other spans are printed to show what
 * would be in it if the send time were read in JS, or the receive time in user space. A
 * back-to-back run (no idle between probes) of both tools shows what waking from 5 ms of idle
 * costs the kernel path itself, and bench/kernel-split.c (built here with the system C compiler)
 * splits that kernel path at the kernel's transmit stamp (SO_TIMESTAMPING, TX software).
 * iputils, below a 10 ms interval, waits awake (sched_yield + recvmsg) instead of sleeping: the
 * C pinger and the instrumented path each run both ways, asleep and awake (polling every
 * event-loop turn), to show what that habit is worth.
 *
 *   node bench/ping-breakdown.ts [--count 200] [--interval-ms 5] [--rounds 3] [--json]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { IcmpSocketPool } from '../agent/socket/icmp-socket-pool.ts';
import { RawSocket, rawNow } from '../agent/socket/raw-socket.ts';
import { buildEchoRequest, echoPayload, parseIcmp } from '../agent/packet/icmp-packet.ts';
import { iputilsPing, meshprobePing, runCommand } from './ping-runners.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '200' },
    'interval-ms': { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const intervalMs = Number(values['interval-ms']);
const rounds = Math.max(1, Number(values.rounds));
const target = '127.0.0.1';

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const us = (ms: number) => ms * 1000;

interface Spans {
  timerLateUs: number;
  beforeStampUs: number;
  napiInUs: number;
  rttUs: number;
  syscallUs: number;
  loopToReplyUs: number;
}

/** The ping send path with the RawSocket clock read around each step; `gapMs` 0 = back to back. */
async function instrumented(n: number, gapMs: number, wait: 'sleep' | 'awake' = 'sleep'): Promise<Spans> {
  const pool = new IcmpSocketPool({ lingerMs: 0, mode: 'raw' });
  const { channel, release } = pool.acquire(4);
  const payload = echoPayload(56);
  const rows: { late: number; before: number; napi: number; rtt: number; sys: number; seen: number }[] = [];
  try {
    const t0 = rawNow();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i + 1) * gapMs;
      const row = await new Promise<(typeof rows)[number]>((resolve) => {
        const fire = () => {
          const wake = rawNow();
          let sentAt = NaN;
          let before = NaN;
          let after = NaN;
          const ticket = (before = rawNow(), channel.send({
            address: target,
            payload,
            handler: {
              onReply: (r) => {
                const seen = rawNow();
                resolve({ late: wake - due, before: sentAt - wake, napi: sentAt - before, rtt: r.time - sentAt, sys: after - sentAt, seen: seen - r.time });
              },
              onError: () => resolve({ late: NaN, before: NaN, napi: NaN, rtt: NaN, sys: NaN, seen: NaN }),
            },
          }));
          after = rawNow();
          sentAt = ticket.sentAt;
        };
        const poll = () => (rawNow() >= due ? fire() : setImmediate(poll));
        if (gapMs > 0 && wait === 'awake') setImmediate(poll);
        else if (gapMs > 0) setTimeout(fire, Math.max(0, due - rawNow()));
        else setImmediate(fire);
      });
      rows.push(row);
    }
  } finally {
    release();
    pool.close();
  }
  return {
    timerLateUs: us(median(rows.map((r) => r.late))),
    beforeStampUs: us(median(rows.map((r) => r.before))),
    napiInUs: us(median(rows.map((r) => r.napi))),
    rttUs: us(median(rows.map((r) => r.rtt))),
    syscallUs: us(median(rows.map((r) => r.sys))),
    loopToReplyUs: us(median(rows.map((r) => r.seen))),
  };
}

/**
 * The least JS a timer-driven send can run: packets built beforehand, one RawSocket.send per
 * timer. Its RTT next to the instrumented ping path's tells whether the work ping.ts does before
 * the stamp (it is not inside the RTT) still slows the kernel path that follows (caches).
 */
async function minimal(n: number, gapMs: number): Promise<number> {
  const id = (Math.random() * 0xffff) | 0;
  const payload = echoPayload(56);
  const packets = Array.from({ length: n }, (_, i) => buildEchoRequest({ family: 4, identifier: id, sequence: i, payload }));
  const sentAt: number[] = [];
  const rtts: number[] = [];
  let wait: (() => void) | undefined;
  const sock = RawSocket.open({
    family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0],
    onPackets: (ps) => {
      for (const p of ps) {
        const m = parseIcmp(p.data, { family: 4 });
        if (m?.kind !== 'echo-reply' || m.identifier !== id || sentAt[m.sequence] === undefined) continue;
        rtts[m.sequence] = p.time - sentAt[m.sequence]!;
        wait?.();
      }
    },
  });
  try {
    const t0 = rawNow();
    for (let i = 0; i < n; i++) {
      const due = t0 + (i + 1) * gapMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wait = () => {
          clearTimeout(timer);
          resolve();
        };
        const fire = () => {
          sentAt[i] = sock.send(packets[i]!, target);
        };
        if (gapMs > 0) setTimeout(fire, Math.max(0, due - rawNow()));
        else setImmediate(fire);
      });
    }
  } finally {
    sock.close();
  }
  return us(median(rtts));
}

interface KernelSplit {
  probes: number;
  userToTxUs: number;
  txToRxUs: number;
  rttUs: number;
  sendmsgUs: number;
}

/** Builds bench/kernel-split.c; undefined (with the reason on stderr) when there is no C compiler. */
async function buildKernelSplit(): Promise<string | undefined> {
  const out = join(tmpdir(), `meshprobe-kernel-split-${process.pid}`);
  const src = fileURLToPath(new URL('./kernel-split.c', import.meta.url));
  try {
    const r = await runCommand('cc', ['-O2', '-o', out, src]);
    if (r.code === 0) return out;
    process.stderr.write(`kernel-split: cc failed: ${r.err.trim().split('\n')[0]}\n`);
  } catch (err) {
    process.stderr.write(`kernel-split: no C compiler (${(err as Error).message})\n`);
  }
  return undefined;
}

async function kernelSplit(bin: string | undefined, n: number, gapMs: number, wait: 'sleep' | 'spin' = 'sleep'): Promise<KernelSplit | undefined> {
  if (!bin) return undefined;
  const r = await runCommand(bin, [String(n), String(Math.round(gapMs * 1000)), target, wait]);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.out.trim()) as KernelSplit;
}

const say = (s: string) => {
  if (!values.json) process.stdout.write(s + '\n');
};
const f = (x: number) => `${x.toFixed(1)} µs`;
const sg = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} µs`;

say(`ping ${target}: ${count} requests ${intervalMs} ms apart, ${rounds} alternating rounds (meshprobe ping, iputils, instrumented path)`);
const per: { meshprobeUs: number; iputilsUs: number; diffUs: number; spans: Spans; awakeUs: number; minimalUs: number; kernel?: KernelSplit; kernelSpin?: KernelSplit }[] = [];
const splitBin = await buildKernelSplit();
for (let r = 0; r < rounds; r++) {
  const m = await meshprobePing(target, count, intervalMs);
  const p = await iputilsPing(target, count, intervalMs);
  const spans = await instrumented(count, intervalMs);
  const awakeUs = (await instrumented(count, intervalMs, 'awake')).rttUs;
  const minimalUs = await minimal(count, intervalMs);
  const kernel = await kernelSplit(splitBin, count, intervalMs);
  const kernelSpin = await kernelSplit(splitBin, count, intervalMs, 'spin');
  const row = {
    meshprobeUs: us(m.p50Ms ?? NaN), iputilsUs: us(p.p50Ms ?? NaN), diffUs: us((m.p50Ms ?? NaN) - (p.p50Ms ?? NaN)), spans, awakeUs, minimalUs,
    ...(kernel ? { kernel } : {}), ...(kernelSpin ? { kernelSpin } : {}),
  };
  per.push(row);
  say(`  round ${r + 1}: meshprobe ${f(row.meshprobeUs)}  iputils ${f(row.iputilsUs)}  diff ${sg(row.diffUs)}  (instrumented ${f(spans.rttUs)}, awake ${f(awakeUs)}, minimal send ${f(minimalUs)})`);
}
// Back to back: no idle between probes (iputils -i 0 as root; meshprobe one per loop turn).
const b2bMesh = await instrumented(count, 0);
const b2bIputils = await iputilsPing(target, count, 0);
const b2bKernel = await kernelSplit(splitBin, count, 0);
if (splitBin) rmSync(splitBin, { force: true });
const kernels = per.map((x) => x.kernel).filter((x): x is KernelSplit => !!x);
const kmid = (k: keyof KernelSplit) => median(kernels.map((x) => x[k]));
const spinRtt = median(per.map((x) => x.kernelSpin?.rttUs ?? NaN));
const mid = (k: keyof Spans) => median(per.map((x) => x.spans[k]));
const result = {
  bench: 'ping-breakdown',
  count,
  intervalMs,
  rounds,
  perRound: per,
  medianDiffUs: median(per.map((x) => x.diffUs)),
  meshprobeUs: median(per.map((x) => x.meshprobeUs)),
  iputilsUs: median(per.map((x) => x.iputilsUs)),
  minimalUs: median(per.map((x) => x.minimalUs)),
  awakeUs: median(per.map((x) => x.awakeUs)),
  spans: {
    timerLateUs: mid('timerLateUs'),
    beforeStampUs: mid('beforeStampUs'),
    napiInUs: mid('napiInUs'),
    rttUs: mid('rttUs'),
    syscallUs: mid('syscallUs'),
    loopToReplyUs: mid('loopToReplyUs'),
  },
  backToBack: { meshprobeRttUs: b2bMesh.rttUs, meshprobeSyscallUs: b2bMesh.syscallUs, iputilsUs: us(b2bIputils.p50Ms ?? NaN), ...(b2bKernel ? { kernel: b2bKernel } : {}) },
  ...(kernels.length ? { kernel: { userToTxUs: kmid('userToTxUs'), txToRxUs: kmid('txToRxUs'), rttUs: kmid('rttUs'), spinRttUs: spinRtt } } : {}),
};
say(`median of the per-round differences (meshprobe − iputils): ${sg(result.medianDiffUs)} (design: ≤ 10 µs, aim ≤ 2 µs)`);
say('breakdown of one probe (medians over the rounds, instrumented path):');
say(`  timer fires vs due (libuv's ms clock; − early) ${f(result.spans.timerLateUs)}   not in the RTT`);
say(`  callback → send stamp (JS, packet, N-API in)  ${f(result.spans.beforeStampUs)}   not in the RTT (of which in IcmpChannel.send — packet, bookkeeping, N-API — up to the stamp: ${f(result.spans.napiInUs)})`);
say(`  send stamp → kernel reply stamp = RTT         ${f(result.spans.rttUs)}`);
say(`  send stamp → sendmsg returned to JS           ${f(result.spans.syscallUs)}   (on loopback the reply is stamped inside this call)`);
say(`  reply stamp → JS handler                      ${f(result.spans.loopToReplyUs)}   not in the RTT (would be, with a user-space receive time)`);
say(`  same kernel path after the least JS (pre-built packets, one send per timer): ${f(result.minimalUs)} RTT, ${sg(result.spans.rttUs - result.minimalUs)} vs the ping path`);
say(`back to back (no idle): meshprobe RTT ${f(result.backToBack.meshprobeRttUs)}, iputils ${f(result.backToBack.iputilsUs)}; ` +
  `a ${intervalMs} ms gap adds ${f(result.spans.rttUs - result.backToBack.meshprobeRttUs)} (meshprobe, asleep in a timer) and ${f(result.iputilsUs - result.backToBack.iputilsUs)} (iputils, awake) to the kernel path`);
if (result.kernel && b2bKernel) {
  say(`kernel path, split at the TX stamp (bench/kernel-split.c, iputils' way of pinging), after ${intervalMs} ms idle → back to back:`);
  say(`  user send stamp → TX stamp (syscall entry, IP output)   ${f(result.kernel.userToTxUs)} → ${f(b2bKernel.userToTxUs)}`);
  say(`  TX stamp → reply stamp (request in, echo reply built)    ${f(result.kernel.txToRxUs)} → ${f(b2bKernel.txToRxUs)}`);
  say(`  RTT                                                      ${f(result.kernel.rttUs)} → ${f(b2bKernel.rttUs)}`);
  say(`  RTT waiting awake (sched_yield + recvmsg, as iputils below 10 ms) instead of asleep: ${f(spinRtt)} (${sg(spinRtt - result.kernel.rttUs)})`);
}
say(`meshprobe's ping path waiting awake (polling every loop turn) instead of asleep in a timer: ${f(result.awakeUs)} (${sg(result.awakeUs - result.spans.rttUs)})`);
if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
