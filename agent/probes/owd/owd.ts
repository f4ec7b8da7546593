/**
 * owd's runner: latency-monitor's messages (agent/packet/latency-message.ts) to a peer over UDP
 * or one TCP connection, on a precise schedule. Each answer gives the round trip (our monotonic
 * clock), the forward one-way delay t2 − t1 (the peer's receive time minus our send time, both
 * Unix clocks) and the reverse t4 − t3. A meshprobe peer answers our FOUR_STAMPS_TAG with its send
 * time t3; latency-monitor carries only t2, so t3 is taken as t2 and its turnaround time lands in
 * the reverse figure (said in the report). The offset of the clocks and its uncertainty come from
 * the four timestamps (clock-offset.ts).
 */
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { owdParams, type OwdParams } from '../../../shared/measurements/owd/owd-params.ts';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { splitHostPort } from '../../../shared/net/host-port.ts';
import { FOUR_STAMPS_TAG, formatLatencyMessage, formatTags, LatencyStream, nextLatencySeq, parseLatencyMessage, type LatencyMessage } from '../../packet/latency-message.ts';
import { unixNowPaired } from '../../socket/unix-clock.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';
import { runSeries, type SeriesAnswer } from '../series-schedule.ts';
import { estimateOffset, type Exchange } from './clock-offset.ts';

/** Runs owd against every target of `spec`. */
export async function runOwd(spec: MeasurementSpec, o: ProbeRunOptions): Promise<void> {
  await perTarget(spec, o, (ctx) => owdTarget(ctx, owdParams(spec, ctx.target)), (t) => splitHostPort(t).host);
}

interface Pending {
  seq: number;
  at: number;
  t1: bigint;
  answer: (a: SeriesAnswer) => void;
}

const nsToMs = (ns: bigint) => Number(ns) / 1e6;

async function owdTarget(ctx: ProbeContext, p: OwdParams): Promise<void> {
  const { address, family } = ctx;
  const tagsText = formatTags([...p.tags, FOUR_STAMPS_TAG]);
  // Wire sequence numbers wrap at 100: a probe is found by its wire number among those in flight.
  const pending = new Map<number, Pending>();
  const exchanges: Exchange[] = [];
  let fourStamps = 0;
  let wire = 0;
  let malformed = 0;

  // Over TCP a message waits for the answer to the one before (stop-and-wait, as the original's
  // client): latency-monitor reads one recv() as one message, so two in one segment would break it.
  let queued: (() => void) | undefined;
  const flush = () => {
    const q = queued;
    queued = undefined;
    q?.();
  };
  const onMessage = (m: LatencyMessage, t4: bigint, now: number) => {
    const probe = pending.get(m.seq);
    if (!probe) return;
    pending.delete(m.seq);
    setImmediate(flush);
    const at = m.source.lastIndexOf('@');
    const t3Text = at >= 0 ? m.source.slice(at + 1) : '';
    const t3 = /^[0-9]{1,20}$/.test(t3Text) ? BigInt(t3Text) : undefined;
    if (t3 !== undefined) fourStamps++;
    const forwardMs = nsToMs(m.timeNs - probe.t1);
    const reverseMs = nsToMs(t4 - (t3 ?? m.timeNs));
    exchanges.push({ forwardMs, reverseMs });
    probe.answer({ rttMs: now - probe.at, from: address, bytes: 0, forwardMs, reverseMs });
  };

  let send: (text: string) => void;
  let close: () => void;
  if (p.protocol === 'udp') {
    const sock = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    sock.on('message', (data) => {
      const { unixNs: t4, now } = unixNowPaired();
      const r = parseLatencyMessage(data.toString('latin1'));
      if (r.ok) onMessage(r.message, t4, now);
      else malformed++;
    });
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(p.port, address, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    send = (text) => sock.send(Buffer.from(text, 'latin1'));
    close = () => sock.close();
  } else {
    const s: Socket = await new Promise((resolve, reject) => {
      const c = connect({ host: address, port: p.port, family, noDelay: true });
      c.once('connect', () => {
        c.removeAllListeners('error');
        resolve(c);
      });
      c.once('error', (err: NodeJS.ErrnoException) => reject(new MeshprobeError(ErrorCode.Internal, `cannot connect to ${address} port ${p.port}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`)));
    });
    const stream = new LatencyStream();
    s.on('data', (chunk: Buffer) => {
      const { unixNs: t4, now } = unixNowPaired();
      try {
        const got = stream.push(chunk.toString('latin1'));
        malformed += got.refused.length;
        for (const m of got.messages) onMessage(m, t4, now);
      } catch {
        malformed++;
        s.destroy();
      }
    });
    s.on('error', () => {});
    send = (text) => {
      if (!s.destroyed) s.write(text, 'latin1');
    };
    close = () => s.destroy();
  }
  try {
    await runSeries(ctx, {
      count: p.count,
      intervalMs: p.intervalMs,
      timeoutMs: () => p.timeoutMs,
      start: {
        type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'owd', address, family, protocol: p.protocol,
        params: { count: p.count, intervalMs: p.intervalMs, timeoutMs: p.timeoutMs, port: p.port, size: p.size },
      },
      send: (seq, answer) => {
        const go = () => {
          const w = wire;
          wire = nextLatencySeq(wire);
          const { unixNs: t1, now: at } = unixNowPaired();
          pending.set(w, { seq, at, t1, answer });
          send(formatLatencyMessage({ seq: w, source: ctx.agent.replace(/[|@]/g, '_'), timeNs: t1, tagsText }, p.size));
        };
        if (p.protocol === 'tcp' && pending.size > 0) {
          queued = go;
        } else go();
        return true;
      },
      onTimeout: (seq) => {
        for (const [w, x] of pending) if (x.seq === seq) pending.delete(w);
        setImmediate(flush);
      },
      report: () => report(exchanges, fourStamps, malformed),
    });
  } finally {
    close();
  }
}

function stats(xs: number[]): { minMs: number; avgMs: number; maxMs: number } | undefined {
  if (xs.length === 0) return undefined;
  return { minMs: Math.min(...xs), avgMs: xs.reduce((a, b) => a + b, 0) / xs.length, maxMs: Math.max(...xs) };
}

function report(xs: Exchange[], fourStamps: number, malformed: number): Record<string, unknown> {
  const est = estimateOffset(xs);
  const forward = stats(xs.map((x) => x.forwardMs));
  const reverse = stats(xs.map((x) => x.reverseMs));
  const peer = xs.length === 0 ? 'unknown' : fourStamps === xs.length ? 'meshprobe' : 'latency-monitor';
  const negative = xs.some((x) => x.forwardMs < 0 || x.reverseMs < 0);
  return {
    peer,
    ...(peer === 'latency-monitor' ? { limits: "its answers carry only the peer's receive time: the peer's turnaround counts in the reverse delay" } : {}),
    ...(forward ? { forward } : {}),
    ...(reverse ? { reverse } : {}),
    ...(est ? { offsetMs: est.offsetMs, offsetUncertaintyMs: est.uncertaintyMs, offsetSpreadMs: est.spreadMs } : {}),
    reliable: est ? est.reliable && !negative : false,
    ...(est && !est.reliable ? { why: est.why } : negative ? { why: 'a one-way delay came out negative: the clocks are apart by more than the delay' } : !est ? { why: 'no answers' } : {}),
    ...(malformed ? { malformed } : {}),
  };
}
