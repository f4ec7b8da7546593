/**
 * owd's defaults (latency-monitor's: UDP port 8001, TCP port 8000, 1 s apart, 1 s timeout, 1470
 * bytes) and its parameters with them filled in.
 */
import type { MeasurementSpec } from '../../model/spec.ts';
import { splitHostPort } from '../../net/host-port.ts';

/** Defaults of the fields only owd reads: none of its own (its interval and size differ from ping's). */
export const OwdDefaults = {} as const;

export const OWD_TCP_PORT = 8000;
export const OWD_UDP_PORT = 8001;
export const OWD_COUNT = 10;
export const OWD_INTERVAL_MS = 1000;
export const OWD_TIMEOUT_MS = 1000;
/** latency-monitor's max_size: messages are padded with zeros to this many bytes. */
export const OWD_SIZE = 1470;
/** Largest message: latency-monitor reads at most max_size bytes; a jumbo payload is the bound. */
export const OWD_MAX_SIZE = 9000;

/** owd parameters with defaults filled in. */
export interface OwdParams {
  host: string;
  protocol: 'udp' | 'tcp';
  port: number;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  size: number;
  tags: string[];
}

/** Fills in owd's defaults for `target`. */
export function owdParams(spec: MeasurementSpec, target: string): OwdParams {
  const protocol = spec.protocol === 'tcp' ? 'tcp' : 'udp';
  const { host, port } = splitHostPort(target);
  return {
    host,
    protocol,
    port: port !== undefined ? Number(port) : (spec.port ?? (protocol === 'tcp' ? OWD_TCP_PORT : OWD_UDP_PORT)),
    count: spec.count ?? OWD_COUNT,
    intervalMs: spec.intervalMs ?? OWD_INTERVAL_MS,
    timeoutMs: spec.timeoutMs ?? OWD_TIMEOUT_MS,
    size: Math.min(spec.size ?? OWD_SIZE, OWD_MAX_SIZE),
    tags: spec.tags ?? [],
  };
}
