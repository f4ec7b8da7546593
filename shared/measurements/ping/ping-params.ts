/**
 * Ping's defaults (the same as iputils where the option exists there) and its parameters with
 * them filled in: what the agent actually uses.
 */
import { CommonDefaults, Limits } from '../../model/limits.ts';
import type { MeasurementSpec, Protocol } from '../../model/spec.ts';

/** Defaults of the fields only ping reads (iputils' values). */
export const PingDefaults = {
  count: 4,
  intervalMs: 1000,
  size: 56,
  ttl: 64,
} as const;

/** Ping parameters with defaults filled in: what the agent actually uses. */
export interface PingParams {
  count: number;
  /** Stop the run after this many ms (iputils -w); absent = when `count` probes are settled. */
  deadlineMs?: number;
  intervalMs: number;
  timeoutMs: number;
  size: number;
  ttl: number;
  protocol: Protocol;
  port?: number;
  ipVersion?: 4 | 6;
}

/** Fills in ping defaults. */
export function pingParams(spec: MeasurementSpec): PingParams {
  return {
    // iputils: -w without -c keeps sending until the deadline.
    count: spec.count ?? (spec.deadlineMs !== undefined ? Limits.maxCount : PingDefaults.count),
    ...(spec.deadlineMs !== undefined ? { deadlineMs: spec.deadlineMs } : {}),
    intervalMs: spec.intervalMs ?? PingDefaults.intervalMs,
    timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs,
    size: spec.size ?? PingDefaults.size,
    ttl: spec.ttl ?? PingDefaults.ttl,
    protocol: spec.protocol ?? 'icmp',
    ...(spec.port !== undefined ? { port: spec.port } : spec.protocol === 'tcp' ? { port: CommonDefaults.tcpPort } : {}),
    ...(spec.ipVersion !== undefined ? { ipVersion: spec.ipVersion } : {}),
  };
}
