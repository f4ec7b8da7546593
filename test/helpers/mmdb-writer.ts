/**
 * A tiny writer of MaxMind DB files (the `.mmdb` format, spec: "MaxMind DB File Format
 * Specification" 2.0), for tests that need databases with known contents. It writes what the
 * spec requires: a binary search tree of 32-bit records, the 16-byte data-section separator,
 * the data section (maps, strings, unsigned integers, doubles, booleans, arrays, with pointers
 * to share identical records) and the metadata map after `\xAB\xCD\xEFMaxMind.com`.
 *
 * Networks are inserted least specific first; a more specific one splits its parent's leaf.
 * IPv4 networks in an IPv6 tree go under ::/96, where readers look them up.
 */
import { parseCidr } from '../../shared/net/cidr.ts';

/** A value the data section can hold. */
export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

/** Options of {@link writeMmdb}. */
export interface MmdbWriterOptions {
  /** `GeoLite2-ASN`, `GeoLite2-City`, … (metadata `database_type`). Default `meshprobe-test`. */
  databaseType?: string;
  /** 4 or 6 (metadata `ip_version`). Default 6. */
  ipVersion?: 4 | 6;
  /** Metadata `build_epoch` in seconds. Default 0. */
  buildEpoch?: number;
}

type Child = TreeNode | { data: MmdbValue } | undefined;
interface TreeNode {
  left: Child;
  right: Child;
}

function isNode(c: Child): c is TreeNode {
  return c !== undefined && 'left' in c;
}

/** The bytes of an `.mmdb` file mapping each network (CIDR text) to its record. */
export function writeMmdb(networks: ReadonlyArray<readonly [string, MmdbValue]>, o: MmdbWriterOptions = {}): Buffer {
  const ipVersion = o.ipVersion ?? 6;
  const depth = ipVersion === 6 ? 128 : 32;
  const root: TreeNode = { left: undefined, right: undefined };
  for (const [cidr, data] of networks) {
    const r = parseCidr(cidr);
    if (!r.ok) throw new Error(`mmdb writer: ${r.message}`);
    const base = r.prefix.base;
    let bits = r.prefix.bits;
    if (r.prefix.family === 6 && ipVersion === 4) throw new Error(`mmdb writer: ${cidr} in an IPv4 tree`);
    if (r.prefix.family === 4 && ipVersion === 6) bits += 96;
    if (bits === 0) throw new Error('mmdb writer: a /0 network is not supported');
    let node = root;
    for (let i = 0; i < bits; i++) {
      const bit = Number((base >> BigInt(depth - 1 - i)) & 1n);
      const side = bit ? 'right' : 'left';
      if (i === bits - 1) {
        node[side] = { data };
        break;
      }
      const child = node[side];
      if (!isNode(child)) {
        // A leaf above a more specific network: both halves keep the leaf's data.
        node[side] = { left: child, right: child };
      }
      node = node[side] as TreeNode;
    }
  }
  // Number the nodes breadth first: the root is node 0.
  const nodes: TreeNode[] = [];
  const index = new Map<TreeNode, number>();
  const queue: TreeNode[] = [root];
  while (queue.length) {
    const n = queue.shift()!;
    if (index.has(n)) continue;
    index.set(n, nodes.length);
    nodes.push(n);
    for (const c of [n.left, n.right]) if (isNode(c)) queue.push(c);
  }
  const nodeCount = nodes.length;
  const data = new DataWriter();
  const dataOffsets = new Map<MmdbValue, number>();
  const record = (c: Child): number => {
    if (c === undefined) return nodeCount;
    if (isNode(c)) return index.get(c)!;
    let off = dataOffsets.get(c.data);
    if (off === undefined) {
      off = data.write(c.data);
      dataOffsets.set(c.data, off);
    }
    return nodeCount + 16 + off;
  };
  const tree = Buffer.alloc(nodeCount * 8);
  nodes.forEach((n, i) => {
    tree.writeUInt32BE(record(n.left), i * 8);
    tree.writeUInt32BE(record(n.right), i * 8 + 4);
  });
  const meta = new DataWriter();
  meta.write({
    node_count: nodeCount,
    record_size: 32,
    ip_version: ipVersion,
    database_type: o.databaseType ?? 'meshprobe-test',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: o.buildEpoch ?? 0,
    description: { en: 'written by test/helpers/mmdb-writer.ts' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), data.bytes(), Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), meta.bytes()]);
}

/** The data section's encoder (spec: "Output Data Section"). */
class DataWriter {
  #chunks: Buffer[] = [];
  #length = 0;

  /** Appends `v`; returns its offset. */
  write(v: MmdbValue): number {
    const at = this.#length;
    this.#value(v);
    return at;
  }

  bytes(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  #push(b: Buffer): void {
    this.#chunks.push(b);
    this.#length += b.length;
  }

  /** Control byte(s) for `type` (1–15) and `size`. */
  #control(type: number, size: number): void {
    const head: number[] = [];
    let sizeBits: number;
    const extra: number[] = [];
    if (size < 29) sizeBits = size;
    else if (size < 29 + 256) {
      sizeBits = 29;
      extra.push(size - 29);
    } else if (size < 285 + 65_536) {
      sizeBits = 30;
      const s = size - 285;
      extra.push(s >> 8, s & 0xff);
    } else {
      sizeBits = 31;
      const s = size - 65_821;
      extra.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
    }
    if (type <= 7) head.push((type << 5) | sizeBits);
    else head.push(sizeBits, type - 7);
    this.#push(Buffer.from([...head, ...extra]));
  }

  #value(v: MmdbValue): void {
    if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      this.#control(2, b.length);
      this.#push(b);
    } else if (typeof v === 'boolean') {
      this.#control(14, v ? 1 : 0);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff) {
        const bytes: number[] = [];
        for (let x = v; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
        this.#control(6, bytes.length);
        this.#push(Buffer.from(bytes));
      } else {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        this.#control(3, 8);
        this.#push(b);
      }
    } else if (Array.isArray(v)) {
      this.#control(11, v.length);
      for (const x of v) this.#value(x);
    } else {
      const entries = Object.entries(v);
      this.#control(7, entries.length);
      for (const [k, x] of entries) {
        this.#value(k);
        this.#value(x);
      }
    }
  }
}
