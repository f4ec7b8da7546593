/**
 * Online enrichment providers (issue 16): ipinfo.io, ip2location.io and ipregistry.co, each with
 * the operator's key, off unless that key is set. A lookup never waits for the network: it
 * answers from a bounded cache (size and TTL) and, on a miss, starts one request in the
 * background within a rate limit; when the answer arrives the enricher forgets its merged entry
 * for that address, so the next event that carries it (the next round of a repeated trace, the next trace, a
 * `ipinfo` query) shows it. `ipinfo ADDR` waits for it ({@link OnlineSource.settle}).
 *
 * Special-range addresses (RFC 1918, loopback, …) are never sent to a provider.
 */
import type { AddressInfo } from '../../shared/net/address-info.ts';
import { saneAddressInfo } from '../../shared/net/address-info.ts';
import { specialRangeLabel } from '../../shared/net/special-ranges.ts';
import { TokenBuckets } from '../../shared/model/token-buckets.ts';
import type { AddressInfoSource } from './enricher.ts';

/** A provider: how to ask it about one address, and how to read its answer. */
export interface OnlineProvider {
  readonly name: 'ipinfo' | 'ip2location' | 'ipregistry';
  /** The request URL for `address` (key included, as the provider documents). */
  url(address: string): string;
  /** Headers of the request (ipinfo takes its token as a bearer). */
  headers(): Record<string, string>;
  /** The AddressInfo in the provider's documented JSON answer. */
  parse(body: unknown): AddressInfo | undefined;
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});
const asnOf = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  const m = typeof v === 'string' ? /^(?:AS)?(\d{1,10})\b/i.exec(v.trim()) : null;
  return m ? Number(m[1]) : undefined;
};

/**
 * ipinfo.io: `GET /{ip}` with `Authorization: Bearer TOKEN`; answer
 * `{ ip, city, region, country, loc: "lat,lon", org: "AS15169 Google LLC" }` (or `bogon: true`).
 */
export function ipinfoProvider(token: string, baseUrl = 'https://ipinfo.io'): OnlineProvider {
  return {
    name: 'ipinfo',
    url: (a) => `${baseUrl}/${encodeURIComponent(a)}/json`,
    headers: () => ({ authorization: `Bearer ${token}`, accept: 'application/json' }),
    parse(body) {
      const b = obj(body);
      if (b['bogon'] === true) return undefined;
      const org = typeof b['org'] === 'string' ? b['org'] : '';
      const m = /^AS(\d{1,10})\s+(.*)$/.exec(org);
      const [lat, lon] = typeof b['loc'] === 'string' ? b['loc'].split(',').map(Number) : [];
      return saneAddressInfo({ asn: m ? Number(m[1]) : undefined, asName: m?.[2], country: b['country'], city: b['city'], lat, lon });
    },
  };
}

/**
 * ip2location.io: `GET /?key=KEY&ip=IP`; answer
 * `{ ip, country_code, city_name, latitude, longitude, asn: "15169", as: "Google LLC" }`.
 */
export function ip2locationProvider(key: string, baseUrl = 'https://api.ip2location.io'): OnlineProvider {
  return {
    name: 'ip2location',
    url: (a) => `${baseUrl}/?key=${encodeURIComponent(key)}&ip=${encodeURIComponent(a)}&format=json`,
    headers: () => ({ accept: 'application/json' }),
    parse(body) {
      const b = obj(body);
      const city = b['city_name'] === '-' ? undefined : b['city_name'];
      const country = b['country_code'] === '-' ? undefined : b['country_code'];
      return saneAddressInfo({ asn: asnOf(b['asn']), asName: b['as'] === '-' ? undefined : b['as'], country, city, lat: b['latitude'], lon: b['longitude'] });
    },
  };
}

/**
 * ipregistry.co: `GET /{ip}?key=KEY`; answer
 * `{ ip, connection: { asn, organization, route }, location: { country: { code }, city, latitude, longitude } }`.
 */
export function ipregistryProvider(key: string, baseUrl = 'https://api.ipregistry.co'): OnlineProvider {
  return {
    name: 'ipregistry',
    url: (a) => `${baseUrl}/${encodeURIComponent(a)}?key=${encodeURIComponent(key)}`,
    headers: () => ({ accept: 'application/json' }),
    parse(body) {
      const b = obj(body);
      const c = obj(b['connection']);
      const l = obj(b['location']);
      return saneAddressInfo({
        asn: asnOf(c['asn']),
        asName: c['organization'],
        country: obj(l['country'])['code'],
        city: l['city'],
        lat: l['latitude'],
        lon: l['longitude'],
      });
    },
  };
}

/** Options of {@link OnlineSource}. */
export interface OnlineSourceOptions {
  /** Addresses whose answers are kept (LRU). Default 10,000. */
  cacheSize?: number;
  /** How long an answer (or "nothing known") is kept, in ms. Default 24 h. */
  ttlMs?: number;
  /** Requests per second to the provider (burst 2×). Default 2. */
  ratePerS?: number;
  /** Requests in flight at most. Default 4. */
  maxInFlight?: number;
  /** One request's deadline in ms. Default 5000. */
  timeoutMs?: number;
  /** Called when an answer for `address` arrived (the enricher forgets its entry). */
  onAnswer?: (address: string) => void;
  /** Where refusals of the provider are reported (at most one line a minute). Default nowhere. */
  log?: (line: string) => void;
  /** The clock, in ms. Default Date.now. */
  now?: () => number;
}

/** One online provider behind a cache and a rate limit, as a synchronous source. */
export class OnlineSource implements AddressInfoSource {
  readonly name: string;
  readonly #p: OnlineProvider;
  readonly #cache = new Map<string, { info: AddressInfo | undefined; expires: number }>();
  readonly #pending = new Map<string, Promise<void>>();
  readonly #bucket: TokenBuckets;
  readonly #o: Required<Omit<OnlineSourceOptions, 'onAnswer' | 'log'>> & Pick<OnlineSourceOptions, 'onAnswer' | 'log'>;
  #pausedUntil = 0;
  #loggedAt = -Infinity;
  /** Requests sent (for tests and metrics). */
  requests = 0;

  constructor(provider: OnlineProvider, o: OnlineSourceOptions = {}) {
    this.#p = provider;
    this.name = `online:${provider.name}`;
    this.#o = {
      cacheSize: Math.max(1, o.cacheSize ?? 10_000),
      ttlMs: o.ttlMs ?? 86_400_000,
      ratePerS: o.ratePerS ?? 2,
      maxInFlight: o.maxInFlight ?? 4,
      timeoutMs: o.timeoutMs ?? 5000,
      now: o.now ?? Date.now,
      onAnswer: o.onAnswer,
      log: o.log,
    };
    const rate = this.#o.ratePerS > 0 ? this.#o.ratePerS : 1e9;
    this.#bucket = new TokenBuckets({ burst: Math.max(1, rate * 2), refillPerS: rate, maxKeys: 1 });
  }

  /** The cached answer; on a miss, a request starts in the background (within the limits). */
  lookup(address: string): AddressInfo | undefined {
    const now = this.#o.now();
    const hit = this.#cache.get(address);
    if (hit && hit.expires > now) return hit.info;
    if (hit) this.#cache.delete(address);
    this.#start(address, now);
    return undefined;
  }

  /** Resolves when the request for `address` in flight (if any) has ended. Never rejects. */
  settle(address: string): Promise<void> {
    return this.#pending.get(address) ?? Promise.resolve();
  }

  /** Whether a question about `address` is on its way to the provider now. */
  isPending(address: string): boolean {
    return this.#pending.has(address);
  }

  /** Addresses cached now. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  #start(address: string, now: number): void {
    if (this.#pending.has(address) || this.#pending.size >= this.#o.maxInFlight) return;
    if (now < this.#pausedUntil) return;
    // Never tell a provider about private or special addresses.
    if (specialRangeLabel(address) !== undefined) return;
    if (!this.#bucket.take('all', now).ok) return;
    this.requests++;
    const done = this.#fetch(address).finally(() => this.#pending.delete(address));
    this.#pending.set(address, done);
  }

  async #fetch(address: string): Promise<void> {
    let info: AddressInfo | undefined;
    try {
      const res = await fetch(this.#p.url(address), { headers: this.#p.headers(), signal: AbortSignal.timeout(this.#o.timeoutMs) });
      if (res.status === 429) {
        const after = Number(res.headers.get('retry-after'));
        this.#pausedUntil = this.#o.now() + (Number.isFinite(after) && after > 0 ? Math.min(after, 3600) * 1000 : 60_000);
        this.#report(`${this.#p.name} answered 429 (rate limited); pausing it`);
        await res.body?.cancel();
        return;
      }
      if (!res.ok) {
        // 401/403: a bad key; 5xx: the provider's trouble. Neither is cached, both are paused.
        this.#pausedUntil = this.#o.now() + 60_000;
        this.#report(`${this.#p.name} answered HTTP ${res.status}${res.status === 401 || res.status === 403 ? ' (check its key)' : ''}; pausing it for a minute`);
        await res.body?.cancel();
        return;
      }
      const text = await res.text();
      if (text.length > 64 * 1024) throw new Error('answer larger than 64 KiB');
      info = this.#p.parse(JSON.parse(text));
    } catch (err) {
      this.#report(`${this.#p.name}: ${(err as Error).name === 'TimeoutError' ? `no answer within ${this.#o.timeoutMs} ms` : (err as Error).message.split('\n')[0]}`);
      return;
    }
    if (this.#cache.size >= this.#o.cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(address, { info, expires: this.#o.now() + this.#o.ttlMs });
    this.#o.onAnswer?.(address);
  }

  #report(line: string): void {
    const now = this.#o.now();
    if (now - this.#loggedAt < 60_000) return;
    this.#loggedAt = now;
    this.#o.log?.(`enrich: ${line}`);
  }
}
