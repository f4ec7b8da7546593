/**
 * TCP segments (RFC 9293) for SYN probes: TCP ping and the TCP path probes send a SYN and time the
 * SYN-ACK or RST that comes back. Pure; checksums over the IPv4/IPv6 pseudo-header.
 */
import { foldChecksum, onesSum, pseudoHeader, type PseudoHeader } from './inet-checksum.ts';
import { IpProtocol } from './ipv4-header.ts';

/** TCP header flag bits. */
export const TcpFlags = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** A TCP segment to encode. */
export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: number;
  /** Default 64240 (Linux's initial window). */
  window?: number;
  /** Raw option bytes; padded with zeros (EOL) to a multiple of 4. */
  options?: Uint8Array;
  payload?: Uint8Array;
}

/** A parsed TCP header. */
export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  /** Header length in bytes (data offset × 4). */
  headerLength: number;
  flags: number;
  window: number;
  checksum: number;
  /** Maximum segment size option, when present and the header is complete. */
  mss?: number;
}

/** Options a SYN carries, in the order Linux sends them. */
export interface SynOptions {
  /** Maximum segment size. Default 1460. */
  mss?: number;
  /** SACK permitted. Default true. */
  sackPermitted?: boolean;
  /** Timestamps (TSval, TSecr=0); omitted when undefined. */
  tsVal?: number;
  /** Window scale shift. Default 7. */
  windowScale?: number;
}

/** Encodes the SYN options: MSS, SACK-permitted, timestamps, NOP, window scale (Linux order). */
export function synOptions(o: SynOptions = {}): Uint8Array {
  const out: number[] = [];
  const mss = o.mss ?? 1460;
  out.push(2, 4, mss >> 8, mss & 0xff);
  const sack = o.sackPermitted ?? true;
  if (o.tsVal !== undefined) {
    if (sack) out.push(4, 2);
    else out.push(1, 1);
    const t = o.tsVal >>> 0;
    out.push(8, 10, t >>> 24, (t >>> 16) & 0xff, (t >>> 8) & 0xff, t & 0xff, 0, 0, 0, 0);
  } else if (sack) {
    out.push(1, 1, 4, 2);
  }
  out.push(1, 3, 3, o.windowScale ?? 7);
  return Uint8Array.from(out);
}

/** Encodes a segment; with `pseudo` the checksum is computed (raw sockets do not do it for us). */
export function encodeTcp(s: TcpSegment, pseudo?: PseudoHeader): Uint8Array {
  const opts = s.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  if (optLen > 40) throw new Error('TCP options longer than 40 bytes');
  const headerLength = 20 + optLen;
  const payload = s.payload ?? new Uint8Array(0);
  const b = new Uint8Array(headerLength + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, s.srcPort);
  v.setUint16(2, s.dstPort);
  v.setUint32(4, s.seq >>> 0);
  v.setUint32(8, (s.ack ?? 0) >>> 0);
  b[12] = (headerLength / 4) << 4;
  b[13] = s.flags & 0xff;
  v.setUint16(14, s.window ?? 64240);
  b.set(opts, 20);
  b.set(payload, headerLength);
  if (pseudo) v.setUint16(16, foldChecksum(onesSum([pseudoHeader(pseudo, IpProtocol.TCP, b.length), b])));
  return b;
}

/** Builds a SYN probe with Linux-like options, so middleboxes treat it like a real connection. */
export function buildTcpSyn(
  o: { srcPort: number; dstPort: number; seq: number; window?: number } & SynOptions,
  pseudo?: PseudoHeader,
): Uint8Array {
  return encodeTcp(
    { srcPort: o.srcPort, dstPort: o.dstPort, seq: o.seq, flags: TcpFlags.SYN, window: o.window ?? 64240, options: synOptions(o) },
    pseudo,
  );
}

/**
 * Parses a TCP header. Needs the fixed 20 bytes, except that an ICMP error may quote only the
 * first 8 (ports and sequence number): pass `partial` to accept that, other fields then read 0.
 */
export function parseTcp(bytes: Uint8Array, partial = false): TcpHeader | undefined {
  if (bytes.length < (partial ? 8 : 20)) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const full = bytes.length >= 20;
  const h: TcpHeader = {
    srcPort: v.getUint16(0),
    dstPort: v.getUint16(2),
    seq: v.getUint32(4),
    ack: full ? v.getUint32(8) : 0,
    headerLength: full ? (bytes[12]! >> 4) * 4 : 0,
    flags: full ? bytes[13]! : 0,
    window: full ? v.getUint16(14) : 0,
    checksum: full ? v.getUint16(16) : 0,
  };
  if (full && h.headerLength > 20 && bytes.length >= h.headerLength) {
    for (let i = 20; i < h.headerLength; ) {
      const kind = bytes[i]!;
      if (kind === 0) break;
      if (kind === 1) { i++; continue; }
      const len = bytes[i + 1] ?? 0;
      if (len < 2) break;
      if (kind === 2 && len === 4) h.mss = v.getUint16(i + 2);
      i += len;
    }
  }
  return h;
}

/** What a reply to a SYN means: 'syn-ack' (port open), 'rst' (closed), or undefined (neither). */
export function tcpReplyKind(h: Pick<TcpHeader, 'flags'>): 'syn-ack' | 'rst' | undefined {
  if ((h.flags & (TcpFlags.SYN | TcpFlags.ACK)) === (TcpFlags.SYN | TcpFlags.ACK)) return 'syn-ack';
  if (h.flags & TcpFlags.RST) return 'rst';
  return undefined;
}
