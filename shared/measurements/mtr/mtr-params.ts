/**
 * mtr's defaults and its parameters with them filled in (mtr's own: ICMP, 10 rounds one second
 * apart, 30 hops).
 */
import { CommonDefaults } from '../../model/limits.ts';
import type { MeasurementSpec, Protocol } from '../../model/spec.ts';

/**
 * Defaults of the fields only mtr reads: none of its own. Its count and interval differ from
 * ping's (the registry's `Defaults` holds ping's), so they are {@link MTR_COUNT} and
 * {@link MTR_INTERVAL_MS} here.
 */
export const MtrDefaults = {} as const;

/** Rounds of a report (`mtr -r` sends 10). */
export const MTR_COUNT = 10;
/** Seconds between rounds, as mtr's `-i`: 1 s. */
export const MTR_INTERVAL_MS = 1000;
/** Largest TTL probed (mtr's `-m`: 30). */
export const MTR_MAX_HOPS = 30;
/** ICMP/UDP payload bytes: mtr's 64-byte packets less the IPv4 and ICMP headers. */
const PAYLOAD = 36;

/** mtr parameters with defaults filled in: what the agent uses. */
export interface MtrParams {
  protocol: Protocol;
  /** Rounds: one probe per hop in each. */
  count: number;
  /** Time between the starts of two rounds, ms. */
  intervalMs: number;
  maxHops: number;
  /** UDP: first destination port; TCP: the destination port. */
  port: number;
  /** How long one probe is waited for before it counts as lost, ms. */
  timeoutMs: number;
  /** ICMP/UDP payload bytes. */
  size: number;
}

/** Fills in mtr's defaults. */
export function mtrParams(spec: MeasurementSpec): MtrParams {
  const protocol = spec.protocol ?? 'icmp';
  return {
    protocol,
    count: spec.count ?? MTR_COUNT,
    intervalMs: spec.intervalMs ?? MTR_INTERVAL_MS,
    maxHops: spec.maxHops ?? MTR_MAX_HOPS,
    port: spec.port ?? (protocol === 'tcp' ? CommonDefaults.tcpPort : CommonDefaults.tracePort),
    timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs,
    size: spec.size ?? PAYLOAD,
  };
}
