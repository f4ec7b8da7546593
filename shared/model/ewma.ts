/**
 * Exponentially weighted moving averages with time-based weights: each sample moves the average
 * by α = 1 − e^(−Δt/τ), where Δt is the time since the previous sample. meshping weights every
 * ping the same, so its "15 minutes" is 15 minutes only at its default interval; here τ is a time
 * constant whatever the interval, and a gap (the agent was away) weighs the next sample more.
 */

/** The averages `monitor list` shows: τ = 15 min, 6 h, 24 h. */
export const EWMA_TAUS_MS = [15 * 60_000, 6 * 3_600_000, 24 * 3_600_000] as const;

/** One average: its value and when it last moved. */
export interface EwmaState {
  value: number;
  /** Time of the last sample, ms since the epoch. */
  at: number;
}

/** The average after a sample `value` at time `at` (ms), with time constant `tauMs`. */
export function ewmaStep(prev: EwmaState | undefined, value: number, at: number, tauMs: number): EwmaState {
  if (!prev) return { value, at };
  const next = { value: prev.value, at: prev.at };
  ewmaMove(next, value, at, tauMs);
  return next;
}

/**
 * {@link ewmaStep} in place: moves `state` by the sample. Allocates nothing, for paths that run
 * once per probe (an agent's monitors: 10,000 replies a second).
 */
export function ewmaMove(state: EwmaState, value: number, at: number, tauMs: number): void {
  const dt = Math.max(0, at - state.at);
  const alpha = 1 - Math.exp(-dt / tauMs);
  state.value += alpha * (value - state.value);
  state.at = Math.max(at, state.at);
}

/**
 * {@link ewmaMove} for the {@link EWMA_TAUS_MS} averages kept side by side in `v` (values at
 * `v[i] … v[i + 2]`, their common time at `v[i + 3]`), as an agent's minute series keeps them: one
 * typed array a reply touches rather than three objects. NaN at `v[i + 3]` means no sample yet;
 * the first one sets all three.
 */
export function ewmaMoveAll(v: Float64Array, i: number, value: number, at: number): void {
  const prevAt = v[i + 3]!;
  if (Number.isNaN(prevAt)) {
    v[i] = v[i + 1] = v[i + 2] = value;
    v[i + 3] = at;
    return;
  }
  const dt = at > prevAt ? at - prevAt : 0;
  v[i] = v[i]! + (1 - Math.exp(-dt / EWMA_TAUS_MS[0])) * (value - v[i]!);
  v[i + 1] = v[i + 1]! + (1 - Math.exp(-dt / EWMA_TAUS_MS[1])) * (value - v[i + 1]!);
  v[i + 2] = v[i + 2]! + (1 - Math.exp(-dt / EWMA_TAUS_MS[2])) * (value - v[i + 2]!);
  if (at > prevAt) v[i + 3] = at;
}
