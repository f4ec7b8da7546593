/**
 * A MaxMind-format database (`.mmdb`: GeoLite2 ASN/City/Country, DB-IP lite, IPinfo's free
 * files, @ip-location-db's) as an enrichment source (issue 16), read with the `maxmind` package's
 * reader. The file is read whole into memory (lookups are then in-process, no I/O), and re-read
 * when it changes on disk: a failed re-read keeps the database in use and logs one line.
 *
 * Records of the common layouts are mapped to AddressInfo: MaxMind/DB-IP
 * (`autonomous_system_number`, `country.iso_code`, `city.names.en`, `location.latitude`),
 * IPinfo (`asn: "AS15169"`, `as_name`, `country_code`) and ip-location-db (`country_code`, `city`,
 * `latitude`).
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Reader } from 'maxmind';
import type { AddressInfo } from '../../shared/net/address-info.ts';
import { saneAddressInfo } from '../../shared/net/address-info.ts';
import type { AddressInfoSource } from './enricher.ts';

/** Options of {@link MmdbSource}. */
export interface MmdbSourceOptions {
  /** How often the file's modification time is checked, in ms; 0 = never re-read. Default 5000. */
  watchIntervalMs?: number;
  /** Where a failed re-read is reported. Default nowhere. */
  log?: (line: string) => void;
  /** Called after the file was re-read (tests wait on it; the enricher clears its cache). */
  onReload?: () => void;
}

type Json = Record<string, unknown>;

/** One `.mmdb` file, looked up synchronously. */
export class MmdbSource implements AddressInfoSource {
  readonly name: string;
  readonly path: string;
  #reader: Reader<Json>;
  readonly #watching: boolean;
  #mapped = new WeakMap<object, AddressInfo | null>();

  /** Opens `path`; throws an Error whose message is one line naming the file when it is no MMDB. */
  constructor(path: string, o: MmdbSourceOptions = {}) {
    this.path = path;
    this.#reader = MmdbSource.#read(path);
    this.name = `mmdb:${this.#reader.metadata.databaseType}`;
    const interval = o.watchIntervalMs ?? 5000;
    this.#watching = interval > 0;
    if (this.#watching) {
      // Non-persistent: a watched file never keeps the process alive.
      watchFile(path, { interval, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
        if (cur.nlink === 0 && cur.size === 0) return;
        try {
          this.#reader = MmdbSource.#read(path);
          o.onReload?.();
        } catch (err) {
          o.log?.(`enrich: ${path} changed but cannot be read (${(err as Error).message}); keeping the previous copy`);
        }
      });
    }
  }

  static #read(path: string): Reader<Json> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the MMDB file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      // Decoded records cached by their offset (as the maxmind package does), so one network's
      // record is decoded once and comes back as the same object.
      const cache = new Map<number, unknown>();
      return new Reader<Json>(bytes, {
        cache: {
          get: (k: number) => cache.get(k),
          set: (k: number, v: unknown) => {
            if (cache.size >= 10_000) cache.delete(cache.keys().next().value!);
            cache.set(k, v);
          },
        },
      });
    } catch (err) {
      throw new Error(`${path} is not a MaxMind DB file: ${String((err as Error).message).split('\n')[0]}`);
    }
  }

  /** The database's metadata type (`GeoLite2-ASN`, …). */
  get databaseType(): string {
    return this.#reader.metadata.databaseType;
  }

  lookup(address: string): AddressInfo | undefined {
    let rec: Json | null;
    try {
      rec = this.#reader.get(address);
    } catch {
      return undefined;
    }
    if (!rec) return undefined;
    // The same record object (from the reader's cache) maps to the same answer.
    let info = this.#mapped.get(rec);
    if (info === undefined) {
      info = mmdbRecordInfo(rec) ?? null;
      this.#mapped.set(rec, info);
    }
    return info ?? undefined;
  }

  /** Stops watching the file. */
  close(): void {
    if (this.#watching) unwatchFile(this.path);
  }
}

/** The AddressInfo in one record of the common MMDB layouts (bounded and cleaned by saneAddressInfo). */
export function mmdbRecordInfo(r: Json): AddressInfo | undefined {
  const get = (o: unknown, ...keys: string[]): unknown => {
    let v = o;
    for (const k of keys) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Json)[k];
    }
    return v;
  };
  const first = (...vs: unknown[]) => vs.find((v) => v !== undefined && v !== null && v !== '');
  let asn = first(r['autonomous_system_number'], r['asn']);
  if (typeof asn === 'string') {
    // IPinfo writes `AS15169`.
    const m = /^(?:AS)?(\d{1,10})$/i.exec(asn);
    asn = m ? Number(m[1]) : undefined;
  }
  const country = first(get(r, 'country', 'iso_code'), r['country_code'], typeof r['country'] === 'string' && r['country'].length === 2 ? r['country'] : undefined);
  const city = first(get(r, 'city', 'names', 'en'), typeof r['city'] === 'string' ? r['city'] : undefined);
  return saneAddressInfo({
    asn,
    asName: first(r['autonomous_system_organization'], r['as_name'], r['asn_name'], r['organization']),
    country: typeof country === 'string' ? country.toUpperCase() : country,
    city,
    lat: first(get(r, 'location', 'latitude'), r['latitude']),
    lon: first(get(r, 'location', 'longitude'), r['longitude']),
  });
}
