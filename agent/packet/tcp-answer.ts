/**
 * Reads one packet from a raw TCP socket as the answer to a SYN probe: path probes over TCP and TCP
 * ping send the same SYN and hear back the same way, so they match answers with this one test.
 */
import { normalizeIp } from '../../shared/net/ip-address.ts';
import { parseIpv4Header } from './ipv4-header.ts';
import { parseTcp, tcpReplyKind, type TcpHeader } from './tcp-packet.ts';

/** A SYN-ACK or RST from the probed host and port to our source port. */
export interface TcpAnswer {
  header: TcpHeader;
  kind: 'syn-ack' | 'rst';
  /** TCP segment length (the IPv4 header, which a raw IPv4 socket delivers, not counted). */
  bytes: number;
}

/**
 * The answer `pkt` carries from `dst`:`dstPort` to our `srcPort`, or undefined when it is some
 * other traffic. `dst` is the probed address in canonical text (normalizeIp).
 */
export function tcpAnswer(pkt: { data: Uint8Array; address: string }, family: 4 | 6, dst: string, dstPort: number, srcPort: number): TcpAnswer | undefined {
  let seg = pkt.data;
  if (family === 4) {
    const ip = parseIpv4Header(seg);
    if (!ip) return undefined;
    seg = seg.subarray(ip.headerLength);
  }
  const h = parseTcp(seg);
  if (!h || h.srcPort !== dstPort || h.dstPort !== srcPort) return undefined;
  // Address last: a raw TCP socket sees all of the host's TCP, and the ports reject most of it
  // without the parse + format of normalizeIp.
  if ((normalizeIp(pkt.address) ?? pkt.address) !== dst) return undefined;
  const kind = tcpReplyKind(h);
  return kind ? { header: h, kind, bytes: seg.length } : undefined;
}
