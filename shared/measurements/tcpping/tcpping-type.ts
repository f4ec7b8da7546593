/**
 * tcpping: round trips over one long-lived TCP connection to a TCP echo server
 * (tcp_ping_prometheus' protocol, or tcp-echo-metrics' with --legacy), with the adaptive timeout
 * of RFC 6298, reconnects with back-off, and drops counted.
 */
import { Limits } from '../../model/limits.ts';
import { from, helpOpt, json, limit, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { TCPPING_COUNT, TCPPING_INTERVAL_MS, TCPPING_PORT, TCPPING_RTO_MAX_MS, TCPPING_RTO_MIN_MS, TCPPING_TIMEOUT_MS, TcppingDefaults } from './tcpping-params.ts';

/** The tcpping measurement type. */
export const tcppingType: MeasurementTypeDef<'tcpping', typeof TcppingDefaults> = {
  name: 'tcpping',
  defaults: TcppingDefaults,
  exclusiveFields: ['legacy', 'fixedTimeout', 'rtoMinMs', 'rtoMaxMs'],
  monitorable: true,
  view: 'stream',
  defaultProtocol: 'tcp',
  // Its replies and timeouts are the ping kinds, with one-way fields where it has them: it claims none.
  eventKinds: [],
  targetProblem: (t, spec) => {
    if (spec.protocol !== undefined && spec.protocol !== 'tcp') return { field: 'protocol', message: 'protocol: tcpping runs over tcp only' };
    if (spec.rtoMinMs !== undefined && spec.rtoMaxMs !== undefined && spec.rtoMinMs > spec.rtoMaxMs) return { field: 'rtoMinMs', message: 'rtoMinMs must be at most rtoMaxMs' };
    return hostTargetProblem(t, spec.ipVersion);
  },
  packetsPerSecond: (spec) => 1000 / (spec.intervalMs ?? TCPPING_INTERVAL_MS),
  command: {
    verb: 'TCP echo',
    missing: 'target',
    aliases: ['tcp-ping'],
    usage: 'tcpping [-s NODE]… [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [--fixed-timeout] [--rto-min S] [--rto-max S] [--legacy] [-4|-6] HOST[:PORT]…',
    summary: `round trips over one TCP connection to an echo server (tcp_ping_prometheus, port ${TCPPING_PORT})`,
    options: [
      from,
      limit,
      { long: 'count', short: 'c', kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `stop after COUNT probes (default ${TCPPING_COUNT}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'INTERVAL', field: 'intervalMs', noun: 'interval', help: `seconds between probes, down to 0.001 (default ${TCPPING_INTERVAL_MS / 1000}; --legacy 0.2)` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `first adaptive timeout, or the fixed one (default ${TCPPING_TIMEOUT_MS / 1000}; --legacy 0.8)` },
      { long: 'fixed-timeout', kind: 'flag', field: 'fixedTimeout', noun: 'fixed timeout', help: 'keep the timeout fixed instead of adapting it (RFC 6298: SRTT + 4·RTTVAR)' },
      { long: 'rto-min', kind: 'seconds', arg: 'S', field: 'rtoMinMs', noun: 'smallest timeout', help: `smallest adaptive timeout (default ${TCPPING_RTO_MIN_MS / 1000})` },
      { long: 'rto-max', kind: 'seconds', arg: 'S', field: 'rtoMaxMs', noun: 'largest timeout', help: `largest adaptive timeout (default ${TCPPING_RTO_MAX_MS / 1000})` },
      { long: 'legacy', kind: 'flag', field: 'legacy', noun: 'legacy', help: 'speak the older tcp-echo-metrics frames (16 bytes, no magic)' },
      v4,
      v6,
      json,
      helpOpt,
    ],
    examples: ['tcpping -c 5 127.0.0.1', 'tcpping -c 100 -i 0.01 127.0.0.1:4000', 'tcpping --legacy -i 0.2 -W 0.8 example.com:4000', 'tcpping -s lax1 --rto-min 0.05 example.com'],
  },
  tool: {
    title: 'TCP echo ping',
    description:
      'Latency and loss over one long-lived TCP connection, where ICMP is filtered: sends timestamped frames to a TCP ' +
      `echo server (tcp_ping_prometheus protocol, port ${TCPPING_PORT}; a meshprobe agent serving it, or the Go tool) and returns ` +
      'every round trip, timeouts (adaptive per RFC 6298), reconnects and drops.',
    instruction: 'for latency over a persistent TCP connection',
    referral: 'to measure over a TCP connection to an echo server use tcpping',
    input: (f, c) => ({
      targets: f.targets.describe(`Echo servers: host or host:port (default port ${TCPPING_PORT}).`),
      from: c.from,
      limit: c.limit,
      count: f.count.describe(`Probes (default ${TCPPING_COUNT}).`),
      intervalMs: f.intervalMs.describe(`Pause between probes in ms (default ${TCPPING_INTERVAL_MS}).`),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
      fixedTimeout: f.fixedTimeout.describe('true: a fixed timeout instead of the adaptive one.'),
      legacy: f.legacy.describe('true: the older 16-byte frames of tcp-echo-metrics.'),
    }),
    unitsPerPart: (args) => (typeof args['count'] === 'number' ? args['count'] : TCPPING_COUNT),
  },
  chat: { menu: 'tcpping [-s NODE] [-c COUNT] HOST[:PORT] — TCP echo round trips' },
};
