/** tcpconnect's defaults and its parameters with them filled in. */
import { CommonDefaults } from '../../model/limits.ts';
import type { MeasurementSpec } from '../../model/spec.ts';
import { splitHostPort } from '../../net/host-port.ts';

/** Defaults of the fields only tcpconnect reads: none of its own. */
export const TcpconnectDefaults = {} as const;

export const TCPCONNECT_COUNT = 4;
export const TCPCONNECT_INTERVAL_MS = 1000;

/** tcpconnect parameters with defaults filled in. */
export interface TcpconnectParams {
  host: string;
  port: number;
  count: number;
  intervalMs: number;
  timeoutMs: number;
}

/** Fills in tcpconnect's defaults for `target` (HOST:PORT; the port may come from --port). */
export function tcpconnectParams(spec: MeasurementSpec, target: string): TcpconnectParams {
  const { host, port } = splitHostPort(target);
  return {
    host,
    port: port !== undefined ? Number(port) : (spec.port ?? CommonDefaults.tcpPort),
    count: spec.count ?? TCPCONNECT_COUNT,
    intervalMs: spec.intervalMs ?? TCPCONNECT_INTERVAL_MS,
    timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs,
  };
}
