/**
 * Latency histograms of monitors (design §11): log-scale buckets, ten per octave, as meshping
 * draws them, but from ~8 µs to ~65 s so that LAN and loopback round trips keep their detail.
 *
 * Bucket `k` counts round trips `v` (ms) with 2^((k-1)/10) < v ≤ 2^(k/10). Bucket MIN_BUCKET also
 * takes everything smaller, OVERFLOW_BUCKET everything above 2^(MAX_BUCKET/10) ms. Histograms are
 * cumulative and never reset; merging two is adding their counts, so rollups (minute → hour) and
 * "compare agents" are exact.
 *
 * The Prometheus export uses one bound per octave, 2^j ms for j = -7…16 (COARSE_BOUNDS_MS): bucket
 * k = 10·j has exactly that bound, so each coarse bucket is an exact sum of fine ones.
 *
 * On the wire and in the store a histogram is sparse: `[k, count]` pairs, k ascending, count > 0.
 */

/** Lowest bucket: bound 2^-7 ms ≈ 7.8 µs (everything below lands here too). */
export const MIN_BUCKET = -70;
/** Highest finite bucket: bound 2^16 ms ≈ 65.5 s. */
export const MAX_BUCKET = 160;
/** Round trips above 2^(MAX_BUCKET/10) ms. Its bound is +Inf. */
export const OVERFLOW_BUCKET = MAX_BUCKET + 1;
/** Buckets per octave. */
export const BUCKETS_PER_OCTAVE = 10;

/** A sparse histogram: [bucket, count] pairs, bucket ascending, count a positive integer. */
export type HistogramPairs = [bucket: number, count: number][];

/** Upper bound of bucket `k` in ms (Infinity for the overflow bucket). */
export function bucketBoundMs(k: number): number {
  return k >= OVERFLOW_BUCKET ? Number.POSITIVE_INFINITY : 2 ** (k / BUCKETS_PER_OCTAVE);
}

/** The bucket a round trip of `ms` falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > 0)) return MIN_BUCKET;
  // The epsilon keeps a value exactly on a bound (2^(k/10), give or take rounding) in bucket k.
  // (+ 0 turns the -0 of values just under 1 ms into 0.)
  const k = Math.ceil(BUCKETS_PER_OCTAVE * Math.log2(ms) - 1e-9) + 0;
  if (k < MIN_BUCKET) return MIN_BUCKET;
  if (k > MAX_BUCKET) return OVERFLOW_BUCKET;
  return k;
}

/** The coarse (one per octave) bounds of the Prometheus export, in ms: 2^-7 … 2^16. */
export const COARSE_BOUNDS_MS: readonly number[] = Array.from({ length: 24 }, (_, i) => 2 ** (i - 7));

/** A mutable histogram, dense inside: what agents fill per minute and the hub keeps per series. */
export class Histogram {
  // The non-empty buckets as two parallel arrays of small integers, searched from the end: a
  // series' round trips sit in a handful of buckets, the last one hit is the likeliest next, and
  // this beats a Map's hashing on the agent's path of every reply (3 % of its samples at 1,000 monitors).
  readonly #keys: number[] = [];
  readonly #counts: number[] = [];
  #last = -1;
  #total = 0;

  static from(pairs: Iterable<readonly [number, number]>): Histogram {
    const h = new Histogram();
    for (const [k, c] of pairs) h.addCount(k, c);
    return h;
  }

  get total(): number {
    return this.#total;
  }

  /** Records one round trip of `ms`. */
  add(ms: number): void {
    this.addCount(bucketOf(ms), 1);
  }

  /** Adds `count` to bucket `k` (clamped into the grid). */
  addCount(k: number, count: number): void {
    if (!(count > 0)) return;
    const b = k < MIN_BUCKET ? MIN_BUCKET : k > OVERFLOW_BUCKET ? OVERFLOW_BUCKET : Math.trunc(k);
    let i = this.#last;
    if (i < 0 || this.#keys[i] !== b) {
      i = this.#keys.lastIndexOf(b);
      if (i < 0) {
        i = this.#keys.length;
        this.#keys.push(b);
        this.#counts.push(0);
      }
      this.#last = i;
    }
    this.#counts[i]! += count;
    this.#total += count;
  }

  /** Adds every count of `other` (merging is adding). */
  merge(other: Histogram | HistogramPairs): void {
    const pairs = other instanceof Histogram ? other.pairs() : other;
    for (const [k, c] of pairs) this.addCount(k, c);
  }

  /** The sparse form, bucket ascending. */
  pairs(): HistogramPairs {
    return this.#keys.map((k, i): [number, number] => [k, this.#counts[i]!]).sort((a, b) => a[0] - b[0]);
  }

  /**
   * The `q` quantile (0 < q ≤ 1) in ms, as the upper bound of the bucket holding it (what
   * Prometheus' histogram_quantile would also interpolate towards). Undefined when empty.
   */
  quantile(q: number): number | undefined {
    if (this.#total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (const [k, c] of this.pairs()) {
      seen += c;
      if (seen >= rank) return bucketBoundMs(Math.min(k, MAX_BUCKET));
    }
    return bucketBoundMs(MAX_BUCKET);
  }

  /**
   * Cumulative counts at each coarse bound (COARSE_BOUNDS_MS), then the total for +Inf: the
   * Prometheus buckets. Exact, since every coarse bound is a fine bound.
   */
  coarseCumulative(): number[] {
    const out = new Array<number>(COARSE_BOUNDS_MS.length + 1).fill(0);
    for (let n = 0; n < this.#keys.length; n++) {
      const k = this.#keys[n]!;
      const c = this.#counts[n]!;
      // Fine bucket k sits under coarse bound j when k ≤ 10·j.
      const j = Math.max(0, Math.ceil(k / BUCKETS_PER_OCTAVE) + 7);
      for (let i = j; i < COARSE_BOUNDS_MS.length; i++) out[i]! += c;
    }
    out[COARSE_BOUNDS_MS.length] = this.#total;
    return out;
  }
}
