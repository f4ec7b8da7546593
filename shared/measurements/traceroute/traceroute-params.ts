/**
 * traceroute's defaults and its parameters with them filled in (ICMP, 30 hops, 3 queries, UDP
 * port 33434, TCP port 80, 2 s, 32 payload bytes).
 */
import { CommonDefaults } from '../../model/limits.ts';
import type { MeasurementSpec, Protocol } from '../../model/spec.ts';

/** Defaults of the fields only traceroute reads (traceroute(8)'s values). */
export const TracerouteDefaults = {
  maxHops: 30,
  queriesPerHop: 3,
} as const;

/** Default payload bytes: 60-byte IPv4 / 80-byte IPv6 probes, as traceroute sends. */
const PAYLOAD = 32;

/** Traceroute parameters with defaults filled in. */
export interface TracerouteParams {
  protocol: Protocol;
  maxHops: number;
  queries: number;
  /** UDP: first destination port; TCP: the destination port. */
  port: number;
  /** How long to wait for one probe's answer, ms. */
  timeoutMs: number;
  /** ICMP/UDP payload bytes (`--size`); probes are sent with DF, so a smaller MTU shows as !F-MTU. */
  size: number;
}

/** Fills in traceroute defaults (ICMP, 30 hops, 3 queries, UDP port 33434, TCP port 80, 2 s). */
export function tracerouteParams(spec: MeasurementSpec): TracerouteParams {
  const protocol = spec.protocol ?? 'icmp';
  return {
    protocol,
    maxHops: spec.maxHops ?? TracerouteDefaults.maxHops,
    queries: spec.queriesPerHop ?? TracerouteDefaults.queriesPerHop,
    port: spec.port ?? (protocol === 'tcp' ? CommonDefaults.tcpPort : CommonDefaults.tracePort),
    timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs,
    size: spec.size ?? PAYLOAD,
  };
}
