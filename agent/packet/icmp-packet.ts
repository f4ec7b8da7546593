/**
 * ICMP / ICMPv6 packet codec: echo requests out; echo replies and ICMP errors in, including the
 * original packet an error quotes (so a caller can match it to its probe: ICMP id/seq, UDP ports,
 * TCP ports + sequence). Pure and runtime-neutral: Uint8Array in, plain objects out.
 */
import type { IcmpErrorKind } from '../../shared/model/events.ts';
import { formatIp, ipFromBytes } from '../../shared/net/ip-address.ts';
import { internetChecksum } from './inet-checksum.ts';
import { IpProtocol } from './ipv4-header.ts';

/** ICMPv4 types we build or parse (RFC 792). */
export const IcmpType = {
  EchoReply: 0,
  DestUnreachable: 3,
  SourceQuench: 4,
  Redirect: 5,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
} as const;

/** ICMPv6 types we build or parse (RFC 4443). */
export const Icmp6Type = {
  DestUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
} as const;

/** Length of an ICMP echo header (type, code, checksum, identifier, sequence). */
export const ICMP_HEADER_BYTES = 8;

/** A payload of `size` bytes in iputils' pattern (byte i = i mod 256), so captures look familiar. */
export function echoPayload(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = i & 0xff;
  return p;
}

export interface EchoRequestOptions {
  family: 4 | 6;
  /** 16-bit identifier (ignored by the kernel for ICMP datagram sockets, which set their own). */
  identifier: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** The payload; default: {@link echoPayload}(56). */
  payload?: Uint8Array;
}

/**
 * An echo request, ICMP header onwards. IPv4 carries its checksum; IPv6 leaves it 0 because
 * the kernel computes ICMPv6 checksums (they cover a pseudo-header with the source address).
 */
export function buildEchoRequest(o: EchoRequestOptions): Uint8Array {
  const payload = o.payload ?? echoPayload(56);
  const b = new Uint8Array(ICMP_HEADER_BYTES + payload.length);
  b[0] = o.family === 4 ? IcmpType.EchoRequest : Icmp6Type.EchoRequest;
  b[1] = 0;
  b[4] = (o.identifier >>> 8) & 0xff;
  b[5] = o.identifier & 0xff;
  b[6] = (o.sequence >>> 8) & 0xff;
  b[7] = o.sequence & 0xff;
  b.set(payload, ICMP_HEADER_BYTES);
  if (o.family === 4) {
    const c = internetChecksum(b);
    b[2] = c >>> 8;
    b[3] = c & 0xff;
  }
  return b;
}

/** The fields of an IPv4 or IPv6 header we use. */
export interface IpHeader {
  version: 4 | 6;
  /** Bytes up to the transport header (IPv4: IHL×4; IPv6: 40 plus skipped extension headers). */
  headerLength: number;
  /** Transport protocol (IPv6: after skipping extension headers). */
  protocol: number;
  /** TTL / hop limit. */
  ttl: number;
  /** Total length from the header (IPv4 total length; IPv6 40 + payload length). */
  totalLength: number;
  source: string;
  destination: string;
}

/** The transport header quoted in an ICMP error: enough to find the probe it answers. */
export interface EmbeddedPacket {
  ip: IpHeader;
  /** Set when the quoted packet is ICMP/ICMPv6 (echo requests: type 8/128). */
  icmp?: { type: number; code: number; identifier: number; sequence: number };
  udp?: { sourcePort: number; destinationPort: number; length: number; checksum: number };
  /** TCP: ports and sequence number (the first 8 bytes are all RFC 792 guarantees). */
  tcp?: { sourcePort: number; destinationPort: number; sequence: number };
}

/** An echo request or reply. */
export interface EchoMessage {
  kind: 'echo-reply' | 'echo-request';
  family: 4 | 6;
  type: number;
  code: number;
  identifier: number;
  sequence: number;
  /** The ICMP message length (header + payload): iputils' "64 bytes". */
  bytes: number;
  payload: Uint8Array;
  /** The IP header, when the packet carried one (IPv4 raw sockets). */
  ip?: IpHeader;
}

/** An ICMP error message, with the packet it quotes when that could be decoded. */
export interface IcmpErrorMessage {
  kind: 'error';
  family: 4 | 6;
  type: number;
  code: number;
  errorKind: IcmpErrorKind;
  /** iputils' wording, e.g. "Destination Host Unreachable", "Time to live exceeded". */
  message: string;
  /** Next-hop MTU (frag-needed / packet-too-big). */
  mtu?: number;
  /** Parameter problem: the pointer to the offending byte. */
  pointer?: number;
  bytes: number;
  ip?: IpHeader;
  original?: EmbeddedPacket;
}

/** Any other ICMP message (router advertisements, redirects we do not act on, …). */
export interface OtherIcmpMessage {
  kind: 'other';
  family: 4 | 6;
  type: number;
  code: number;
  bytes: number;
  ip?: IpHeader;
}

export type IcmpMessage = EchoMessage | IcmpErrorMessage | OtherIcmpMessage;

export interface ParseIcmpOptions {
  family: 4 | 6;
  /** The bytes start with an IPv4 header (IPv4 raw sockets). Default: true for family 4. */
  withIpHeader?: boolean;
}

/** Parses what a raw or datagram ICMP socket received. Returns null for truncated or foreign bytes. */
export function parseIcmp(bytes: Uint8Array, o: ParseIcmpOptions): IcmpMessage | null {
  let ip: IpHeader | undefined;
  let off = 0;
  if (o.withIpHeader ?? o.family === 4) {
    const h = parseIpHeader(bytes);
    if (!h || h.version !== o.family) return null;
    if (h.protocol !== (o.family === 4 ? IpProtocol.ICMP : IpProtocol.ICMPV6)) return null;
    ip = h;
    off = h.headerLength;
  }
  const m = bytes.subarray(off);
  if (m.length < 4) return null;
  const type = m[0]!;
  const code = m[1]!;
  const base = { family: o.family, type, code, bytes: m.length, ...(ip ? { ip } : {}) };
  const echo = o.family === 4
    ? type === IcmpType.EchoReply ? 'echo-reply' : type === IcmpType.EchoRequest ? 'echo-request' : null
    : type === Icmp6Type.EchoReply ? 'echo-reply' : type === Icmp6Type.EchoRequest ? 'echo-request' : null;
  if (echo) {
    if (m.length < ICMP_HEADER_BYTES) return null;
    return { kind: echo, ...base, identifier: u16(m, 4), sequence: u16(m, 6), payload: m.subarray(ICMP_HEADER_BYTES) };
  }
  const cls = classifyIcmpError(o.family, type, code, m.length >= 8 ? m : undefined);
  if (!cls) return { kind: 'other', ...base };
  if (m.length < 8) return null;
  const original = m.length > 8 ? parseEmbeddedPacket(m.subarray(8)) : undefined;
  return {
    kind: 'error',
    ...base,
    errorKind: cls.kind,
    message: cls.message,
    ...(cls.mtu !== undefined ? { mtu: cls.mtu } : {}),
    ...(cls.pointer !== undefined ? { pointer: cls.pointer } : {}),
    ...(original ? { original } : {}),
  };
}

/** What an ICMP error type/code means; null when the type is not an error we report. */
export interface IcmpErrorClass {
  kind: IcmpErrorKind;
  message: string;
  mtu?: number;
  pointer?: number;
}

const unreach4 = [
  'Destination Net Unreachable',
  'Destination Host Unreachable',
  'Destination Protocol Unreachable',
  'Destination Port Unreachable',
  'Frag needed and DF set',
  'Source Route Failed',
  'Destination Net Unknown',
  'Destination Host Unknown',
  'Source Host Isolated',
  'Destination Net Prohibited',
  'Destination Host Prohibited',
  'Destination Net Unreachable for Type of Service',
  'Destination Host Unreachable for Type of Service',
  'Packet filtered',
  'Precedence Violation',
  'Precedence Cutoff',
];

const unreach6 = [
  'No route',
  'Administratively prohibited',
  'Beyond scope of source address',
  'Address unreachable',
  'Port unreachable',
  'Source address failed ingress/egress policy',
  'Reject route to destination',
];

const paramProblem6 = ['Wrong header field', 'Unknown header', 'Unknown option'];

/**
 * Classifies an ICMP error by family, type and code, in iputils' wording. `header` (the first
 * 8 bytes of the ICMP message) supplies the MTU and the parameter-problem pointer; callers
 * holding an extended error from the socket error queue pass `{ info }` through {@link errorFromInfo}.
 */
export function classifyIcmpError(family: 4 | 6, type: number, code: number, header?: Uint8Array): IcmpErrorClass | null {
  if (family === 4) {
    switch (type) {
      case IcmpType.DestUnreachable: {
        if (code === 4) {
          const mtu = header ? u16(header, 6) : undefined;
          return { kind: 'packet-too-big', message: `Frag needed and DF set (mtu = ${mtu ?? 0})`, ...(mtu !== undefined ? { mtu } : {}) };
        }
        return { kind: 'unreachable', message: unreach4[code] ?? `Dest Unreachable, Bad Code: ${code}` };
      }
      case IcmpType.TimeExceeded:
        return {
          kind: 'time-exceeded',
          message: code === 0 ? 'Time to live exceeded' : code === 1 ? 'Frag reassembly time exceeded' : `Time exceeded, Bad Code: ${code}`,
        };
      case IcmpType.ParameterProblem: {
        const pointer = header ? header[4]! : undefined;
        return { kind: 'parameter-problem', message: `Parameter problem: pointer = ${pointer ?? 0}`, ...(pointer !== undefined ? { pointer } : {}) };
      }
      case IcmpType.SourceQuench:
        return { kind: 'other', message: 'Source Quench' };
      case IcmpType.Redirect:
        return { kind: 'other', message: code === 0 ? 'Redirect Network' : code === 1 ? 'Redirect Host' : code === 2 ? 'Redirect Type of Service and Network' : code === 3 ? 'Redirect Type of Service and Host' : `Redirect, Bad Code: ${code}` };
      default:
        return null;
    }
  }
  switch (type) {
    case Icmp6Type.DestUnreachable:
      return { kind: 'unreachable', message: `Destination unreachable: ${unreach6[code] ?? `Unknown code ${code}`}` };
    case Icmp6Type.PacketTooBig: {
      const mtu = header ? u32(header, 4) : undefined;
      return { kind: 'packet-too-big', message: `Packet too big: mtu=${mtu ?? 0}`, ...(mtu !== undefined ? { mtu } : {}) };
    }
    case Icmp6Type.TimeExceeded:
      return { kind: 'time-exceeded', message: `Time exceeded: ${code === 0 ? 'Hop limit' : code === 1 ? 'Defragmentation failure' : `code ${code}`}` };
    case Icmp6Type.ParameterProblem: {
      const pointer = header ? u32(header, 4) : undefined;
      return {
        kind: 'parameter-problem',
        message: `Parameter problem: ${paramProblem6[code] ?? `code ${code}`} at ${pointer ?? 0}`,
        ...(pointer !== undefined ? { pointer } : {}),
      };
    }
    default:
      return null;
  }
}

/**
 * Classifies an error from the socket error queue (IP_RECVERR): the kernel gives type, code and
 * `info` (the MTU for frag-needed / packet-too-big, the pointer for parameter problems) instead
 * of the ICMP header bytes.
 */
export function errorFromInfo(family: 4 | 6, type: number, code: number, info: number): IcmpErrorClass | null {
  const h = new Uint8Array(8);
  if (family === 4 && type === IcmpType.ParameterProblem) h[4] = info & 0xff;
  else if (family === 4) {
    h[6] = (info >>> 8) & 0xff;
    h[7] = info & 0xff;
  } else {
    h[4] = (info >>> 24) & 0xff;
    h[5] = (info >>> 16) & 0xff;
    h[6] = (info >>> 8) & 0xff;
    h[7] = info & 0xff;
  }
  return classifyIcmpError(family, type, code, h);
}

/** Parses an IPv4 or IPv6 header (skipping IPv6 extension headers). Null when truncated. */
export function parseIpHeader(b: Uint8Array): IpHeader | null {
  if (b.length < 1) return null;
  const version = b[0]! >>> 4;
  if (version === 4) {
    if (b.length < 20) return null;
    const ihl = (b[0]! & 0x0f) * 4;
    if (ihl < 20 || b.length < ihl) return null;
    return {
      version: 4,
      headerLength: ihl,
      protocol: b[9]!,
      ttl: b[8]!,
      totalLength: u16(b, 2),
      source: ipv4ToString(b.subarray(12, 16)),
      destination: ipv4ToString(b.subarray(16, 20)),
    };
  }
  if (version === 6) {
    if (b.length < 40) return null;
    let next = b[6]!;
    let off = 40;
    // Hop-by-hop, routing, destination options: length in 8-octet units past the first 8.
    // Fragment: fixed 8 bytes. Stop at anything else (a transport, or no next header).
    while (next === 0 || next === 43 || next === 60 || next === 44) {
      if (b.length < off + 8) break;
      const len = next === 44 ? 8 : (b[off + 1]! + 1) * 8;
      next = b[off]!;
      off += len;
    }
    return {
      version: 6,
      headerLength: off,
      protocol: next,
      ttl: b[7]!,
      totalLength: 40 + u16(b, 4),
      source: ipv6ToString(b.subarray(8, 24)),
      destination: ipv6ToString(b.subarray(24, 40)),
    };
  }
  return null;
}

/** Decodes the original packet quoted in an ICMP error (IP header + the first transport bytes). */
export function parseEmbeddedPacket(b: Uint8Array): EmbeddedPacket | undefined {
  const ip = parseIpHeader(b);
  if (!ip) return undefined;
  const t = b.subarray(ip.headerLength);
  const out: EmbeddedPacket = { ip };
  if ((ip.protocol === IpProtocol.ICMP || ip.protocol === IpProtocol.ICMPV6) && t.length >= 8) {
    out.icmp = { type: t[0]!, code: t[1]!, identifier: u16(t, 4), sequence: u16(t, 6) };
  } else if (ip.protocol === IpProtocol.UDP && t.length >= 8) {
    out.udp = { sourcePort: u16(t, 0), destinationPort: u16(t, 2), length: u16(t, 4), checksum: u16(t, 6) };
  } else if (ip.protocol === IpProtocol.TCP && t.length >= 8) {
    out.tcp = { sourcePort: u16(t, 0), destinationPort: u16(t, 2), sequence: u32(t, 4) };
  }
  return out;
}

/** Dotted-quad form of 4 bytes. */
export function ipv4ToString(b: Uint8Array): string {
  return formatIp(4, ipFromBytes(b.subarray(0, 4)).value);
}

/** RFC 5952 text form of 16 bytes (longest run of zero groups compressed, IPv4-mapped dotted). */
export function ipv6ToString(b: Uint8Array): string {
  return formatIp(6, ipFromBytes(b.subarray(0, 16)).value);
}

function u16(b: Uint8Array, i: number): number {
  return (b[i]! << 8) | b[i + 1]!;
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) >>> 0) + ((b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
}
