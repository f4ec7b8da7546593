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
