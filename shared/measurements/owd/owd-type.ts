/**
 * owd: one-way delay and round trip against a latency-monitor peer (or a meshprobe agent serving
 * its protocol), over UDP or one TCP connection. Between two meshprobe agents both directions are
 * measured and the clocks' offset estimated from four timestamps, as NTP does.
 */
import { Limits } from '../../model/limits.ts';
import { from, helpOpt, json, limit, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { OWD_COUNT, OWD_INTERVAL_MS, OWD_MAX_SIZE, OWD_SIZE, OWD_TCP_PORT, OWD_UDP_PORT, OwdDefaults } from './owd-params.ts';

/** The owd measurement type. */
export const owdType: MeasurementTypeDef<'owd', typeof OwdDefaults> = {
  name: 'owd',
  defaults: OwdDefaults,
  exclusiveFields: ['tags'],
  monitorable: true,
  view: 'stream',
  defaultProtocol: 'udp',
  // Its replies and timeouts are the ping kinds, with one-way fields where it has them: it claims none.
  eventKinds: [],
  targetProblem: (t, spec) => {
    if (spec.protocol === 'icmp') return { field: 'protocol', message: 'protocol: owd runs over udp or tcp' };
    if (spec.size !== undefined && spec.size > OWD_MAX_SIZE) return { field: 'size', message: `size must be at most ${OWD_MAX_SIZE}` };
    return hostTargetProblem(t, spec.ipVersion);
  },
  packetsPerSecond: (spec) => 1000 / (spec.intervalMs ?? OWD_INTERVAL_MS),
  command: {
    verb: 'OWD',
    missing: 'target',
    aliases: [],
    usage: 'owd [-s NODE]… [-u|--udp | -T|--tcp] [-p|--port PORT] [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [--size N] [--tags K:V,…] [-4|-6] HOST[:PORT]…',
    summary: 'one-way delay each way and round trip to a latency-monitor peer or meshprobe agent',
    options: [
      from,
      limit,
      { long: 'udp', short: 'u', kind: 'flag', sets: { field: 'protocol', value: 'udp' }, noun: 'udp', help: `over UDP (the default; port ${OWD_UDP_PORT})` },
      { long: 'tcp', short: 'T', kind: 'flag', sets: { field: 'protocol', value: 'tcp' }, noun: 'tcp', help: `over one TCP connection (port ${OWD_TCP_PORT})` },
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: 'the peer\'s port' },
      { long: 'count', short: 'c', kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `stop after COUNT messages (default ${OWD_COUNT}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'INTERVAL', field: 'intervalMs', noun: 'interval', help: `seconds between messages, down to 0.001 (default ${OWD_INTERVAL_MS / 1000})` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: 'seconds to wait for each answer (default 1)' },
      { long: 'size', kind: 'int', arg: 'N', field: 'size', noun: 'size', help: `pad messages with zeros to N bytes (default ${OWD_SIZE}, at most ${OWD_MAX_SIZE})` },
      { long: 'tags', kind: 'list', arg: 'K:V', field: 'tags', noun: 'tag', help: `latency-monitor TAGS of the messages, comma-separated (at most ${Limits.maxTags})` },
      v4,
      v6,
      json,
      helpOpt,
    ],
    examples: ['owd -c 5 127.0.0.1', 'owd --tcp -i 0.1 -c 50 127.0.0.1:8000', 'owd -s lax1 --tags isp:x,site:y example.com', 'owd --udp --port 8001 --size 200 ::1'],
  },
  tool: {
    title: 'One-way delay',
    description:
      'How long does a packet take in each direction, not just the round trip? Exchanges timestamped messages with a ' +
      'latency-monitor peer (UDP 8001 / TCP 8000) or a meshprobe agent serving that protocol and returns per message the ' +
      'round trip and the forward and reverse one-way delays (through both clocks), plus the clocks\' offset and its ' +
      'uncertainty from four timestamps, with a flag when the offset is too unstable for one-way figures to be trusted.',
    instruction: 'for one-way delay in each direction',
    referral: 'to split a round trip into its two directions use owd',
    input: (f, c) => ({
      targets: f.targets.describe('Peers: host or host:port.'),
      from: c.from,
      limit: c.limit,
      protocol: f.protocol.describe('udp (default) or tcp.'),
      port: f.port.describe(`The peer's port (default ${OWD_UDP_PORT} for udp, ${OWD_TCP_PORT} for tcp).`),
      count: f.count.describe(`Messages (default ${OWD_COUNT}).`),
      intervalMs: f.intervalMs.describe(`Pause between messages in ms (default ${OWD_INTERVAL_MS}).`),
      timeoutMs: c.timeoutMs,
      size: f.size.describe(`Message bytes, padded with zeros (default ${OWD_SIZE}).`),
      tags: f.tags.describe("Tags the messages carry (latency-monitor's TAGS), e.g. ['isp:x']."),
      ipVersion: c.ipVersion,
    }),
    unitsPerPart: (args) => (typeof args['count'] === 'number' ? args['count'] : OWD_COUNT),
  },
  chat: { menu: 'owd [-s NODE] [--tcp] HOST — one-way delay both ways' },
};
