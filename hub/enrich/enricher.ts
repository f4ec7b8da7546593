/**
 * Enrichment on the hub (issue 16): every address the platform prints gets what the operator's
 * sources know of it (ASN, AS name, country, city, coordinates, special-range label, BGP prefix),
 * added to events as they pass (hop responders, a start's resolved address). Sources are
 * synchronous lookups in operator order (a field comes from the first source that has it); the
 * results are kept in a bounded LRU cache, so a hop seen in every round of a repeated trace is looked up once.
 * An event is never held back: a lookup is in-process and sub-microsecond (bench/), and a source
 * that throws is skipped.
 */
import type { AddressInfo } from '../../shared/net/address-info.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { specialRangeLabel } from '../../shared/net/special-ranges.ts';

/** One source of enrichment: a synchronous lookup (an mmdb reader, the BGP index, the labels). */
export interface AddressInfoSource {
  /** For logs and `ipinfo`'s answer. */
  readonly name: string;
  /** What the source knows of `address` (canonical text), or undefined. Must not throw for odd input. */
  lookup(address: string): AddressInfo | undefined;
  /**
   * For a source that answers later (an online provider): resolves once what it started for
   * `address` has ended, so a second lookup has the answer. Never rejects.
   */
  settle?(address: string): Promise<void>;
  /** For such a source: whether it is working on `address` now (a later lookup may know more). */
  isPending?(address: string): boolean;
}

/** The special-range labels (shared/net/special-ranges.ts) as a source. */
export const specialRangeSource: AddressInfoSource = {
  name: 'special-ranges',
  lookup(address) {
    const label = specialRangeLabel(address);
    return label ? { label } : undefined;
  },
};

/** Options of {@link Enricher}. */
export interface EnricherOptions {
  /** Sources in order of preference. Default: the special-range labels only. */
  sources?: AddressInfoSource[];
  /** Addresses whose answers are cached (LRU). Default 65,536. */
  cacheSize?: number;
}

/** Looks addresses up in the sources and adds the answers to events. */
export class Enricher {
  readonly #sources: AddressInfoSource[];
  readonly #cacheSize: number;
  readonly #cache = new Map<string, AddressInfo | null>();

  constructor(o: EnricherOptions = {}) {
    this.#sources = o.sources ?? [specialRangeSource];
    this.#cacheSize = Math.max(1, o.cacheSize ?? 65_536);
  }

  /** Everything the sources know of `address`, merged in order; undefined when nothing. */
  lookup(address: string): AddressInfo | undefined {
    const hit = this.#cache.get(address);
    if (hit !== undefined) {
      // LRU: a hit moves to the young end.
      this.#cache.delete(address);
      this.#cache.set(address, hit);
      return hit ?? undefined;
    }
    let merged: AddressInfo | undefined;
    for (const s of this.#sources) {
      let info: AddressInfo | undefined;
      try {
        info = s.lookup(address);
      } catch {
        continue;
      }
      if (info) merged = { ...info, ...merged };
    }
    if (this.#cache.size >= this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(address, merged ?? null);
    return merged;
  }

  /** Drops the cached answer for `address` (a source learnt more about it). */
  forget(address: string): void {
    this.#cache.delete(address);
  }

  /** Drops every cached answer (a database was reloaded). */
  clear(): void {
    this.#cache.clear();
  }

  /** The sources' names, in order (for `ipinfo`'s answer and logs). */
  get sourceNames(): string[] {
    return this.#sources.map((s) => s.name);
  }

  /**
   * What the sources know of `address`, after waiting (at most `timeoutMs`) for the sources that
   * answer later: `ipinfo ADDR`, where the user asked and waits for the answer.
   */
  async lookupSettled(address: string, timeoutMs = 3000): Promise<AddressInfo | undefined> {
    this.lookup(address);
    const waits = this.#sources.flatMap((s) => (s.settle ? [s.settle(address)] : []));
    if (waits.length) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(waits), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      this.forget(address);
    }
    return this.lookup(address);
  }

  /**
   * When a source that answers later is working on `address` now: resolves (within `timeoutMs`)
   * with what the sources know once it is done, for a stream to send as a late `info` event.
   * Undefined when no source is working on it (the answer already given is all there is).
   */
  later(address: string, timeoutMs = 3000): Promise<AddressInfo | undefined> | undefined {
    if (!this.#sources.some((s) => s.isPending?.(address))) return undefined;
    return this.lookupSettled(address, timeoutMs);
  }

  /** The addresses of `e` that enrichment looks up (a start's host, hop responders). */
  static addressesOf(e: MeasurementEvent): string[] {
    if (e.type === 'hop') return e.responders.map((r) => r.address);
    if (e.type === 'start' && !e.address.includes('/')) return [e.address];
    return [];
  }

  /** `e` with enrichment added to its addresses (a copy; the original is not changed). */
  enrich(e: MeasurementEvent): MeasurementEvent {
    if (e.type === 'hop') {
      if (e.responders.length === 0) return e;
      return {
        ...e,
        responders: e.responders.map((r) => {
          const info = this.lookup(r.address);
          return info ? { ...r, info } : r;
        }),
      };
    }
    // A start's address is a host's, or a sweep's prefix (not looked up).
    if (e.type === 'start' && !e.address.includes('/')) {
      const info = this.lookup(e.address);
      return info ? { ...e, info } : e;
    }
    return e;
  }
}
