/**
 * Per-user token buckets: a burst of `capacity` commands, then one more every
 * `1 / refillPerSecond` seconds. In memory, bounded: idle full buckets are forgotten.
 */

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Commands a user may send in a burst (default 5). */
  capacity?: number;
  /** Tokens added per second (default 0.2: one command every 5 s once the burst is spent). */
  refillPerSecond?: number;
  /** Time source (default Date.now). */
  now?: () => number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterS: number };

/** Buckets kept before idle ones are swept; keeps memory bounded under a flood of new users. */
const SWEEP_AT = 10_000;

export class RateLimiter {
  readonly #capacity: number;
  readonly #rate: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimiterOptions = {}) {
    this.#capacity = options.capacity ?? 5;
    this.#rate = options.refillPerSecond ?? 0.2;
    this.#now = options.now ?? Date.now;
    if (!(this.#capacity >= 1)) throw new RangeError('rate limit capacity must be at least 1');
    if (!(this.#rate > 0)) throw new RangeError('rate limit refillPerSecond must be positive');
  }

  /** Takes one token from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateDecision {
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: this.#capacity, at: now };
    b.tokens = Math.min(this.#capacity, b.tokens + ((now - b.at) / 1000) * this.#rate);
    b.at = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.#buckets.set(key, b);
      if (this.#buckets.size > SWEEP_AT) this.#sweep(now);
      return { ok: true };
    }
    this.#buckets.set(key, b);
    return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - b.tokens) / this.#rate)) };
  }

  #sweep(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#rate >= this.#capacity) this.#buckets.delete(k);
    }
  }
}
