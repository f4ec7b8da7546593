/**
 * UDP datagrams (RFC 768): building probes (traceroute, UDP ping) and reading the UDP header that
 * an ICMP error quotes back. Pure; checksums over the IPv4/IPv6 pseudo-header.
 */
import { foldChecksum, onesSum, pseudoHeader, type PseudoHeader } from './inet-checksum.ts';
import { IpProtocol } from './ipv4-header.ts';

/** A UDP datagram. */
export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

/** A parsed UDP header (+ whatever payload bytes were present). */
export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Length field: header + payload as sent (may exceed the bytes an ICMP error quotes). */
  length: number;
  checksum: number;
  payload: Uint8Array;
}

/**
 * Encodes a datagram. With `pseudo` the checksum is computed (0 is sent as 0xffff, RFC 768);
 * without it the checksum is left 0, which IPv4 allows and IPv6 raw sockets fill in when asked
 * (IPV6_CHECKSUM).
 */
export function encodeUdp(d: UdpDatagram, pseudo?: PseudoHeader): Uint8Array {
  const length = 8 + d.payload.length;
  if (length > 0xffff) throw new Error('UDP datagram too long');
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  v.setUint16(0, d.srcPort);
  v.setUint16(2, d.dstPort);
  v.setUint16(4, length);
  b.set(d.payload, 8);
  if (pseudo) {
    const sum = foldChecksum(onesSum([pseudoHeader(pseudo, IpProtocol.UDP, length), b]));
    v.setUint16(6, sum === 0 ? 0xffff : sum);
  }
  return b;
}

/** Parses a UDP header; undefined when fewer than 8 bytes. Tolerates truncation (ICMP quotes). */
export function parseUdp(bytes: Uint8Array): UdpHeader | undefined {
  if (bytes.length < 8) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    srcPort: v.getUint16(0),
    dstPort: v.getUint16(2),
    length: v.getUint16(4),
    checksum: v.getUint16(6),
    payload: bytes.subarray(8),
  };
}
