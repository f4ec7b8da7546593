/**
 * tcpconnect: the time a full TCP connect() takes (SYN, SYN-ACK, ACK through the kernel's stack),
 * a fresh connection each time: latency-monitor's "TCP latency", CloudPing's TCP ping.
 */
import { CommonDefaults, Limits } from '../../model/limits.ts';
import { from, helpOpt, json, limit, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { TCPCONNECT_COUNT, TCPCONNECT_INTERVAL_MS, TcpconnectDefaults } from './tcpconnect-params.ts';

/** The tcpconnect measurement type. */
export const tcpconnectType: MeasurementTypeDef<'tcpconnect', typeof TcpconnectDefaults> = {
  name: 'tcpconnect',
  defaults: TcpconnectDefaults,
  view: 'stream',
  defaultProtocol: 'tcp',
  // Its replies and timeouts are the ping kinds, with one-way fields where it has them: it claims none.
  eventKinds: [],
  targetProblem: (t, spec) => {
    if (spec.protocol !== undefined && spec.protocol !== 'tcp') return { field: 'protocol', message: 'protocol: tcpconnect runs over tcp only' };
    return hostTargetProblem(t, spec.ipVersion);
  },
  // A connect is a SYN and an ACK (and a FIN/RST to close): at most 3 packets each.
  packetsPerSecond: (spec) => (3 * 1000) / (spec.intervalMs ?? TCPCONNECT_INTERVAL_MS),
  command: {
    verb: 'connect',
    missing: 'target',
    aliases: [],
    usage: 'tcpconnect [-s NODE]… [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-p PORT] [-4|-6] HOST:PORT…',
    summary: 'time full TCP connects (a fresh connection each time) to HOST:PORT',
    options: [
      from,
      limit,
      { long: 'count', short: 'c', kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `stop after COUNT connects (default ${TCPCONNECT_COUNT}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'INTERVAL', field: 'intervalMs', noun: 'interval', help: `seconds between connects (default ${TCPCONNECT_INTERVAL_MS / 1000})` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for each connect (default ${CommonDefaults.timeoutMs / 1000})` },
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: `port when the target names none (default ${CommonDefaults.tcpPort})` },
      v4,
      v6,
      json,
      helpOpt,
    ],
    examples: ['tcpconnect -c 3 127.0.0.1:22', 'tcpconnect -s lax1 example.com:443', 'tcpconnect -p 443 -i 0.2 -c 10 example.com'],
  },
  tool: {
    title: 'TCP connect time',
    description:
      'How long does opening a TCP connection to a service take? Times full connect() calls (a fresh connection each ' +
      'time, as latency-monitor\'s TCP latency) from meshprobe agents; a refused or silent port is reported as such.',
    instruction: 'for the time to open a TCP connection',
    referral: 'to time TCP connection set-up to a service use tcpconnect',
    input: (f, c) => ({
      targets: f.targets.describe('Services as host:port.'),
      from: c.from,
      limit: c.limit,
      count: f.count.describe(`Connects per target (default ${TCPCONNECT_COUNT}).`),
      intervalMs: f.intervalMs.describe(`Pause between connects in ms (default ${TCPCONNECT_INTERVAL_MS}).`),
      timeoutMs: c.timeoutMs,
      port: f.port.describe(`Port when the target names none (default ${CommonDefaults.tcpPort}).`),
      ipVersion: c.ipVersion,
    }),
    unitsPerPart: (args) => (typeof args['count'] === 'number' ? args['count'] : TCPCONNECT_COUNT),
  },
  chat: { menu: 'tcpconnect [-s NODE] HOST:PORT — TCP connect time' },
};
