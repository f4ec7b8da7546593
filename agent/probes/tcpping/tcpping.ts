/**
 * tcpping's runner: one long-lived TCP connection to a TCP echo server, a timestamped frame per
 * probe (agent/packet/tcp-echo-frame.ts), the round trip from our monotonic clock, the timeout
 * adaptive per RFC 6298 (rto-estimator.ts) or fixed. When the connection drops, the probes in
 * flight are lost, the drop is counted, and it reconnects with back-off (0.5 s doubling to 5 s,
 * as tcp-echo-metrics); probes due while it is down count as sent and lost, as the original
 * counts a failed connect. A first connect that fails ends the target with its error.
 */
import { connect, type Socket } from 'node:net';
import { tcppingParams, type TcppingParams } from '../../../shared/measurements/tcpping/tcpping-params.ts';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { echoFrameSeq, frameBytes, writeEchoFrame } from '../../packet/tcp-echo-frame.ts';
import { unixNowNs } from '../../socket/unix-clock.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';
import { runSeries, type SeriesAnswer } from '../series-schedule.ts';
import { splitHostPort } from '../../../shared/net/host-port.ts';
import { RtoEstimator } from './rto-estimator.ts';

/** Options of {@link runTcpping} beyond the runner's. */
export interface TcppingRunOptions extends ProbeRunOptions {
  /** Each probe's lateness against its schedule (bench/). */
  onSend?: (seq: number, lateMs: number) => void;
}

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;

/** Runs tcpping against every target of `spec`. */
export async function runTcpping(spec: MeasurementSpec, o: TcppingRunOptions): Promise<void> {
  await perTarget(spec, o, (ctx) => tcppingTarget(ctx, tcppingParams(spec, ctx.target), o), (t) => splitHostPort(t).host);
}

/** Bytes read from the socket at a time, into one buffer per connection (no Buffer per read). */
const READ_BYTES = 4096;

/** `onRead(n, bytes)`: the connection's `n` new bytes, first in `bytes` (reused by the next read). */
function dial(address: string, port: number, family: 4 | 6, onRead: (n: number, bytes: Uint8Array) => boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port, family, noDelay: true, onread: { buffer: Buffer.allocUnsafe(READ_BYTES), callback: onRead } });
    const timer = setTimeout(() => s.destroy(new MeshprobeError(ErrorCode.Internal, `no answer from ${address} port ${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function tcppingTarget(ctx: ProbeContext, p: TcppingParams, o: TcppingRunOptions): Promise<void> {
  const { address, family } = ctx;
  const size = frameBytes(p.framing);
  const rto = new RtoEstimator(p.timeoutMs, p.rtoMinMs, p.rtoMaxMs);
  // Probe seq awaits its echo since sentAt[seq] (performance.now() ms; 0: not awaited), answered
  // through answers[seq]. Arrays by seq (count is bounded): no Map and no bigint per probe.
  const sentAt = new Float64Array(p.count + 1);
  const answers: (((a: SeriesAnswer) => void) | undefined)[] = [];
  let connected = true;
  let connects = 1;
  let drops = 0;
  let timeouts = 0;
  let done = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = BACKOFF_FIRST_MS;
  // A frame split across reads: its first `heldBytes` bytes.
  const held = Buffer.alloc(size);
  let heldBytes = 0;
  // The frame a probe writes, reused while the socket takes each write whole (a write the kernel
  // did not take keeps its buffer queued: the next probe then writes a new one).
  let frame = Buffer.alloc(size);

  const echoed = (b: Uint8Array, at: number, now: number) => {
    const seq = echoFrameSeq(b, at, p.framing);
    if (seq === undefined || seq > p.count || sentAt[seq] === 0) return;
    const rttMs = now - sentAt[seq]!;
    sentAt[seq] = 0;
    const answer = answers[seq]!;
    answers[seq] = undefined;
    if (p.adaptive) rto.sample(rttMs);
    answer({ rttMs, from: address, bytes: size });
  };
  // The echo's time is taken first thing, before any bytes are looked at.
  const onRead = (n: number, bytes: Uint8Array): boolean => {
    const now = performance.now();
    let at = 0;
    if (heldBytes > 0) {
      const take = Math.min(size - heldBytes, n);
      held.set(bytes.subarray(0, take), heldBytes);
      heldBytes += take;
      at = take;
      if (heldBytes < size) return true;
      heldBytes = 0;
      echoed(held, 0, now);
    }
    for (; at + size <= n; at += size) echoed(bytes, at, now);
    if (at < n) {
      held.set(bytes.subarray(at, n), 0);
      heldBytes = n - at;
    }
    return true;
  };
  let socket: Socket;
  try {
    socket = await dial(address, p.port, family, onRead);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'EHOSTUNREACH' ? 'no route to host' : (err as Error).message;
    throw new MeshprobeError(ErrorCode.Internal, `cannot connect to ${address} port ${p.port}: ${why}`);
  }
  const attach = (s: Socket) => {
    heldBytes = 0;
    s.on('error', () => {});
    s.once('close', () => {
      if (done || s !== socket) return;
      connected = false;
      drops++;
      // The probes in flight on the dropped connection will never be answered: their timers settle them.
      sentAt.fill(0);
      reconnect();
    });
  };
  const reconnect = () => {
    if (done) return;
    retry = setTimeout(() => {
      dial(address, p.port, family, onRead).then(
        (s) => {
          if (done) {
            s.destroy();
            return;
          }
          socket = s;
          connected = true;
          connects++;
          backoff = BACKOFF_FIRST_MS;
          attach(s);
        },
        () => {
          drops++;
          backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
          reconnect();
        },
      );
    }, backoff);
  };
  attach(socket);
  try {
    await runSeries(ctx, {
      count: p.count,
      intervalMs: p.intervalMs,
      timeoutMs: () => (p.adaptive ? rto.rtoMs : p.timeoutMs),
      start: {
        type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'tcpping', address, family, protocol: 'tcp',
        params: { count: p.count, intervalMs: p.intervalMs, timeoutMs: p.timeoutMs, port: p.port, adaptive: p.adaptive, rtoMinMs: p.rtoMinMs, rtoMaxMs: p.rtoMaxMs, framing: p.framing },
        ...(p.framing === 'legacy' ? { note: 'tcp-echo-metrics frames (16 bytes)' } : {}),
      },
      send: (seq, answer) => {
        if (!connected) return false;
        writeEchoFrame(frame, seq, unixNowNs(), p.framing);
        sentAt[seq] = performance.now();
        answers[seq] = answer;
        socket.write(frame);
        if (socket.writableLength > 0) frame = Buffer.alloc(size);
        return true;
      },
      onTimeout: (seq) => {
        timeouts++;
        sentAt[seq] = 0;
        answers[seq] = undefined;
        if (p.adaptive) rto.backoff();
      },
      ...(o.onSend ? { onSend: o.onSend } : {}),
      report: () => ({
        framing: p.framing,
        adaptive: p.adaptive,
        rtoMs: p.adaptive ? rto.rtoMs : p.timeoutMs,
        ...(rto.srttMs !== undefined ? { srttMs: rto.srttMs, rttvarMs: rto.rttvarMs! } : {}),
        connects,
        reconnects: connects - 1,
        drops,
        timeouts,
      }),
    });
  } finally {
    done = true;
    clearTimeout(retry);
    socket.destroy();
  }
}
