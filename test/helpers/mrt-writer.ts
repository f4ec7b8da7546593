/**
 * Writes MRT TABLE_DUMP_V2 dumps (RFC 6396, RFC 8050 add-path) from known routes, for tests and
 * benches of the MRT reader and the route index: a PEER_INDEX_TABLE, then one RIB record per
 * prefix with an entry per peer (ORIGIN, AS_PATH with 4-byte ASNs, NEXT_HOP or an abbreviated
 * MP_REACH_NLRI for IPv6).
 */
import { parseCidr } from '../../shared/net/cidr.ts';
import { parseIp } from '../../shared/net/ip-address.ts';

export interface WriterPeer {
  address: string;
  asn: number;
  bgpId?: string;
}

export interface WriterEntry {
  peer: number;
  /** AS numbers; a nested array is an AS_SET. */
  asPath: (number | number[])[];
  nextHop: string;
  originated?: number;
  /** Add-path identifier: the record is written with the ADDPATH subtype when any entry has one. */
  pathId?: number;
}

export interface WriterRib {
  prefix: string;
  entries: WriterEntry[];
}

function header(time: number, type: number, subtype: number, body: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32BE(time, 0);
  h.writeUInt16BE(type, 4);
  h.writeUInt16BE(subtype, 6);
  h.writeUInt32BE(body.length, 8);
  return Buffer.concat([h, body]);
}

function ipBytes(text: string): Buffer {
  const ip = parseIp(text);
  if (!ip) throw new Error(`mrt writer: ${text} is no address`);
  const n = ip.family === 4 ? 4 : 16;
  const b = Buffer.alloc(n);
  let v = ip.value;
  for (let i = n - 1; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
}

/** The PEER_INDEX_TABLE record. */
export function peerIndexRecord(peers: WriterPeer[], time = 1_700_000_000): Buffer {
  const parts: Buffer[] = [ipBytes('192.0.2.254'), Buffer.from([0, 4]), Buffer.from('test'), Buffer.from([peers.length >> 8, peers.length & 0xff])];
  for (const p of peers) {
    const v6 = p.address.includes(':');
    parts.push(Buffer.from([(v6 ? 1 : 0) | 2]), ipBytes(p.bgpId ?? '192.0.2.1'), ipBytes(p.address));
    const as = Buffer.alloc(4);
    as.writeUInt32BE(p.asn);
    parts.push(as);
  }
  return header(time, 13, 1, Buffer.concat(parts));
}

function attribute(type: number, value: Buffer, flags = 0x40): Buffer {
  if (value.length > 255) {
    const h = Buffer.from([flags | 0x10, type, 0, 0]);
    h.writeUInt16BE(value.length, 2);
    return Buffer.concat([h, value]);
  }
  return Buffer.concat([Buffer.from([flags, type, value.length]), value]);
}

function asPathValue(path: (number | number[])[]): Buffer {
  const segs: Buffer[] = [];
  let seq: number[] = [];
  const flush = () => {
    if (!seq.length) return;
    const b = Buffer.alloc(2 + 4 * seq.length);
    b[0] = 2;
    b[1] = seq.length;
    seq.forEach((a, i) => b.writeUInt32BE(a, 2 + 4 * i));
    segs.push(b);
    seq = [];
  };
  for (const x of path) {
    if (Array.isArray(x)) {
      flush();
      const b = Buffer.alloc(2 + 4 * x.length);
      b[0] = 1;
      b[1] = x.length;
      x.forEach((a, i) => b.writeUInt32BE(a, 2 + 4 * i));
      segs.push(b);
    } else seq.push(x);
  }
  flush();
  return Buffer.concat(segs);
}

/** One RIB record (RIB_IPV4_UNICAST, RIB_IPV6_UNICAST or their ADDPATH subtypes). */
export function ribRecord(rib: WriterRib, sequence = 0, time = 1_700_000_000): Buffer {
  const r = parseCidr(rib.prefix);
  if (!r.ok) throw new Error(`mrt writer: ${r.message}`);
  const { family, bits } = r.prefix;
  const addPath = rib.entries.some((e) => e.pathId !== undefined);
  const subtype = family === 4 ? (addPath ? 8 : 2) : addPath ? 10 : 4;
  const nbytes = Math.ceil(bits / 8);
  const full = ipBytes(`${r.prefix.text.split('/')[0]}`);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(sequence, 0);
  head[4] = bits;
  const count = Buffer.alloc(2);
  count.writeUInt16BE(rib.entries.length);
  const parts: Buffer[] = [head, full.subarray(0, nbytes), count];
  for (const e of rib.entries) {
    const attrs = Buffer.concat([
      attribute(1, Buffer.from([0])),
      attribute(2, asPathValue(e.asPath)),
      e.nextHop.includes(':') ? attribute(14, Buffer.concat([Buffer.from([16]), ipBytes(e.nextHop)]), 0x80) : attribute(3, ipBytes(e.nextHop)),
    ]);
    const fixed = Buffer.alloc(addPath ? 12 : 8);
    fixed.writeUInt16BE(e.peer, 0);
    fixed.writeUInt32BE(e.originated ?? time - 3600, 2);
    if (addPath) {
      fixed.writeUInt32BE(e.pathId ?? 0, 6);
      fixed.writeUInt16BE(attrs.length, 10);
    } else fixed.writeUInt16BE(attrs.length, 6);
    parts.push(fixed, attrs);
  }
  return header(time, 13, subtype, Buffer.concat(parts));
}

/** A whole dump: the peer table, then a record per RIB. */
export function writeMrt(peers: WriterPeer[], ribs: WriterRib[], time = 1_700_000_000): Buffer {
  return Buffer.concat([peerIndexRecord(peers, time), ...ribs.map((r, i) => ribRecord(r, i, time))]);
}
