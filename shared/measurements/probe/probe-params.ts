/**
 * The sweep's defaults and its parameters with them filled in.
 */
import { CommonDefaults } from '../../model/limits.ts';
import type { MeasurementSpec } from '../../model/spec.ts';

/** Defaults of the fields only the sweep reads. */
export const ProbeDefaults = {
  /** Packets per second across the sweep. */
  rate: 1000,
} as const;

/** Sweep parameters with defaults filled in. */
export interface ProbeParams {
  /** Packets per second; 0 = as fast as allowed. */
  rate: number;
  /** How long to wait for the last replies, ms. */
  timeoutMs: number;
}

/** Fills in sweep defaults (1000 packets/s, 2 s). */
export function probeParams(spec: MeasurementSpec): ProbeParams {
  return { rate: spec.rate ?? ProbeDefaults.rate, timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs };
}
