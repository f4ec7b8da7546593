/**
 * Ping statistics, computed in one place so every front-end shows the same numbers.
 * mdev follows iputils: sqrt(mean(x²) − mean(x)²). Percentiles use nearest-rank.
 * Times are rounded to whole nanoseconds ({@link roundMs}) so the wire carries no float noise.
 */
import type { PingStats } from './events.ts';

/**
 * Milliseconds rounded to whole nanoseconds (at most six decimals): the clocks' resolution.
 * Applied where events are created, so `0.03999999997904524` goes on the wire as `0.04`.
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}

/** Statistics of `sent` probes whose answered round trips are `rttsMs`. Pure. */
export function computeStats(sent: number, rttsMs: readonly number[]): PingStats {
  const received = rttsMs.length;
  const lossPct = sent > 0 ? ((sent - Math.min(received, sent)) / sent) * 100 : 0;
  if (received === 0) {
    return { sent, received, lossPct, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null };
  }
  const sorted = [...rttsMs].sort((a, b) => a - b);
  let sum = 0;
  let sumSq = 0;
  for (const x of sorted) {
    sum += x;
    sumSq += x * x;
  }
  const avg = sum / received;
  const mdev = Math.sqrt(Math.max(0, sumSq / received - avg * avg));
  return {
    sent,
    received,
    lossPct,
    minMs: roundMs(sorted[0]!),
    avgMs: roundMs(avg),
    maxMs: roundMs(sorted[received - 1]!),
    mdevMs: roundMs(mdev),
    p50Ms: roundMs(percentile(sorted, 50)),
    p90Ms: roundMs(percentile(sorted, 90)),
    p99Ms: roundMs(percentile(sorted, 99)),
  };
}

/** Nearest-rank percentile of an ascending array (non-empty). */
export function percentile(sortedAsc: readonly number[], p: number): number {
  if (sortedAsc.length === 0) throw new RangeError('percentile of an empty set');
  const rank = Math.ceil((p / 100) * sortedAsc.length);
  return sortedAsc[Math.min(sortedAsc.length, Math.max(1, rank)) - 1]!;
}
