/**
 * The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers that UDP and TCP sum over.
 * Pure: packet building lives in TypeScript, the native addon only moves bytes.
 */
import { ipToBytes, parseIp } from '../../shared/net/ip-address.ts';

/**
 * One's-complement sum of 16-bit big-endian words over `chunks`, continuing from `initial`
 * (an unfolded partial sum). Chunks are summed as one byte stream, so an odd-length chunk is
 * joined to the next one; only the very last byte is padded with zero.
 */
export function onesSum(chunks: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  let carry = -1; // a pending high byte from an odd-length chunk
  for (const c of chunks) {
    let i = 0;
    if (carry >= 0 && c.length > 0) {
      sum += (carry << 8) | c[0]!;
      carry = -1;
      i = 1;
    }
    for (; i + 1 < c.length; i += 2) sum += (c[i]! << 8) | c[i + 1]!;
    if (i < c.length) carry = c[i]!;
  }
  if (carry >= 0) sum += carry << 8;
  return sum;
}

/** Folds a partial sum and complements it: the value to put in a checksum field. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of `chunks` (RFC 1071). Over a packet that carries its checksum, 0 means valid. */
export function internetChecksum(...chunks: Uint8Array[]): number {
  return foldChecksum(onesSum(chunks));
}

/** Addresses of the IP packet a transport segment travels in, as text literals. */
export interface PseudoHeader {
  src: string;
  dst: string;
}

/** Address bytes of an IPv4 or IPv6 literal; throws on anything else (callers pass resolved addresses). */
export function addressBytes(address: string): Uint8Array {
  const ip = parseIp(address);
  if (!ip) throw new Error(`not an IP address: ${address}`);
  return ipToBytes(ip);
}

/**
 * The pseudo-header bytes for a segment of `length` bytes of IP protocol `protocol`
 * (RFC 768 / RFC 793 for IPv4, RFC 8200 §8.1 for IPv6). The family follows the addresses.
 */
export function pseudoHeader(p: PseudoHeader, protocol: number, length: number): Uint8Array {
  const src = addressBytes(p.src);
  const dst = addressBytes(p.dst);
  if (src.length !== dst.length) throw new Error('pseudo-header: source and destination families differ');
  if (src.length === 4) {
    const b = new Uint8Array(12);
    b.set(src, 0);
    b.set(dst, 4);
    b[9] = protocol;
    b[10] = length >> 8;
    b[11] = length & 0xff;
    return b;
  }
  const b = new Uint8Array(40);
  b.set(src, 0);
  b.set(dst, 16);
  new DataView(b.buffer).setUint32(32, length);
  b[39] = protocol;
  return b;
}
