/**
 * Token-bucket rate limits keyed by subject or client IP (design §8). Each key refills at
 * `ratePerS` up to `burst`; a request that finds the bucket empty is told how long to wait,
 * which becomes the 429's Retry-After. Idle buckets are forgotten so keys cannot pile up.
 */

export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  ratePerS: number;
  /** Requests a key may make at once after being idle. Default: max(1, ratePerS * 10). */
  burst?: number;
  /** Most keys remembered; the least recently used are dropped past it. Default 100,000. */
  maxKeys?: number;
  /** Milliseconds clock; default performance.now. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly ratePerS: number;
  readonly burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  // A Map iterates in insertion order; re-inserting on use makes it an LRU.
  readonly #buckets = new Map<string, Bucket>();

  constructor(o: RateLimitOptions) {
    if (!(o.ratePerS > 0)) throw new RangeError('ratePerS must be positive');
    this.ratePerS = o.ratePerS;
    this.burst = o.burst ?? Math.max(1, o.ratePerS * 10);
    this.#maxKeys = o.maxKeys ?? 100_000;
    this.#now = o.now ?? (() => performance.now());
  }

  /** Takes `cost` tokens for `key`. Returns 0 when allowed, else the seconds to wait (≥ 1). */
  take(key: string, cost = 1): number {
    const now = this.#now();
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.ratePerS);
      b.at = now;
    } else {
      b = { tokens: this.burst, at: now };
    }
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return 0;
    }
    return Math.max(1, Math.ceil((cost - b.tokens) / this.ratePerS));
  }

  get size(): number {
    return this.#buckets.size;
  }
}
