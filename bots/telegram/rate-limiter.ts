/**
 * Per-user command limits of the bot: a burst of `capacity` commands, then one more every
 * `1 / refillPerSecond` seconds. The bot's policy on the shared token buckets
 * (shared/model/token-buckets.ts): in memory, bounded to {@link MAX_TRACKED_USERS} users.
 */
import { TokenBuckets, type RateDecision } from '../../shared/model/token-buckets.ts';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Commands a user may send in a burst (default 5). */
  capacity?: number;
  /** Tokens added per second (default 0.2: one command every 5 s once the burst is spent). */
  refillPerSecond?: number;
  /** Time source (default Date.now). */
  now?: () => number;
}

/** Users remembered at once; the least recently active is forgotten (and comes back with a full burst). */
export const MAX_TRACKED_USERS = 10_000;

export class RateLimiter {
  readonly #now: () => number;
  readonly #buckets: TokenBuckets;

  constructor(options: RateLimiterOptions = {}) {
    const capacity = options.capacity ?? 5;
    const rate = options.refillPerSecond ?? 0.2;
    if (!(capacity >= 1)) throw new RangeError('rate limit capacity must be at least 1');
    if (!(rate > 0)) throw new RangeError('rate limit refillPerSecond must be positive');
    this.#now = options.now ?? Date.now;
    this.#buckets = new TokenBuckets({ burst: capacity, refillPerS: rate, maxKeys: MAX_TRACKED_USERS });
  }

  /** Takes one token from `key`'s bucket, or says how long until one is available. */
  take(key: string): RateDecision {
    return this.#buckets.take(key, this.#now());
  }
}
