/**
 * The bundled offline default of enrichment (issue 16): ASN and AS name from the
 * `@ip-location-db/asn` package (an optional dependency; data by RouteViews and DB-IP, CC BY 4.0,
 * attribution in docs/operations.md). Its files are CSV, not MMDB (the registry has no ASN MMDB
 * of ip-location-db), so they are loaded here into sorted typed arrays: ~410k IPv4 and ~100k
 * IPv6 ranges, ~12 MB, binary-searched per lookup.
 *
 * Loading takes a few seconds of CPU, so it starts at the first lookup of a public address (a
 * hub that only ever sees private or loopback addresses never pays it) and runs in the background
 * (chunked, yielding to the event loop); lookups answer nothing until it is done, so the hub's
 * start and the first lines of output are never delayed.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AddressInfo } from '../../shared/net/address-info.ts';
import { parseIp } from '../../shared/net/ip-address.ts';
import { specialRangeLabel } from '../../shared/net/special-ranges.ts';
import type { AddressInfoSource } from './enricher.ts';

/** The package the bundled default reads. */
export const BUNDLED_ASN_PACKAGE = '@ip-location-db/asn';

/** The package's directory, or undefined when it is not installed. */
export function bundledAsnDirectory(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    return dirname(req.resolve(`${BUNDLED_ASN_PACKAGE}/package.json`));
  } catch {
    return undefined;
  }
}

/** Ranges of one family, sorted by start; `hi`/`lo` split IPv6's 128 bits. */
interface Table {
  startHi: BigUint64Array;
  startLo: BigUint64Array;
  endHi: BigUint64Array;
  endLo: BigUint64Array;
  asn: Uint32Array;
  name: Uint32Array;
  length: number;
}

const MASK64 = (1n << 64n) - 1n;

/**
 * ASN lookups from the CSV files `asn-ipv4.csv` and `asn-ipv6.csv` (`first,last,asn,name`) of a
 * directory laid out as the package is.
 */
export class BundledAsnSource implements AddressInfoSource {
  readonly name = 'bundled:ip-location-db-asn';
  readonly directory: string;
  #ready: Promise<void> | undefined;
  /** Why loading failed, when it did. */
  error: string | undefined;
  #v4: Table | undefined;
  #v6: Table | undefined;
  #names: string[] = [];

  readonly #onLoaded: ((error: string | undefined) => void) | undefined;

  /** `onLoaded` is called once the files are read (with the reason when they could not be). */
  constructor(directory: string, onLoaded?: (error: string | undefined) => void) {
    this.directory = directory;
    this.#onLoaded = onLoaded;
  }

  /** Starts loading (if not yet); resolves when both files are loaded or failed to (see `error`). */
  load(): Promise<void> {
    this.#ready ??= this.#load().then(
      () => this.#onLoaded?.(undefined),
      (err: unknown) => {
        this.error = err instanceof Error ? err.message : String(err);
        this.#onLoaded?.(this.error);
      },
    );
    return this.#ready;
  }

  /** Ranges loaded (both families). */
  get size(): number {
    return (this.#v4?.length ?? 0) + (this.#v6?.length ?? 0);
  }

  async #load(): Promise<void> {
    const names = new Map<string, number>();
    for (const family of [4, 6] as const) {
      const file = join(this.directory, `asn-ipv${family}.csv`);
      if (!existsSync(file)) throw new Error(`${file} is missing`);
      const t = await readTable(file, family, names);
      if (family === 4) this.#v4 = t;
      else this.#v6 = t;
    }
    this.#names = [...names.keys()];
  }

  lookup(address: string): AddressInfo | undefined {
    const ip = parseIp(address);
    if (!ip) return undefined;
    if (!this.#ready) {
      if (specialRangeLabel(address) !== undefined) return undefined;
      void this.load();
    }
    const t = ip.family === 4 ? this.#v4 : this.#v6;
    if (!t || t.length === 0) return undefined;
    const v = ip.value;
    const hi = v >> 64n;
    const lo = v & MASK64;
    // The last range starting at or before v.
    let a = 0;
    let b = t.length - 1;
    let found = -1;
    while (a <= b) {
      const m = (a + b) >>> 1;
      const sh = t.startHi[m]!;
      const le = sh < hi || (sh === hi && t.startLo[m]! <= lo);
      if (le) {
        found = m;
        a = m + 1;
      } else b = m - 1;
    }
    if (found < 0) return undefined;
    const eh = t.endHi[found]!;
    if (eh < hi || (eh === hi && t.endLo[found]! < lo)) return undefined;
    const asn = t.asn[found]!;
    if (asn === 0) return undefined;
    const asName = this.#names[t.name[found]!];
    return asName ? { asn, asName } : { asn };
  }
}

/** One CSV file into a table; names are interned in `names`. */
async function readTable(file: string, family: 4 | 6, names: Map<string, number>): Promise<Table> {
  let cap = 1024;
  let n = 0;
  let t = alloc(cap);
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let sinceYield = 0;
  for await (const line of lines) {
    if (!line) continue;
    const row = parseCsvLine(line);
    if (row.length < 3) continue;
    const first = parseIp(row[0]!);
    const last = parseIp(row[1]!);
    const asn = Number(row[2]);
    if (!first || !last || first.family !== family || last.family !== family || !Number.isInteger(asn) || asn < 0 || asn > 0xffff_ffff) continue;
    if (n === cap) {
      cap *= 2;
      t = grow(t, cap);
    }
    t.startHi[n] = first.value >> 64n;
    t.startLo[n] = first.value & MASK64;
    t.endHi[n] = last.value >> 64n;
    t.endLo[n] = last.value & MASK64;
    t.asn[n] = asn;
    const name = row[3] ?? '';
    let id = names.get(name);
    if (id === undefined) {
      id = names.size;
      names.set(name, id);
    }
    t.name[n] = id;
    n++;
    // Let the hub serve requests while a few hundred thousand lines are read.
    if (++sinceYield === 20_000) {
      sinceYield = 0;
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  const out = grow(t, n);
  out.length = n;
  return out;
}

function alloc(cap: number): Table {
  return {
    startHi: new BigUint64Array(cap),
    startLo: new BigUint64Array(cap),
    endHi: new BigUint64Array(cap),
    endLo: new BigUint64Array(cap),
    asn: new Uint32Array(cap),
    name: new Uint32Array(cap),
    length: 0,
  };
}

function grow(t: Table, cap: number): Table {
  const u = alloc(cap);
  const n = Math.min(cap, t.startHi.length);
  u.startHi.set(t.startHi.subarray(0, n));
  u.startLo.set(t.startLo.subarray(0, n));
  u.endHi.set(t.endHi.subarray(0, n));
  u.endLo.set(t.endLo.subarray(0, n));
  u.asn.set(t.asn.subarray(0, n));
  u.name.set(t.name.subarray(0, n));
  return u;
}

/** One CSV line (RFC 4180 quoting, `""` inside quotes). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      const comma = line.indexOf(',', i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}
