/**
 * probe: an ICMP echo sweep of every address of a prefix (fping -g), one `host` event per
 * address — its RTT as soon as it answers, `null` for the silent ones at the end.
 *
 * Sends go out in sendmmsg batches at `rate` packets/s (0 = as fast as the socket takes them),
 * replies come in recvmmsg batches, and sending yields to the event loop between batches so the
 * receive queue is drained while the sweep is still sending. One raw socket per sweep, with its
 * own identifier and a receive buffer sized for the replies that can be in flight; replies are
 * matched by source address (and checked against identifier and sequence).
 *
 * An ICMP destination unreachable that quotes one of our echo requests (a router's "host
 * unreachable", an "administratively prohibited" filter) marks its address unreachable rather
 * than silent: its `host` event carries `unreachable` (who said it and why). Raw sockets only; an
 * ICMP datagram socket gets errors on its error queue, which the sweep does not read.
 *
 * No reply may be lost at the agent: a BPF filter keeps other programs' echo replies out of the
 * socket (a raw socket otherwise gets a copy of every one on the host), every wake-up reads the
 * queue empty, each send round is no bigger than the room left in the buffer, and what the
 * kernel dropped anyway (buffer full: SO_RXQ_OVFL / SO_MEMINFO) is `kernelDrops` in the summary.
 */
import { RawSocket, type RawPacket } from '../../socket/raw-socket.ts';
import { buildEchoRequest, classifyIcmpError, Icmp6Type, IcmpType, parseEmbeddedPacket } from '../../packet/icmp-packet.ts';
import { addressAt, checkSweepSize, indexInPrefix, parseCidr, prefixSize, type Prefix } from '../../../shared/net/cidr.ts';
import { computeStats, roundMs } from '../../../shared/model/stats.ts';
import { ErrorCode, MeshprobeError, describeError } from '../../../shared/model/errors.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
// From the leaf module, not spec.ts: the agent then loads no zod.
import { Limits } from '../../../shared/model/limits.ts';
import { probeParams } from '../../../shared/measurements/probe/probe-params.ts';
import type { HostUnreachable, MeasurementEvent } from '../../../shared/model/events.ts';

export interface SweepRunOptions {
  agent: string;
  signal: AbortSignal;
  emit: (e: MeasurementEvent) => void;
  /** Sweep-size bound (shortest prefix per family); default {@link Limits}. */
  limits?: { minSweepPrefixV4: number; minSweepPrefixV6: number };
  /** SO_RCVBUF to ask for instead of {@link receiveBufferFor}'s (tests make the kernel drop with a tiny one). */
  receiveBufferBytes?: number;
  /**
   * Send only what the receive buffer has room for (default true). false: send regardless,
   * for tests and benches that make the kernel drop replies.
   */
  paceToReceiveBuffer?: boolean;
}

/** Packets per sendmmsg round before yielding to the event loop (so replies get read). */
const CHUNK = 1024;
/**
 * Kernel memory one queued echo reply costs (skb truesize): 832 bytes measured for a 56-byte
 * payload on loopback (Linux 6.18), rounded up for IPv6 and other drivers.
 */
const REPLY_TRUESIZE = 1024;
const RCVBUF_FLOOR = 256 << 10;
const RCVBUF_CAP = 64 << 20;

/**
 * SO_RCVBUF for a sweep: room for every reply that can be in flight — all of them at rate 0,
 * else `rate` × (timeout + 1 s of the agent being busy elsewhere) — at {@link REPLY_TRUESIZE}.
 * The kernel doubles what it is given (its own overhead), which is our headroom. Floor 256 KiB,
 * cap 64 MiB (a /16 at full speed; without CAP_NET_ADMIN net.core.rmem_max caps it lower).
 */
export function receiveBufferFor(hosts: number, rate: number, timeoutMs: number): number {
  const inFlight = rate > 0 ? Math.min(hosts, Math.ceil((rate * (timeoutMs + 1000)) / 1000)) : hosts;
  return Math.min(RCVBUF_CAP, Math.max(RCVBUF_FLOOR, inFlight * REPLY_TRUESIZE));
}
/** Echo payload bytes: small, like fping's default 56 would only cost bandwidth here. */
const PAYLOAD = 56;

/** Sweeps every target prefix of `spec` (one after another, to keep the rate meaningful). */
export async function runSweep(spec: MeasurementSpec, o: SweepRunOptions): Promise<void> {
  for (const target of spec.targets) {
    if (o.signal.aborted) return;
    try {
      const r = parseCidr(target);
      if (!r.ok) throw new MeshprobeError(ErrorCode.BadRequest, r.message);
      if (spec.ipVersion && r.prefix.family !== spec.ipVersion) {
        throw new MeshprobeError(ErrorCode.BadRequest, `${target} is an IPv${r.prefix.family} prefix, IPv${spec.ipVersion} was asked for`);
      }
      const tooBig = checkSweepSize(r.prefix, o.limits ?? Limits);
      if (tooBig) throw new MeshprobeError(ErrorCode.BadRequest, tooBig);
      await sweepPrefix(spec, r.prefix, target, o);
    } catch (err) {
      const d = describeError(err);
      o.emit({ type: 'error', agent: o.agent, target, code: d.code, message: d.message });
    }
  }
}

/** Sweeps one prefix; throws only when the socket cannot be opened. */
export async function sweepPrefix(spec: MeasurementSpec, prefix: Prefix, target: string, o: SweepRunOptions): Promise<void> {
  const started = performance.now();
  const { rate, timeoutMs } = probeParams(spec);
  const sweep = new SweepReplies(prefix, (address, rttMs) => o.emit({ type: 'host', agent: o.agent, target, address, rttMs }));
  const wantBuffer = o.receiveBufferBytes ?? receiveBufferFor(sweep.total, rate, timeoutMs);
  const sock = openSocket(prefix.family, sweep.id, wantBuffer, (batch) => sweep.read(batch));
  sweep.raw = sock.mode === 'raw';
  // The kernel reports twice what SO_RCVBUF was given; less means rmem_max capped it (no CAP_NET_ADMIN).
  const gotBuffer = sock.receiveStats().bufferBytes / 2;
  const notes = [
    ...(sock.mode === 'dgram' ? ['unprivileged ICMP datagram socket'] : []),
    ...(o.receiveBufferBytes === undefined && gotBuffer < wantBuffer
      ? [`receive buffer capped at ${Math.round(gotBuffer / 1024)} KiB of ${Math.round(wantBuffer / 1024)} KiB (net.core.rmem_max): replies may be dropped at this rate`]
      : []),
  ];
  o.emit({
    type: 'start', agent: o.agent, target, measurement: 'probe', address: prefix.text, family: prefix.family, protocol: 'icmp',
    params: { rate, timeoutMs, hosts: sweep.total },
    ...(notes.length ? { note: notes.join('; ') } : {}),
  });
  try {
    await sendSweep(sock, sweep, rate, o.paceToReceiveBuffer ?? true, o.signal);
    await sweep.waitForReplies(timeoutMs, o.signal);
  } finally {
    sock.close();
  }
  // Replies the kernel dropped because the receive buffer was full (read at close: drops can
  // happen after the last packet that got in, which no SO_RXQ_OVFL cmsg would tell).
  const kernelDrops = sock.drops;
  const rtts = sweep.silentAndAnswered((address, unreachable) => o.emit({ type: 'host', agent: o.agent, target, address, rttMs: null, ...(unreachable ? { unreachable } : {}) }));
  o.emit({
    type: 'summary', agent: o.agent, target, measurement: 'probe', address: prefix.text,
    ...computeStats(sweep.sent, rtts),
    durationMs: roundMs(performance.now() - started),
    hostsUp: sweep.received,
    hostsTotal: sweep.total,
    kernelDrops,
  });
}

/** One sweep's probes and replies, by index in the prefix: when each was sent and its RTT. */
class SweepReplies {
  readonly prefix: Prefix;
  readonly total: number;
  /** The echo identifier of this sweep. */
  readonly id = (Math.random() * 0xffff) | 0;
  readonly sentAt: Float64Array;
  readonly rtt: Float64Array;
  /** Raw socket (IPv4 replies come with their IP header) rather than an ICMP datagram one. */
  raw = false;
  received = 0;
  sent = 0;
  /** ICMP destination unreachables that quoted our echo, by index (the first one per address). */
  readonly unreachable = new Map<number, HostUnreachable>();
  readonly #base4: number;
  readonly #echoReply: number;
  readonly #onReply: (address: string, rttMs: number) => void;
  #wake: (() => void) | undefined;

  constructor(prefix: Prefix, onReply: (address: string, rttMs: number) => void) {
    this.prefix = prefix;
    this.total = Number(prefixSize(prefix));
    this.sentAt = new Float64Array(this.total).fill(Number.NaN);
    this.rtt = new Float64Array(this.total).fill(Number.NaN);
    this.#base4 = prefix.family === 4 ? Number(prefix.base) : 0;
    this.#echoReply = prefix.family === 4 ? IcmpType.EchoReply : Icmp6Type.EchoReply;
    this.#onReply = onReply;
  }

  /** The text of address `i` of the prefix. */
  address(i: number): string {
    return this.prefix.family === 4 ? v4Text(this.#base4 + i) : addressAt(this.prefix, i);
  }

  /** Reads a batch of echo replies: each first answer of a probe we sent gets its RTT. */
  read(batch: RawPacket[]): void {
    const fam = this.prefix.family;
    for (const pkt of batch) {
      // Read in place (no parse objects: a /16 is 65,536 of these): IPv4 raw sockets hand over
      // the IP header too, datagram sockets do not. The kernel verified the checksums.
      const d = pkt.data;
      const off = fam === 4 && this.raw ? (d[0]! & 0x0f) * 4 : 0;
      if (d.length < off + 8) continue;
      if (this.raw && d[off] === (fam === 4 ? IcmpType.DestUnreachable : Icmp6Type.DestUnreachable)) {
        this.#unreachable(d.subarray(off), pkt.address);
        continue;
      }
      if (d[off] !== this.#echoReply || d[off + 1] !== 0) continue;
      if (this.raw && ((d[off + 4]! << 8) | d[off + 5]!) !== this.id) continue;
      const i = this.#indexOf(pkt.address);
      if (i < 0 || ((d[off + 6]! << 8) | d[off + 7]!) !== (i & 0xffff) || !Number.isNaN(this.rtt[i]!) || Number.isNaN(this.sentAt[i]!)) continue;
      const r = Math.max(0, pkt.time - this.sentAt[i]!);
      this.rtt[i] = r;
      this.received++;
      this.#onReply(pkt.address, roundMs(r));
    }
    if (this.received === this.total) this.#wake?.();
  }

  /** Waits until every host answered, the timeout after the last send, or cancellation. */
  async waitForReplies(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.received >= this.total || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      // setImmediate: libuv runs due timers before polling, so give replies already queued
      // in the socket one poll phase before the socket closes (see ping-schedule.ts).
      const timer = setTimeout(() => setImmediate(done), timeoutMs);
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * An ICMP destination unreachable (`m`: the ICMP message, from `from`): when it quotes an echo
   * request of this sweep (our identifier, the sequence of the quoted destination's index), the
   * first such error of that address is kept. Anything else (another program's, a foreign
   * packet's) is ignored. Errors are rare next to replies, so the parse may allocate.
   */
  #unreachable(m: Uint8Array, from: string): void {
    const q = parseEmbeddedPacket(m.subarray(8));
    if (!q?.icmp || q.icmp.identifier !== this.id) return;
    if (q.icmp.type !== (this.prefix.family === 4 ? IcmpType.EchoRequest : Icmp6Type.EchoRequest)) return;
    const i = this.#indexOf(q.ip.destination);
    if (i < 0 || q.icmp.sequence !== (i & 0xffff) || Number.isNaN(this.sentAt[i]!) || this.unreachable.has(i)) return;
    const cls = classifyIcmpError(this.prefix.family, m[0]!, m[1]!, m);
    this.unreachable.set(i, { from, icmpType: m[0]!, icmpCode: m[1]!, message: cls?.message ?? 'Destination Unreachable' });
  }

  /**
   * Calls `silent` for every sent address that did not answer, in order, with the unreachable it
   * drew if any; returns the RTTs of those that did answer.
   */
  silentAndAnswered(silent: (address: string, unreachable: HostUnreachable | undefined) => void): number[] {
    const rtts: number[] = [];
    for (let i = 0; i < this.total; i++) {
      if (!Number.isNaN(this.rtt[i]!)) rtts.push(this.rtt[i]!);
      else if (i < this.sent) silent(this.address(i), this.unreachable.get(i));
    }
    return rtts;
  }

  /**
   * A reply source's index in the prefix, read by the one address parser (shared/net): ~1 µs a
   * reply, nothing beside a sweep's pacing, and no second reading of dotted quads to keep in step.
   */
  #indexOf(address: string): number {
    return indexInPrefix(this.prefix, address);
  }
}

/**
 * Sends one echo request to every address of the sweep: a token bucket at `rate` pps, or as
 * fast as the socket takes packets, in sendmmsg rounds of at most {@link CHUNK}.
 */
async function sendSweep(sock: RawSocket, sweep: SweepReplies, rate: number, pace: boolean, signal: AbortSignal): Promise<void> {
  const packetFor = echoRequests(sweep);
  const total = sweep.total;
  const t0 = performance.now();
  while (sweep.sent < total && !signal.aborted) {
    let n = CHUNK;
    if (rate > 0) {
      const due = Math.floor(((performance.now() - t0) / 1000) * rate) + 1;
      n = Math.min(CHUNK, due - sweep.sent);
      if (n <= 0) {
        await sleep(Math.max(1, ((sweep.sent + 1) / rate) * 1000 - (performance.now() - t0)));
        continue;
      }
    }
    n = Math.min(n, total - sweep.sent);
    // Send no more than the receive buffer has room for: nearby hosts answer within the send
    // call, and a small buffer (no CAP_NET_ADMIN: net.core.rmem_max) would overflow within
    // one chunk. When the receive side is behind (the loop was busy, or the CPU went to
    // others), wait for it to read.
    if (pace) {
      const rx = sock.receiveStats();
      if (rx.bufferBytes > 0) {
        const room = Math.floor((rx.bufferBytes - rx.queuedBytes) / REPLY_TRUESIZE);
        if (room < 1) {
          await sleep(1);
          continue;
        }
        n = Math.min(n, room);
      }
    }
    const sent = sweep.sent;
    const batch = [];
    for (let i = sent; i < sent + n; i++) batch.push(packetFor(i, i - sent));
    let r;
    try {
      r = sock.sendBatch(batch);
    } catch (err) {
      throw new MeshprobeError(ErrorCode.Internal, `cannot send to ${sweep.prefix.text}: ${(err as { code?: string }).code ?? (err as Error).message}`, { cause: err });
    }
    for (let k = 0; k < r.processed; k++) sweep.sentAt[sent + k] = r.times[k]!;
    sweep.sent += r.processed;
    // Yield: lets libuv poll the socket (drain replies) between batches; a full send buffer waits a moment.
    if (r.processed < n) await sleep(1);
    else await immediate();
  }
}

/**
 * The echo request to address `i`, written into packet `slot` of the round. One template; per
 * packet only the sequence and (IPv4) the checksum change — the checksum incrementally (RFC
 * 1624), since a /16 at full speed is 65,536 packets in well under a second.
 */
function echoRequests(sweep: SweepReplies): (i: number, slot: number) => { data: Uint8Array; address: string } {
  const fam = sweep.prefix.family;
  const template = buildEchoRequest({ family: fam, identifier: sweep.id, sequence: 0, payload: new Uint8Array(PAYLOAD) });
  const sum0 = fam === 4 ? ~((template[2]! << 8) | template[3]!) & 0xffff : 0;
  // The packets of one sendmmsg round are reused for the next: the kernel has copied them by
  // the time sendBatch returns, and a /16 would otherwise churn 65,536 buffers through the GC.
  const slots = Array.from({ length: CHUNK }, () => ({ data: template.slice(), address: '' }));
  return (i, slot) => {
    const p = slots[slot]!;
    const data = p.data;
    const seq = i & 0xffff;
    data[6] = seq >>> 8;
    data[7] = seq & 0xff;
    if (fam === 4) {
      let sum = sum0 + seq;
      sum = (sum & 0xffff) + (sum >>> 16);
      const c = ~sum & 0xffff;
      data[2] = c >>> 8;
      data[3] = c & 0xff;
    }
    p.address = sweep.address(i);
    return p;
  };
}

/**
 * A raw socket that wakes only for echo replies carrying our identifier and for destination
 * unreachables (ICMP type filter plus a BPF filter, which passes non-echo types; the quoted
 * echo's identifier is checked when one is read); without CAP_NET_RAW, an ICMP datagram socket
 * (the kernel filters those itself).
 */
function openSocket(fam: 4 | 6, id: number, receiveBufferBytes: number, onPackets: (p: RawPacket[]) => void): RawSocket {
  const common = { family: fam, protocol: 'icmp' as const, onPackets, receiveBufferBytes, sendBufferBytes: 4 << 20, recvTtl: false };
  try {
    return RawSocket.open({ ...common, mode: 'raw', icmpFilter: fam === 4 ? [IcmpType.EchoReply, IcmpType.DestUnreachable] : [Icmp6Type.EchoReply, Icmp6Type.DestUnreachable], echoIdentifiers: { first: id } });
  } catch (err) {
    if (!(err instanceof MeshprobeError) || err.code !== ErrorCode.NoPermission) throw err;
    return RawSocket.open({ ...common, mode: 'dgram' });
  }
}

function v4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function immediate(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
