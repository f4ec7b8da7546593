/**
 * Buckets of meshprobe_owd_seconds: 10 µs to ~10 s, doubling. A one-way delay through two clocks
 * can be negative; those fall in the first bucket.
 */
export const OWD_BUCKETS: number[] = Array.from({ length: 21 }, (_, i) => 1e-5 * 2 ** i);
