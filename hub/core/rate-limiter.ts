/**
 * Request rate limits keyed by subject or client IP (design §8): the hub's policy on the shared
 * token buckets (shared/model/token-buckets.ts). Each key refills at `ratePerS` up to `burst`; a
 * request that finds the bucket empty is told how many whole seconds to wait, which becomes the
 * 429's Retry-After. The least recently used keys are forgotten past `maxKeys`.
 */
import { TokenBuckets } from '../../shared/model/token-buckets.ts';

/** Keys the hub remembers per limiter unless told otherwise: one per client it may see at once. */
export const HUB_RATE_MAX_KEYS = 100_000;

export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  ratePerS: number;
  /** Requests a key may make at once after being idle. Default: max(1, ratePerS * 10). */
  burst?: number;
  /** Most keys remembered; the least recently used are dropped past it. Default HUB_RATE_MAX_KEYS. */
  maxKeys?: number;
  /** Milliseconds clock; default performance.now. */
  now?: () => number;
}

export class RateLimiter {
  readonly ratePerS: number;
  readonly burst: number;
  readonly #now: () => number;
  readonly #buckets: TokenBuckets;

  constructor(o: RateLimitOptions) {
    if (!(o.ratePerS > 0)) throw new RangeError('ratePerS must be positive');
    this.ratePerS = o.ratePerS;
    this.burst = o.burst ?? Math.max(1, o.ratePerS * 10);
    this.#now = o.now ?? (() => performance.now());
    this.#buckets = new TokenBuckets({ burst: this.burst, refillPerS: this.ratePerS, maxKeys: o.maxKeys ?? HUB_RATE_MAX_KEYS });
  }

  /** Takes `cost` tokens for `key`. Returns 0 when allowed, else the seconds to wait (≥ 1). */
  take(key: string, cost = 1): number {
    const d = this.#buckets.take(key, this.#now(), cost);
    return d.ok ? 0 : Math.max(1, Math.ceil(d.retryAfterMs / 1000));
  }

  get size(): number {
    return this.#buckets.size;
  }
}
