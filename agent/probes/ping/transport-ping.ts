/**
 * TCP and UDP ping (`-P tcp|udp`, `-p PORT`), with iputils ping's schedule (count, interval,
 * per-probe timeout) and the same events as ICMP ping.
 *
 * - TCP: a raw SYN, timed to the SYN-ACK (port open) or RST (closed) — `reply.kind` says which.
 *   The source port is held by a listener, so the kernel answers the SYN-ACK with a RST and no
 *   connection is ever made. Without CAP_NET_RAW it falls back to connect() (start.note says so).
 * - UDP: a datagram to the port, timed to the ICMP port-unreachable that comes back (read from
 *   the socket error queue, kernel-timestamped; no privileges needed), or to a UDP answer.
 */
import { createServer, connect, type Server } from 'node:net';
import { once } from 'node:events';
import { RawSocket, type RawPacket } from '../../socket/raw-socket.ts';
import { sourceAddressFor } from '../../socket/source-address.ts';
import { errorFromInfo, parseIcmp } from '../../packet/icmp-packet.ts';
import { buildTcpSyn } from '../../packet/tcp-packet.ts';
import { normalizeIp } from '../../../shared/net/ip-address.ts';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
// From the leaf module, not spec.ts: the agent then loads no zod (shared/model/limits.ts).
import { CommonDefaults } from '../../../shared/model/limits.ts';
import { pingParams, type PingParams } from '../../../shared/measurements/ping/ping-params.ts';
import { roundMs } from '../../../shared/model/stats.ts';
import type { IcmpErrorKind } from '../../../shared/model/events.ts';
import { tcpAnswer } from '../../packet/tcp-answer.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';
import { runPingSchedule } from './ping-schedule.ts';
import { splitHostPort } from '../../../shared/net/host-port.ts';

/** What came back for one probe. `time` is on the prober's clock (the one send() returns). */
export type Outcome =
  | { type: 'reply'; time: number; from: string; ttl: number | null; bytes: number; kind: string }
  | { type: 'icmp-error'; time: number; from: string; kind: IcmpErrorKind; icmpType: number; icmpCode: number; message: string; mtu?: number };

/** One way of sending probes and hearing back: raw SYN, connect(), UDP. */
export interface Prober {
  /** A remark for the start event (e.g. the connect() fallback). */
  note?: string;
  /** Extra parameters for the start event. */
  params?: Record<string, number | string | boolean>;
  /** Sends probe `seq` (1-based); returns its send time. Throws when the kernel refuses. */
  send(seq: number): number;
  close(): void;
}

type OnOutcome = (seq: number, o: Outcome) => void;

const TCP_FALLBACK_NOTE = 'TCP connect() fallback (no CAP_NET_RAW): times run from connect() to the handshake answer';

/** TCP or UDP ping of every target of `spec` (LocalAgent's entry point for protocol tcp/udp). */
export function runTransportPing(spec: MeasurementSpec, o: ProbeRunOptions): Promise<void> {
  const params = pingParams(spec);
  // `host:port` / `[v6]:port` targets carry their own port (design §4); -p is the default.
  return perTarget(
    spec,
    o,
    (ctx) => {
      const port = splitHostPort(ctx.target).port;
      return transportPing(port !== undefined ? { ...params, port: Number(port) } : params, ctx);
    },
    (target) => splitHostPort(target).host,
  );
}

/** Pings one resolved target over TCP or UDP. */
export async function transportPing(params: PingParams, ctx: ProbeContext): Promise<void> {
  if (params.protocol !== 'tcp' && params.protocol !== 'udp') throw new MeshprobeError(ErrorCode.BadRequest, `transport ping needs tcp or udp, not ${params.protocol}`);
  const port = params.port ?? (params.protocol === 'tcp' ? CommonDefaults.tcpPort : CommonDefaults.tracePort);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new MeshprobeError(ErrorCode.BadRequest, `port must be 1..65535, not ${port}`);
  const dst = normalizeIp(ctx.address) ?? ctx.address;
  const handlers = new Map<number, (o: Outcome) => void>();
  const onOutcome: OnOutcome = (seq, o) => handlers.get(seq)?.(o);
  let prober: Prober;
  if (params.protocol === 'udp') {
    prober = openUdpProber(dst, ctx.family, port, params, onOutcome);
  } else {
    try {
      prober = await openTcpRawProber(dst, ctx.family, port, params, onOutcome);
    } catch (err) {
      if (!(err instanceof MeshprobeError) || (err.code !== ErrorCode.NoPermission && err.code !== ErrorCode.Internal)) throw err;
      prober = openTcpConnectProber(dst, port, params, onOutcome);
    }
  }
  try {
    await pingSchedule(params, port, ctx, dst, prober, handlers);
  } finally {
    prober.close();
  }
}

/** iputils' schedule (ping-schedule.ts) over one prober; outcomes reach it through `handlers`. */
function pingSchedule(
  params: PingParams,
  port: number,
  ctx: ProbeContext,
  dst: string,
  prober: Prober,
  handlers: Map<number, (o: Outcome) => void>,
): Promise<void> {
  return runPingSchedule(ctx, {
    count: params.count,
    ...(params.deadlineMs !== undefined ? { deadlineMs: params.deadlineMs } : {}),
    intervalMs: params.intervalMs,
    timeoutMs: params.timeoutMs,
    start: {
      type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'ping', address: dst, family: ctx.family, protocol: params.protocol,
      params: { count: params.count, intervalMs: params.intervalMs, timeoutMs: params.timeoutMs, ...(params.deadlineMs !== undefined ? { deadlineMs: params.deadlineMs } : {}), port, ttl: params.ttl, ...prober.params },
      ...(prober.note ? { note: prober.note } : {}),
    },
    send: (seq, answer) => {
      let sentAt: number;
      // Registered before sending: on loopback the answer can arrive before send() returns.
      handlers.set(seq, (o) => {
        const rttMs = roundMs(Math.max(0, o.time - sentAt));
        if (o.type === 'reply') answer({ type: 'reply', rttMs, ttl: o.ttl, bytes: o.bytes, from: o.from, kind: o.kind });
        else {
          answer({
            type: 'icmp-error', rttMs, kind: o.kind, icmpType: o.icmpType, icmpCode: o.icmpCode, from: o.from, message: o.message,
            ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
          });
        }
      });
      try {
        sentAt = prober.send(seq);
      } catch (err) {
        handlers.delete(seq);
        return { refused: (err as { code?: string }).code ?? (err as Error).message };
      }
      return { done: () => handlers.delete(seq) };
    },
  });
}

/** Raw SYN prober: SYN out on a raw TCP socket, SYN-ACK/RST in on it, ICMP errors on a raw ICMP socket. */
async function openTcpRawProber(dst: string, fam: 4 | 6, port: number, params: PingParams, on: OnOutcome): Promise<Prober> {
  const seqBase = (Math.random() * 0x1_0000_0000) >>> 0;
  let srcPort = 0;
  const onTcp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const a = tcpAnswer(pkt, fam, dst, port, srcPort);
      if (a) on((a.header.ack - 1 - seqBase) >>> 0, { type: 'reply', time: pkt.time, from: pkt.address, ttl: pkt.ttl ?? null, bytes: a.bytes, kind: a.kind });
    }
  };
  const onIcmp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const m = parseIcmp(pkt.data, { family: fam });
      if (m?.kind !== 'error' || !m.original?.tcp) continue;
      const t = m.original.tcp;
      if (t.sourcePort !== srcPort || t.destinationPort !== port) continue;
      on((t.sequence - seqBase) >>> 0, {
        type: 'icmp-error', time: pkt.time, from: pkt.address, kind: m.errorKind, icmpType: m.type, icmpCode: m.code, message: m.message,
        ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
      });
    }
  };
  const tcp = RawSocket.open({ family: fam, protocol: 'tcp', mode: 'raw', onPackets: onTcp, receiveBufferBytes: 1 << 20 });
  let icmp: RawSocket | undefined;
  let hold: Server | undefined;
  try {
    icmp = RawSocket.open({ family: fam, protocol: 'icmp', mode: 'raw', onPackets: onIcmp, icmpFilter: fam === 4 ? [3, 11, 12] : [1, 2, 3, 4] });
    const src = await sourceAddressFor(dst, fam);
    // The listener owns the source port: nobody else gets it, and the kernel RSTs the SYN-ACK.
    hold = createServer();
    hold.listen(0, src);
    await once(hold, 'listening');
    srcPort = (hold.address() as { port: number }).port;
    const h = hold;
    const i = icmp;
    return {
      params: { sourcePort: srcPort },
      send: (seq) => tcp.send(buildTcpSyn({ srcPort, dstPort: port, seq: (seqBase + seq) >>> 0 }, { src, dst }), dst, { ttl: params.ttl }),
      close: () => {
        tcp.close();
        i.close();
        h.close();
      },
    };
  } catch (err) {
    tcp.close();
    icmp?.close();
    hold?.close();
    throw err;
  }
}

/** Unprivileged TCP ping: connect() and time the handshake (SYN-ACK → connect, RST → ECONNREFUSED). */
function openTcpConnectProber(dst: string, port: number, params: PingParams, on: OnOutcome): Prober {
  const open = new Set<ReturnType<typeof connect>>();
  return {
    note: TCP_FALLBACK_NOTE,
    send: (seq) => {
      const t = performance.now();
      const s = connect({ host: dst, port });
      open.add(s);
      const done = () => {
        open.delete(s);
        s.destroy();
      };
      s.once('connect', () => {
        on(seq, { type: 'reply', time: performance.now(), from: dst, ttl: null, bytes: 0, kind: 'syn-ack' });
        done();
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        const time = performance.now();
        if (err.code === 'ECONNREFUSED') on(seq, { type: 'reply', time, from: dst, ttl: null, bytes: 0, kind: 'rst' });
        else on(seq, { type: 'icmp-error', time, from: dst, kind: 'unreachable', icmpType: 0, icmpCode: 0, message: err.code ?? err.message });
        done();
      });
      s.setTimeout(params.timeoutMs, done);
      return t;
    },
    close: () => {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

const MAGIC = 0x4d50; // "MP": our payload, so answers can be matched to their probe

/** UDP prober: a datagram socket with IP_RECVERR; the port-unreachable comes back on its error queue. */
function openUdpProber(dst: string, fam: 4 | 6, port: number, params: PingParams, on: OnOutcome): Prober {
  const id = (Math.random() * 0xffff) | 0;
  const outstanding: number[] = [];
  const seqOf = (data: Uint8Array): number | undefined => {
    if (data.length >= 8 && ((data[0]! << 8) | data[1]!) === MAGIC && ((data[2]! << 8) | data[3]!) === id) {
      return ((data[4]! << 24) >>> 0) + ((data[5]! << 16) | (data[6]! << 8) | data[7]!);
    }
    // An ICMP error may quote too little of our datagram: the oldest probe is the best guess.
    return outstanding[0];
  };
  const onPackets = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const seq = seqOf(pkt.data);
      if (seq === undefined) continue;
      const i = outstanding.indexOf(seq);
      if (i >= 0) outstanding.splice(i, 1);
      const e = pkt.error;
      if (!e) {
        on(seq, { type: 'reply', time: pkt.time, from: pkt.address, ttl: pkt.ttl ?? null, bytes: pkt.data.length, kind: 'udp' });
        continue;
      }
      if (e.origin !== 'icmp' && e.origin !== 'icmp6') continue;
      const from = e.offender ?? pkt.address;
      const portUnreach = fam === 4 ? e.type === 3 && e.code === 3 : e.type === 1 && e.code === 4;
      if (portUnreach) {
        on(seq, { type: 'reply', time: pkt.time, from, ttl: pkt.ttl ?? null, bytes: pkt.data.length + 8, kind: 'port-unreachable' });
        continue;
      }
      const c = errorFromInfo(fam, e.type, e.code, e.info);
      on(seq, {
        type: 'icmp-error', time: pkt.time, from, kind: c?.kind ?? 'other', icmpType: e.type, icmpCode: e.code,
        message: c?.message ?? `ICMP type ${e.type} code ${e.code}`, ...(c?.mtu !== undefined ? { mtu: c.mtu } : {}),
      });
    }
  };
  const udp = RawSocket.open({ family: fam, protocol: 'udp', mode: 'dgram', onPackets, recvErr: true, recvTtl: true, ttl: params.ttl });
  const size = Math.max(8, params.size);
  return {
    send: (seq) => {
      const b = new Uint8Array(size);
      const v = new DataView(b.buffer);
      v.setUint16(0, MAGIC);
      v.setUint16(2, id);
      v.setUint32(4, seq);
      outstanding.push(seq);
      if (outstanding.length > 64) outstanding.shift();
      return udp.send(b, dst, { port });
    },
    close: () => udp.close(),
  };
}
