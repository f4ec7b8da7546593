/**
 * tcpping's defaults (tcp_ping_prometheus' current ones; with `legacy`, tcp-echo-metrics') and its
 * parameters with them filled in: what the agent uses.
 */
import type { MeasurementSpec } from '../../model/spec.ts';
import { splitHostPort } from '../../net/host-port.ts';

/** Defaults of the fields only tcpping reads: none of its own (its interval differs from ping's). */
export const TcppingDefaults = {} as const;

/** tcp_ping_prometheus' port (`-listen :4000`). */
export const TCPPING_PORT = 4000;
/** Probes of a one-shot run. */
export const TCPPING_COUNT = 10;
/** Current release: `-interval 500ms`, `-timeout 1s` (the first RTO), RTO clamped to 100 ms–3 s. */
export const TCPPING_INTERVAL_MS = 500;
export const TCPPING_TIMEOUT_MS = 1000;
export const TCPPING_RTO_MIN_MS = 100;
export const TCPPING_RTO_MAX_MS = 3000;
/** Older release: `-interval 200ms`, fixed `-timeout 800ms`, a loss window of 100 probes. */
export const LEGACY_INTERVAL_MS = 200;
export const LEGACY_TIMEOUT_MS = 800;
export const LEGACY_LOSS_WINDOW = 100;

/** tcpping parameters with defaults filled in. */
export interface TcppingParams {
  /** The host part of the target. */
  host: string;
  port: number;
  count: number;
  intervalMs: number;
  /** The fixed timeout, or the adaptive timeout's first value. */
  timeoutMs: number;
  adaptive: boolean;
  rtoMinMs: number;
  rtoMaxMs: number;
  framing: 'magic' | 'legacy';
}

/** Fills in tcpping's defaults for `target`. */
export function tcppingParams(spec: MeasurementSpec, target: string): TcppingParams {
  const { host, port } = splitHostPort(target);
  const legacy = spec.legacy === true;
  return {
    host,
    port: port !== undefined ? Number(port) : (spec.port ?? TCPPING_PORT),
    count: spec.count ?? TCPPING_COUNT,
    intervalMs: spec.intervalMs ?? (legacy ? LEGACY_INTERVAL_MS : TCPPING_INTERVAL_MS),
    timeoutMs: spec.timeoutMs ?? (legacy ? LEGACY_TIMEOUT_MS : TCPPING_TIMEOUT_MS),
    // The older release had a fixed timeout; so does a run that asks for one.
    adaptive: !legacy && spec.fixedTimeout !== true,
    rtoMinMs: spec.rtoMinMs ?? TCPPING_RTO_MIN_MS,
    rtoMaxMs: spec.rtoMaxMs ?? TCPPING_RTO_MAX_MS,
    framing: legacy ? 'legacy' : 'magic',
  };
}
