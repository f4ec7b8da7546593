/**
 * Hop-by-hop probing shared by the types that send TTL-limited probes (the one-shot trace, the
 * repeated-rounds trace, route watch): the sockets opened once per run, the pacer that sends one
 * probe per event-loop turn, and the matching of ICMP errors (and TCP answers) to the probe they
 * quote back. Moved out of the one-shot trace's folder so that each of those types imports it from
 * here rather than from another type's folder.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { RawSocket, type RawPacket } from '../socket/raw-socket.ts';
import { sourceAddressFor } from '../socket/source-address.ts';
import { buildEchoRequest, type IcmpMessage } from '../packet/icmp-packet.ts';
import { buildTcpSyn } from '../packet/tcp-packet.ts';
import type { Protocol } from '../../shared/model/spec.ts';

/** An answer to one probe (exported for the repeated-rounds runner, which shares these sockets). */
export interface Answer {
  from: string;
  rttMs: number;
  kind: string;
  annotation?: string;
  mtu?: number;
  /** The trace ends here (the destination or an unreachable answered). */
  final: boolean;
}

/** One probe of a trace (exported for the repeated-rounds runner, which sends its own rounds through the same sockets). */
export interface Probe {
  index: number;
  ttl: number;
  /** Left (or was refused); until then it waits in the pacer and has no send time. */
  sent: boolean;
  sentAt: number;
  deadline: number;
  done: boolean;
  answer?: Answer;
}

/** The iputils-style annotation of an ICMP unreachable code, or undefined for "port unreachable". */
export function unreachableAnnotation(family: 4 | 6, code: number, mtu?: number): string | undefined {
  if (family === 4) {
    switch (code) {
      case 0: case 6: case 11: return '!N';
      case 1: case 7: case 12: return '!H';
      case 2: return '!P';
      case 3: return undefined;
      case 4: return `!F-${mtu ?? 0}`;
      case 5: return '!S';
      case 9: case 10: case 13: return '!X';
      case 14: return '!V';
      case 15: return '!C';
      default: return `!<${code}>`;
    }
  }
  switch (code) {
    case 0: return '!N';
    case 1: case 5: case 6: return '!X';
    case 2: return '!S';
    case 3: return '!H';
    case 4: return undefined;
    default: return `!<${code}>`;
  }
}

/** Probes waiting to leave, sent one per event-loop turn. */
export interface ProbePacer<T> {
  /** Queues probes; the first leaves now unless one already left in this turn. */
  enqueue(items: T[]): void;
  /** Queued and not yet sent. */
  readonly waiting: number;
  /** Drops what is queued; nothing is sent after this. */
  stop(): void;
}

/**
 * Paces a burst: `send` is called for one item, then the next waits for the following turn of
 * the event loop (setImmediate runs after the poll phase), so the answer to one probe is read,
 * and its kernel work done, before the next probe leaves — probes do not queue behind each
 * other in the stack, and a burst costs a few µs per probe instead of sharing one send time.
 * `send` returns false for an item it skipped (no turn is spent on it).
 */
export function probePacer<T>(send: (item: T) => boolean): ProbePacer<T> {
  const queue: T[] = [];
  let spent = false; // one item left in this turn
  let stopped = false;
  const next = () => {
    spent = false;
    if (!stopped) sendOne();
  };
  const sendOne = () => {
    while (queue.length && !stopped) {
      if (send(queue.shift()!)) {
        spent = true;
        setImmediate(next);
        return;
      }
    }
  };
  return {
    enqueue(items) {
      if (stopped) return;
      queue.push(...items);
      if (!spent) sendOne();
    },
    get waiting() {
      return queue.length;
    },
    stop() {
      stopped = true;
      queue.length = 0;
    },
  };
}


/** What the sockets need of a run's parameters: the protocol, the (first) port and the payload size. */
export interface HopProbeParams {
  protocol: Protocol;
  port: number;
  size: number;
}

/** What a reply must quote back to be an answer to this trace's probes. */
export interface TraceKey {
  protocol: Protocol;
  family: 4 | 6;
  /** Canonical destination address. */
  dst: string;
  /** UDP: first destination port; TCP: the destination port. */
  port: number;
  /** UDP/TCP source port (known once the sockets are open). */
  srcPort: number;
  /** ICMP echo identifier, and the sequence of probe 0. */
  id: number;
  seqBase: number;
  /** TCP sequence number of probe 0. */
  tcpSeqBase: number;
}

/**
 * Collect: which probe an ICMP message answers, and what it says; undefined when it is not an
 * answer to this trace. Replies are matched by what they quote back (ICMP id/seq, UDP
 * destination port, TCP sequence), so responders that differ per probe (ECMP) stay apart.
 */
export function matchIcmp(m: IcmpMessage, from: string, k: TraceKey): { index: number; answer: Omit<Answer, 'rttMs'> } | undefined {
  if (m.kind === 'echo-reply') {
    if (k.protocol !== 'icmp' || m.identifier !== k.id) return undefined;
    return { index: (m.sequence - k.seqBase) & 0xffff, answer: { from, kind: 'reply', final: true } };
  }
  if (m.kind !== 'error' || !m.original) return undefined;
  const o = m.original;
  // The codec formats quoted addresses canonically (ip-address.ts), as normalizeIp does dst.
  if (o.ip.destination !== k.dst) return undefined;
  let index: number;
  if (k.protocol === 'icmp') {
    if (!o.icmp || o.icmp.identifier !== k.id) return undefined;
    index = (o.icmp.sequence - k.seqBase) & 0xffff;
  } else if (k.protocol === 'udp') {
    if (!o.udp || o.udp.sourcePort !== k.srcPort) return undefined;
    index = o.udp.destinationPort - k.port;
  } else {
    if (!o.tcp || o.tcp.sourcePort !== k.srcPort || o.tcp.destinationPort !== k.port) return undefined;
    index = (o.tcp.sequence - k.tcpSeqBase) >>> 0;
  }
  if (m.errorKind === 'time-exceeded') return { index, answer: { from, kind: 'time-exceeded', final: false } };
  if (m.errorKind === 'unreachable' || m.errorKind === 'packet-too-big') {
    const annotation = m.errorKind === 'packet-too-big' ? `!F-${m.mtu ?? 0}` : unreachableAnnotation(k.family, m.code);
    return {
      index,
      answer: {
        from,
        kind: m.errorKind,
        final: true,
        ...(annotation ? { annotation } : {}),
        ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
      },
    };
  }
  return undefined;
}

/**
 * Send, set-up: opens the sockets of `k.protocol` (errors come back to a raw ICMP socket; TCP
 * answers to a raw TCP one), fills in `k.srcPort`, and returns `send`, which sends one probe and
 * returns its send time — read in the addon right before that probe's own sendmsg — or throws
 * the kernel's refusal. Closes what it opened when a later socket fails.
 */
export async function openProbeSockets(
  p: HopProbeParams,
  k: TraceKey,
  onIcmp: (batch: RawPacket[]) => void,
  onTcp: (batch: RawPacket[]) => void,
): Promise<{ sockets: RawSocket[]; tcpHold?: Server; send: (pr: Probe) => number }> {
  const { family: fam, dst } = k;
  const sockets: RawSocket[] = [];
  let tcpHold: Server | undefined;
  try {
    if (p.protocol === 'icmp') {
      const icmp = RawSocket.open({
        family: fam, protocol: 'icmp', mode: 'raw', onPackets: onIcmp, receiveBufferBytes: 1 << 20,
        icmpFilter: fam === 4 ? [0, 3, 11, 12] : [1, 2, 3, 4, 129],
        // DF on every probe, whatever the kernel learnt about the path: the MTU is for us to find.
        pmtu: 'probe',
      });
      const payload = new Uint8Array(p.size);
      sockets.push(icmp);
      return {
        sockets,
        send: (pr) =>
          icmp.send(buildEchoRequest({ family: fam, identifier: k.id, sequence: (k.seqBase + pr.index) & 0xffff, payload }), dst, { ttl: pr.ttl }),
      };
    }
    const icmp = RawSocket.open({
      family: fam, protocol: 'icmp', mode: 'raw', onPackets: onIcmp, receiveBufferBytes: 1 << 20,
      icmpFilter: fam === 4 ? [3, 11, 12] : [1, 2, 3, 4],
    });
    sockets.push(icmp);
    if (p.protocol === 'udp') {
      // A plain UDP socket: the kernel owns the source port and the checksum; errors come to
      // the raw ICMP socket above (recvErr off, so they do not also queue here).
      const udp = RawSocket.open({ family: fam, protocol: 'udp', mode: 'dgram', onPackets: () => {}, recvErr: false, recvTtl: false, pmtu: 'probe' });
      const payload = new Uint8Array(p.size);
      sockets.push(udp);
      udp.bind(fam === 4 ? '0.0.0.0' : '::', 0);
      k.srcPort = udp.localAddress().port;
      return { sockets, send: (pr) => udp.send(payload, dst, { port: p.port + pr.index, ttl: pr.ttl }) };
    }
    const srcAddr = await sourceAddressFor(dst, fam);
    // Hold the source port with a listener: the port is ours, and the SYN-ACKs our raw
    // probes provoke get a RST from the kernel, as with a TCP trace (-T).
    tcpHold = createServer();
    tcpHold.listen(0, srcAddr);
    await once(tcpHold, 'listening');
    const srcPort = (tcpHold.address() as { port: number }).port;
    k.srcPort = srcPort;
    const tcp = RawSocket.open({ family: fam, protocol: 'tcp', mode: 'raw', onPackets: onTcp, recvTtl: false, receiveBufferBytes: 1 << 20 });
    sockets.push(tcp);
    return {
      sockets,
      tcpHold,
      send: (pr) =>
        tcp.send(buildTcpSyn({ srcPort, dstPort: p.port, seq: (k.tcpSeqBase + pr.index) >>> 0 }, { src: srcAddr, dst }), dst, { ttl: pr.ttl }),
    };
  } catch (err) {
    for (const s of sockets) s.close();
    tcpHold?.close();
    throw err;
  }
}
