/**
 * Token buckets per key: the one rate-limit mechanism of the project. The hub's request limits
 * (per subject, IP and service), the Telegram bot's per-user limit, the email gateways'
 * per-sender limit and their aggregate reply budget all sit on it, each with its own policy
 * (burst, refill, what to say when refused) on top. Pure: the clock is passed in on every call,
 * so it runs in the hub, in a bot and in a Worker isolate alike, and tests step time by hand.
 */

/** The answer of a bucket: allowed, or how long until enough tokens have refilled. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/** Keys a {@link TokenBuckets} remembers unless told otherwise. */
export const DEFAULT_MAX_KEYS = 10_000;

/** Options of {@link TokenBuckets}. */
export interface TokenBucketsOptions {
  /** Tokens a full bucket holds: what a key may spend at once after being idle. Positive. */
  burst: number;
  /** Tokens added per second, up to `burst`. Positive. */
  refillPerS: number;
  /**
   * Keys remembered at most (default {@link DEFAULT_MAX_KEYS}); past it the least recently used
   * is forgotten and comes back with a full bucket. Bounds memory under a flood of new keys.
   */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** A bucket per key, in memory, bounded in keys (LRU). */
export class TokenBuckets {
  readonly burst: number;
  readonly refillPerS: number;
  readonly maxKeys: number;
  // A Map iterates in insertion order; re-inserting on use makes it an LRU.
  readonly #buckets = new Map<string, Bucket>();

  constructor(o: TokenBucketsOptions) {
    if (!(o.burst > 0)) throw new RangeError(`burst must be positive, not ${o.burst}`);
    if (!(o.refillPerS > 0)) throw new RangeError(`refillPerS must be positive, not ${o.refillPerS}`);
    this.burst = o.burst;
    this.refillPerS = o.refillPerS;
    this.maxKeys = o.maxKeys ?? DEFAULT_MAX_KEYS;
    if (!(this.maxKeys >= 1)) throw new RangeError(`maxKeys must be at least 1, not ${this.maxKeys}`);
  }

  /** Takes `cost` tokens from `key`'s bucket at `nowMs`; a refusal takes nothing. */
  take(key: string, nowMs: number, cost = 1): RateDecision {
    const b = this.#touch(key, nowMs);
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((cost - b.tokens) / this.refillPerS) * 1000) };
  }

  /** The tokens `key` holds at `nowMs` (marks it used, takes nothing). */
  tokens(key: string, nowMs: number): number {
    return this.#touch(key, nowMs).tokens;
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  #touch(key: string, nowMs: number): Bucket {
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      // A clock that steps back refills nothing (and takes nothing back).
      b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, nowMs - b.atMs) / 1000) * this.refillPerS);
      b.atMs = Math.max(b.atMs, nowMs);
    } else {
      b = { tokens: this.burst, atMs: nowMs };
    }
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!);
    return b;
  }
}
