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
import { encodeEchoFrame, frameBytes } from '../../packet/tcp-echo-frame.ts';
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

function dial(address: string, port: number, family: 4 | 6): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port, family, noDelay: true });
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
  let socket: Socket;
  try {
    socket = await dial(address, p.port, family);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'EHOSTUNREACH' ? 'no route to host' : (err as Error).message;
    throw new MeshprobeError(ErrorCode.Internal, `cannot connect to ${address} port ${p.port}: ${why}`);
  }
  const size = frameBytes(p.framing);
  const rto = new RtoEstimator(p.timeoutMs, p.rtoMinMs, p.rtoMaxMs);
  const pending = new Map<bigint, { at: number; answer: (a: SeriesAnswer) => void }>();
  let connected = true;
  let connects = 1;
  let drops = 0;
  let timeouts = 0;
  let done = false;
  let retry: NodeJS.Timeout | undefined;
  let backoff = BACKOFF_FIRST_MS;

  const attach = (s: Socket) => {
    let held = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const b = held.length ? Buffer.concat([held, chunk]) : chunk;
      let at = 0;
      for (; at + size <= b.length; at += size) {
        const seq = b.readBigUInt64LE(at + (p.framing === 'magic' ? 8 : 0));
        const probe = pending.get(seq);
        if (!probe) continue;
        pending.delete(seq);
        probe.answer({ rttMs: now - probe.at, from: address, bytes: size });
      }
      held = Buffer.from(b.subarray(at));
    });
    s.on('error', () => {});
    s.once('close', () => {
      if (done || s !== socket) return;
      connected = false;
      drops++;
      // The probes in flight on the dropped connection will never be answered: their timers settle them.
      pending.clear();
      reconnect();
    });
  };
  const reconnect = () => {
    if (done) return;
    retry = setTimeout(() => {
      dial(address, p.port, family).then(
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
        const frame = encodeEchoFrame({ seq: BigInt(seq), sentNs: unixNowNs() }, p.framing);
        pending.set(BigInt(seq), {
          at: performance.now(),
          answer: (a) => {
            if (p.adaptive) rto.sample(a.rttMs);
            answer(a);
          },
        });
        socket.write(frame);
        return true;
      },
      onTimeout: (seq) => {
        timeouts++;
        pending.delete(BigInt(seq));
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
