/**
 * The clocks' offset from the four timestamps of an exchange, as NTP computes it (RFC 5905 §8):
 * t1 our send, t2 the peer's receive, t3 the peer's send, t4 our receive;
 * θ = ((t2 − t1) + (t3 − t4)) / 2 (the peer's clock minus ours), δ = (t4 − t1) − (t3 − t2).
 * θ is exact when the two directions take equally long and off by up to δ/2 otherwise, so the
 * exchange with the least δ gives the best estimate (NTP's clock filter). Pure, in ms.
 */

/** One exchange's timestamps (ms on each side's Unix clock; big numbers: pass differences). */
export interface Exchange {
  /** t2 − t1: forward one-way delay through both clocks. */
  forwardMs: number;
  /** t4 − t3: reverse one-way delay through both clocks. */
  reverseMs: number;
}

/** The offset estimate over a run. */
export interface OffsetEstimate {
  /** θ of the least-delayed exchange: the peer's clock minus ours, ms. */
  offsetMs: number;
  /** δ/2 of that exchange: θ is within this of the truth if no direction is faster than zero. */
  uncertaintyMs: number;
  /** The spread (max − min) of θ over the least-delayed half of the exchanges, ms. */
  spreadMs: number;
  /** Whether θ held still enough that one-way figures mean something; `why` says when not. */
  reliable: boolean;
  why?: string;
}

/** θ and δ of one exchange. */
export function offsetOf(x: Exchange): { offsetMs: number; delayMs: number } {
  return { offsetMs: (x.forwardMs - x.reverseMs) / 2, delayMs: x.forwardMs + x.reverseMs };
}

/** Smallest spread of θ that is noise, not drift: the clocks' read jitter on a quiet host. */
const NOISE_MS = 0.05;

/** Estimates the offset from a run's exchanges; undefined without any. */
export function estimateOffset(xs: readonly Exchange[]): OffsetEstimate | undefined {
  if (xs.length === 0) return undefined;
  const all = xs.map(offsetOf).sort((a, b) => a.delayMs - b.delayMs);
  const best = all[0]!;
  const half = all.slice(0, Math.max(1, Math.ceil(all.length / 2)));
  const thetas = half.map((x) => x.offsetMs);
  const spreadMs = Math.max(...thetas) - Math.min(...thetas);
  const uncertaintyMs = Math.max(0, best.delayMs / 2);
  const base = { offsetMs: best.offsetMs, uncertaintyMs, spreadMs };
  if (xs.length < 4) return { ...base, reliable: false, why: `${xs.length} exchange${xs.length === 1 ? '' : 's'}: too few to judge the offset's stability` };
  // θ of low-delay exchanges moving by more than a round trip is a clock stepping or slewing.
  if (spreadMs > Math.max(best.delayMs, NOISE_MS)) {
    return { ...base, reliable: false, why: `the offset moved by ${spreadMs.toFixed(3)} ms over the least-delayed exchanges, more than their round trip` };
  }
  return { ...base, reliable: true };
}
