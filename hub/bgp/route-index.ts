/**
 * The BGP table in the hub's SQLite store (issue 16): imported from MRT TABLE_DUMP_V2 dumps
 * (hub/bgp/mrt-reader.ts), looked up by address (longest-prefix match), by prefix, by origin AS,
 * by neighbour AS (the AS the route was learnt from: the first of its path) and by AS-path
 * segment. Schema and why it is laid out so: hub/store/migrations.ts step 2.
 *
 * An import streams the dumps into a staging table in transactions of a few thousand rows (so
 * the monitors' writes on the same file interleave, and memory stays bounded whatever the table's
 * size), then swaps it in with one short transaction. A dump that is truncated or malformed drops
 * the staging table: the table in use stays as it was, never half-imported.
 *
 * It has a connection of its own to `<dataDir>/meshprobe.db` (WAL: readers never wait on the
 * monitors' writer).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { AddressInfo } from '../../shared/net/address-info.ts';
import { parseCidr } from '../../shared/net/cidr.ts';
import { parseIp } from '../../shared/net/ip-address.ts';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../store/sqlite-store.ts';
import { storeError } from '../store/store-error.ts';
import type { AddressInfoSource } from '../enrich/enricher.ts';
import { MrtError, openDump, readMrt, type MrtPeer } from './mrt-reader.ts';

/** One route as answered: what `route …` prints and the API streams. */
export interface BgpRoute {
  prefix: string;
  originAs: number | null;
  /** The AS path, space-separated; an AS_SET as `{a,b}`. */
  asPath: string;
  nextHop: string | null;
  peer: string;
  peerAs: number;
  /** RFC 8050 path identifier (0 without add-path). */
  pathId: number;
  /** When the peer received it (ISO 8601). */
  originatedAt: string;
}

/** What is loaded. */
export interface BgpTableStatus {
  files: string[];
  importedAt: number;
  /** The dump's own time (its first record), ms since the epoch. */
  dumpedAt: number | null;
  routes: number;
  prefixes: number;
  peers: number;
}

/** Progress of an import: bytes of the files read so far and routes staged. */
export interface ImportProgress {
  file: string;
  routes: number;
  bytesRead: number;
  bytesTotal: number;
}

/** Options of {@link RouteIndex.import}. */
export interface ImportOptions {
  /** Called every `everyRoutes` routes and at the end. */
  progress?: (p: ImportProgress) => void;
  /** Rows per transaction. Default 5000. */
  batch?: number;
  /** Import even when the same files (path, size, mtime) are loaded already. Default false. */
  force?: boolean;
}

const MAX_ANSWER = 10_000;

/** The family byte, length byte and network bytes of a prefix. */
function prefixKey(family: 4 | 6, network: bigint, length: number): Uint8Array {
  const n = family === 4 ? 4 : 16;
  const b = new Uint8Array(2 + n);
  b[0] = family;
  b[1] = length;
  let v = network;
  for (let i = n - 1; i >= 0; i--, v >>= 8n) b[2 + i] = Number(v & 0xffn);
  return b;
}

function signatureOf(files: readonly string[]): string {
  return files
    .map((f) => {
      const s = statSync(f);
      return `${f}:${s.size}:${Math.trunc(s.mtimeMs)}`;
    })
    .join('|');
}

/** A growable list of 32-bit numbers (4 bytes each, not a JS array's 8 or more). */
class U32List {
  #a = new Uint32Array(1024);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#a.length) {
      const b = new Uint32Array(this.#a.length * 2);
      b.set(this.#a);
      this.#a = b;
    }
    this.#a[this.#n++] = v;
  }
  /** The values, sorted, in an array of their own size. */
  sorted(): Uint32Array {
    return this.#a.slice(0, this.#n).sort();
  }
}

/** `a` (sorted) without repeats. */
function dedupe(a: Uint32Array): Uint32Array {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) a[n++] = a[i]!;
  return n === a.length ? a : a.slice(0, n);
}

/** The hub's BGP table. */
export class RouteIndex {
  readonly file: string;
  readonly #db: DatabaseSync;
  #peers: MrtPeer[] = [];
  #lengths: { 4: number[]; 6: number[] } = { 4: [], 6: [] };
  #status: BgpTableStatus | undefined;
  #byKey: StatementSync;
  /** The longest-match statement, by the number of prefix lengths present (IPv6). */
  readonly #longest = new Map<number, StatementSync>();
  /**
   * The IPv4 networks present, per prefix length, sorted: the longest match of an address is a
   * binary search per length in memory, then one indexed read of its routes. Four bytes a
   * prefix (4 MB for a full table), rebuilt from the table when it is opened or replaced.
   */
  #v4 = new Map<number, Uint32Array>();
  #importing = false;

  /** Opens the store of `dataDir` (creating and migrating it when needed). Throws MP_ERR_STORE. */
  static open(dataDir: string): RouteIndex {
    // The monitor store owns the schema: opening it applies the migrations.
    openSqliteStore(dataDir).close();
    const file = join(dataDir, STORE_FILE_NAME);
    let db: DatabaseSync;
    try {
      db = new DatabaseSync(file);
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
    } catch (err) {
      throw storeError(file, 'opening the BGP table', err);
    }
    return new RouteIndex(db, file);
  }

  private constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.file = file;
    this.#byKey = db.prepare('SELECT * FROM bgp_routes WHERE key = ? ORDER BY peer, path_id LIMIT 10000');
    this.#readStatus();
    this.#loadV4();
  }

  /** Reads the IPv4 networks of every length present into {@link #v4} (keys sort by family, length, network). */
  #loadV4(): void {
    const v4 = new Map<number, Uint32Array>();
    if (this.#status) {
      const stmt = this.#db.prepare('SELECT DISTINCT key FROM bgp_routes WHERE key >= ? AND key < ? ORDER BY key');
      for (const len of this.#lengths[4]) {
        const nets = new U32List();
        for (const row of stmt.iterate(Uint8Array.of(4, len), Uint8Array.of(4, len + 1)) as Iterable<{ key: Uint8Array }>) {
          const k = row.key;
          nets.push(((k[2]! << 24) | (k[3]! << 16) | (k[4]! << 8) | k[5]!) >>> 0);
        }
        v4.set(len, nets.sorted());
      }
    }
    this.#v4 = v4;
  }

  /** The key of the longest IPv4 prefix present that covers `a`, or undefined. */
  #longestV4(a: number): Uint8Array | undefined {
    for (const len of this.#lengths[4]) {
      const nets = this.#v4.get(len);
      if (!nets) continue;
      const net = len === 0 ? 0 : ((a >>> (32 - len)) << (32 - len)) >>> 0;
      let lo = 0;
      let hi = nets.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = nets[mid]!;
        if (v === net) return Uint8Array.of(4, len, net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255);
        if (v < net) lo = mid + 1;
        else hi = mid - 1;
      }
    }
    return undefined;
  }

  #readStatus(): void {
    const row = this.#db.prepare('SELECT * FROM bgp_table WHERE id = 1').get() as Record<string, unknown> | undefined;
    if (!row) {
      this.#status = undefined;
      this.#peers = [];
      this.#lengths = { 4: [], 6: [] };
      return;
    }
    this.#peers = JSON.parse(String(row['peers'])) as MrtPeer[];
    this.#lengths = JSON.parse(String(row['lengths'])) as { 4: number[]; 6: number[] };
    this.#status = {
      files: JSON.parse(String(row['files'])) as string[],
      importedAt: Number(row['imported_at']),
      dumpedAt: row['dumped_at'] === null ? null : Number(row['dumped_at']),
      routes: Number(row['routes']),
      prefixes: Number(row['prefixes']),
      peers: this.#peers.length,
    };
  }

  /** What is loaded, or undefined when no table is. */
  get status(): BgpTableStatus | undefined {
    return this.#status;
  }

  /**
   * Imports `files` (MRT TABLE_DUMP_V2, plain, gzip or bzip2) as the one table in use, replacing
   * the previous one only once every file was read whole. Resolves with the new status, or with
   * the old one when the same files are loaded already. Rejects with a one-line MrtError or
   * MP_ERR_STORE; the table in use is then unchanged.
   */
  async import(files: readonly string[], o: ImportOptions = {}): Promise<BgpTableStatus> {
    if (this.#importing) throw new MeshprobeError(ErrorCode.LimitReached, 'an MRT import is running already');
    this.#importing = true;
    const gen = Date.now();
    const staging = `bgp_routes_next`;
    try {
      let signature: string;
      try {
        signature = signatureOf(files);
      } catch (err) {
        throw new MrtError(`cannot read the MRT file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (${(err as NodeJS.ErrnoException).path ?? files.join(', ')})`);
      }
      const current = this.#db.prepare('SELECT signature FROM bgp_table WHERE id = 1').get() as { signature: string } | undefined;
      if (!o.force && current?.signature === signature && this.#status) return this.#status;
      this.#db.exec(`DROP TABLE IF EXISTS ${staging}`);
      this.#db.exec(`CREATE TABLE ${staging} AS SELECT * FROM bgp_routes WHERE 0`);
      this.#db.exec(`CREATE INDEX bgp_routes_key_g${gen} ON ${staging} (key)`);
      this.#db.exec(`CREATE INDEX bgp_routes_origin_g${gen} ON ${staging} (origin_as)`);
      this.#db.exec(`CREATE INDEX bgp_routes_first_g${gen} ON ${staging} (first_as)`);
      const insert = this.#db.prepare(`INSERT INTO ${staging} (key, prefix, peer, path_id, origin_as, first_as, as_path, next_hop, originated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      const batch = Math.max(1, o.batch ?? 20_000);
      // The staging table is dropped whenever an import fails, so its batches need no fsync each;
      // the swap below runs with FULL again. A larger page cache keeps the indexes' hot pages in
      // memory (64 MiB: bounded, whatever the table's size).
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#db.exec('PRAGMA cache_size = -65536');
      const peers: MrtPeer[] = [];
      const lengths = { 4: new Set<number>(), 6: new Set<number>() };
      // The IPv4 networks for the in-memory longest match, gathered as they stream by (4 bytes each).
      const v4Lists = new Map<number, U32List>();
      let routes = 0;
      let prefixes = 0;
      let lastPrefix = '';
      let dumpedAt: number | null = null;
      for (const file of files) {
        const total = statSync(file).size;
        const raw = await openDump(file);
        let bytesRead = 0;
        // Progress counts the file's bytes as read from disk (a compressed file's too).
        const counted = (async function* () {
          for await (const chunk of raw) {
            bytesRead = Math.min(total, bytesRead + (chunk as Buffer).length);
            yield chunk as Buffer;
          }
        })();
        let base = peers.length;
        let pending = 0;
        this.#db.exec('BEGIN');
        try {
          for await (const item of readMrt(counted)) {
            if (item.kind === 'peers') {
              base = peers.length;
              peers.push(...item.peers);
              dumpedAt ??= item.time * 1000;
              continue;
            }
            const r = item.route;
            if (r.prefix !== lastPrefix) {
              prefixes++;
              lastPrefix = r.prefix;
              lengths[r.family].add(r.length);
              if (r.family === 4) {
                let list = v4Lists.get(r.length);
                if (!list) v4Lists.set(r.length, (list = new U32List()));
                list.push(Number(r.network));
              }
            }
            const first = r.asPath.length && /^\d+$/.test(r.asPath[0]!) ? Number(r.asPath[0]) : null;
            insert.run(prefixKey(r.family, r.network, r.length), r.prefix, base + r.peer, r.pathId, r.originAs ?? null, first, ` ${r.asPath.join(' ')} `, r.nextHop ?? null, r.originated);
            routes++;
            if (++pending >= batch) {
              this.#db.exec('COMMIT');
              pending = 0;
              o.progress?.({ file, routes, bytesRead, bytesTotal: total });
              // Let the hub serve requests (and the monitors write) between batches.
              await new Promise<void>((r) => setImmediate(r));
              this.#db.exec('BEGIN');
            }
          }
          this.#db.exec('COMMIT');
        } catch (err) {
          if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
          raw.destroy();
          if (err instanceof MrtError) throw new MrtError(`${file}: ${err.message}`);
          if ((err as { code?: string }).code === 'Z_BUF_ERROR' || /unexpected end of file/.test(String((err as Error).message))) {
            throw new MrtError(`${file}: the dump is truncated: the gzip stream ends early`);
          }
          throw err;
        }
        o.progress?.({ file, routes, bytesRead: total, bytesTotal: total });
        if (peers.length === 0) throw new MrtError(`${file}: no TABLE_DUMP_V2 peer table: not a RIB dump`);
      }
      const sorted = (s: Set<number>) => [...s].sort((a, b) => b - a);
      this.#db.exec('PRAGMA synchronous = FULL');
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        // The old table's indexes go with it; the staging table's keep their generation's names.
        this.#db.exec('DROP TABLE bgp_routes');
        this.#db.exec(`ALTER TABLE ${staging} RENAME TO bgp_routes`);
        this.#db
          .prepare(
            `INSERT INTO bgp_table (id, files, signature, imported_at, dumped_at, routes, prefixes, peers, lengths) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET files = excluded.files, signature = excluded.signature, imported_at = excluded.imported_at, dumped_at = excluded.dumped_at,
               routes = excluded.routes, prefixes = excluded.prefixes, peers = excluded.peers, lengths = excluded.lengths`,
          )
          .run(JSON.stringify(files), signature, Date.now(), dumpedAt, routes, prefixes, JSON.stringify(peers), JSON.stringify({ 4: sorted(lengths[4]), 6: sorted(lengths[6]) }));
        this.#db.exec('COMMIT');
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
      this.#byKey = this.#db.prepare('SELECT * FROM bgp_routes WHERE key = ? ORDER BY peer, path_id LIMIT 10000');
      this.#longest.clear();
      this.#readStatus();
      // A prefix seen twice (in two files, or apart in one) is kept once.
      this.#v4 = new Map([...v4Lists].map(([len, list]) => [len, dedupe(list.sorted())]));
      // The import went through the WAL; fold it into the file and shrink it.
      try {
        this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } catch {
        // Busy readers: SQLite checkpoints later by itself.
      }
      return this.#status!;
    } catch (err) {
      try {
        this.#db.exec(`DROP TABLE IF EXISTS ${staging}`);
      } catch {
        // The first error is the one to report.
      }
      if (err instanceof MrtError || err instanceof MeshprobeError) throw err;
      throw storeError(this.file, 'importing the MRT dump', err);
    } finally {
      this.#importing = false;
      try {
        this.#db.exec('PRAGMA synchronous = FULL');
        this.#db.exec('PRAGMA cache_size = -2000');
      } catch {
        // closed meanwhile
      }
    }
  }

  #rows(rows: Record<string, unknown>[]): BgpRoute[] {
    return rows.map((r) => {
      const peer = this.#peers[Number(r['peer'])];
      return {
        prefix: String(r['prefix']),
        originAs: r['origin_as'] === null ? null : Number(r['origin_as']),
        asPath: String(r['as_path']).trim(),
        nextHop: r['next_hop'] === null ? null : String(r['next_hop']),
        peer: peer?.address ?? '?',
        peerAs: peer?.asn ?? 0,
        pathId: Number(r['path_id']),
        originatedAt: new Date(Number(r['originated']) * 1000).toISOString(),
      };
    });
  }

  /**
   * The routes of the longest prefix covering `address` (every peer's), or [] when none. IPv4:
   * a binary search per length present in the networks held in memory, longest first, then one
   * indexed read (bench/mrt-import.ts: p99 from 0.4 to ~0.05 ms on a 1M-prefix table). IPv6: one
   * query finds the longest key among the candidates of every length present (keys sort by
   * family, then length: the greatest is the longest match), a second reads its routes.
   */
  lookupAddress(address: string): BgpRoute[] {
    const ip = parseIp(address);
    if (!ip || !this.#status) return [];
    const bits = ip.family === 4 ? 32 : 128;
    const lengths = this.#lengths[ip.family];
    if (!lengths.length) return [];
    if (ip.family === 4) {
      const key = this.#longestV4(Number(ip.value));
      return key ? this.#rows(this.#byKey.all(key) as Record<string, unknown>[]) : [];
    }
    const keys = lengths.map((len) => prefixKey(ip.family, len === 0 ? 0n : (ip.value >> BigInt(bits - len)) << BigInt(bits - len), len));
    let stmt = this.#longest.get(keys.length);
    if (!stmt) {
      stmt = this.#db.prepare(`SELECT key FROM bgp_routes WHERE key IN (${keys.map(() => '?').join(',')}) ORDER BY key DESC LIMIT 1`);
      this.#longest.set(keys.length, stmt);
    }
    const hit = stmt.get(...keys) as { key: Uint8Array } | undefined;
    return hit ? this.#rows(this.#byKey.all(hit.key) as Record<string, unknown>[]) : [];
  }

  /** The routes of exactly `prefix`, or else of the longest prefix covering it. */
  lookupPrefix(prefix: string): BgpRoute[] {
    const r = parseCidr(prefix);
    if (!r.ok || !this.#status) return [];
    const { family, base, bits } = r.prefix;
    const width = family === 4 ? 32 : 128;
    for (const len of this.#lengths[family]) {
      if (len > bits) continue;
      const net = len === 0 ? 0n : (base >> BigInt(width - len)) << BigInt(width - len);
      const rows = this.#byKey.all(prefixKey(family, net, len)) as Record<string, unknown>[];
      if (rows.length) return this.#rows(rows);
    }
    return [];
  }

  /** Routes originated by `asn`, at most `limit` (and at most 10,000). */
  byOrigin(asn: number, limit = 1000): BgpRoute[] {
    return this.#rows(this.#db.prepare('SELECT * FROM bgp_routes WHERE origin_as = ? ORDER BY key, peer LIMIT ?').all(asn, Math.min(limit, MAX_ANSWER)) as Record<string, unknown>[]);
  }

  /** Routes learnt from `asn` (the first AS of their path), at most `limit`. */
  byNeighbor(asn: number, limit = 1000): BgpRoute[] {
    return this.#rows(this.#db.prepare('SELECT * FROM bgp_routes WHERE first_as = ? ORDER BY key, peer LIMIT ?').all(asn, Math.min(limit, MAX_ANSWER)) as Record<string, unknown>[]);
  }

  /**
   * Routes whose AS path holds `segment` (consecutive ASNs, in order), at most `limit`. A scan of
   * the table, narrowed by the index when the segment ends at the origin or starts at the neighbour.
   */
  byPath(segment: readonly number[], limit = 1000): BgpRoute[] {
    if (!segment.length) return [];
    const like = `% ${segment.join(' ')} %`;
    return this.#rows(this.#db.prepare('SELECT * FROM bgp_routes WHERE as_path LIKE ? LIMIT ?').all(like, Math.min(limit, MAX_ANSWER)) as Record<string, unknown>[]);
  }

  /**
   * The covering prefix and origin AS of `address` as an enrichment source: the origin most
   * peers have (ties: the lowest AS).
   */
  info(address: string): AddressInfo | undefined {
    const routes = this.lookupAddress(address);
    if (!routes.length) return undefined;
    const votes = new Map<number, number>();
    for (const r of routes) if (r.originAs !== null) votes.set(r.originAs, (votes.get(r.originAs) ?? 0) + 1);
    const best = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    return best ? { prefix: routes[0]!.prefix, originAsn: best[0] } : { prefix: routes[0]!.prefix };
  }

  /** This index as an enrichment source (`bgp` in MESHPROBE_ENRICH_SOURCES). */
  source(): AddressInfoSource {
    return { name: 'bgp', lookup: (a) => this.info(a) };
  }

  close(): void {
    try {
      this.#db.close();
    } catch {
      // closed already
    }
  }
}
