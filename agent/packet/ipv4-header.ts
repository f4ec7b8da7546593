/**
 * IPv4 header parsing (RFC 791). Raw IPv4 sockets hand us whole datagrams, and ICMP errors quote
 * the header of the packet that caused them; both need it. Pure.
 */

/** The fields of an IPv4 header we use. */
export interface Ipv4Header {
  /** Header length in bytes (IHL × 4), where the payload starts. */
  headerLength: number;
  tos: number;
  totalLength: number;
  id: number;
  /** Don't Fragment. */
  df: boolean;
  /** More Fragments. */
  mf: boolean;
  /** Fragment offset in bytes. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
}

/** IP protocol numbers used by the probes. */
export const IpProtocol = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/**
 * Parses the IPv4 header at the start of `bytes`. Undefined when it is not a plausible IPv4
 * header (wrong version, IHL < 5, truncated). Does not verify the checksum: the kernel did.
 */
export function parseIpv4Header(bytes: Uint8Array): Ipv4Header | undefined {
  if (bytes.length < 20 || bytes[0]! >> 4 !== 4) return undefined;
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < 20 || bytes.length < headerLength) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frag = v.getUint16(6);
  return {
    headerLength,
    tos: bytes[1]!,
    totalLength: v.getUint16(2),
    id: v.getUint16(4),
    df: (frag & 0x4000) !== 0,
    mf: (frag & 0x2000) !== 0,
    fragmentOffset: (frag & 0x1fff) * 8,
    ttl: bytes[8]!,
    protocol: bytes[9]!,
    checksum: v.getUint16(10),
    src: `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`,
    dst: `${bytes[16]}.${bytes[17]}.${bytes[18]}.${bytes[19]}`,
  };
}
