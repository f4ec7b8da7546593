/**
 * The agent side of ping: ICMP echo through the socket pool, or TCP SYN / UDP probes.
 */
import type { ProbeRunner } from '../probe-runner.ts';
import { runPing } from './ping.ts';
import { runTransportPing } from './transport-ping.ts';

/** ping's runner: ICMP echo through the socket pool, or TCP SYN / UDP probes. */
export const runPingType: ProbeRunner['run'] = (spec, o) => {
  const { pool, ...rest } = o;
  if ((spec.protocol ?? 'icmp') !== 'icmp') return runTransportPing(spec, rest);
  return runPing(spec, { ...rest, ...(pool ? { pool } : {}) });
};
