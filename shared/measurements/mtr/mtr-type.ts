/**
 * mtr: path-tracing rounds repeated, with per-hop loss and latency statistics (mtr(8)'s report).
 */
import { Limits } from '../../model/limits.ts';
import { from, json, helpOpt, limit, numeric, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { MTR_COUNT, MTR_INTERVAL_MS, MTR_MAX_HOPS, MtrDefaults } from './mtr-params.ts';

/** The mtr measurement type. */
export const mtrType: MeasurementTypeDef<'mtr', typeof MtrDefaults> = {
  name: 'mtr',
  defaults: MtrDefaults,
  view: 'stream',
  // Its hop events are the path type's kind, with rounds and statistics added: it claims none of its own.
  eventKinds: [],
  targetProblem: (t, spec) => hostTargetProblem(t, spec.ipVersion),
  // One probe per hop each round: at most maxHops probes per interval.
  packetsPerSecond: (spec) => ((spec.maxHops ?? MTR_MAX_HOPS) * 1000) / (spec.intervalMs ?? MTR_INTERVAL_MS),
  command: {
    verb: 'mtr',
    missing: 'target',
    single: 'target',
    aliases: ['mtr6'],
    usage: 'mtr [-s NODE]… [-c COUNT] [-i SECONDS] [-r|--report] [-u|--udp] [-T|--tcp] [-P PORT] [-m MAXHOPS] [-n] [-4|-6] TARGET',
    summary: 'repeat path-tracing rounds and show loss and latency per hop (mtr)',
    options: [
      from,
      limit,
      { long: 'count', short: 'c', aliases: ['report-cycles'], kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `rounds to run (default ${MTR_COUNT}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'SECONDS', field: 'intervalMs', noun: 'interval', help: `seconds between rounds, fractions allowed (default ${MTR_INTERVAL_MS / 1000})` },
      { long: 'report', short: 'r', kind: 'flag', display: 'quiet', noun: 'report', help: 'report mode: only the final table (as mtr -r)' },
      { long: 'udp', short: 'u', kind: 'flag', sets: { field: 'protocol', value: 'udp' }, noun: 'udp', help: 'probe with UDP datagrams instead of ICMP echo' },
      { long: 'tcp', short: 'T', kind: 'flag', sets: { field: 'protocol', value: 'tcp' }, noun: 'tcp', help: 'probe with TCP SYN instead of ICMP echo' },
      { long: 'port', short: 'P', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: 'destination port for -u (base port) or -T' },
      { long: 'max-ttl', short: 'm', aliases: ['max-hops'], kind: 'int', arg: 'MAXHOPS', field: 'maxHops', noun: 'max hops', help: `largest TTL probed (default ${MTR_MAX_HOPS}, at most ${Limits.maxHops})` },
      { long: 'timeout', short: 'Z', kind: 'seconds', arg: 'SECONDS', field: 'timeoutMs', noun: 'timeout', help: 'seconds to wait for each probe (default 2)' },
      numeric('print hop addresses only, no reverse DNS lookups'),
      v4,
      v6,
      json,
      helpOpt,
    ],
    examples: ['mtr 127.0.0.1', 'mtr -r -c 20 -n example.com', 'mtr -s lax1 -T -P 443 -c 5 example.com', 'mtr --from lax1,fra1 -i 0.5 2001:db8::1'],
  },
  tool: {
    title: 'mtr',
    description:
      'Where on the path does loss or delay start? Traces the path in repeated rounds (like mtr -r) from meshprobe agents and ' +
      'returns per hop the responders, Loss %, packets sent and the Last/Avg/Best/Wrst/StDev round-trip times; a hop whose loss ' +
      'does not carry on to later hops is flagged rateLimited (the router answers slowly, the path is fine).',
    instruction: 'for loss and latency per hop over many rounds',
    referral: 'to see where on a path loss starts use mtr',
    input: (f, c) => ({
      targets: f.targets.describe('The destination (one): a name, IPv4 or IPv6 address.'),
      from: c.from,
      limit: c.limit,
      count: f.count.describe(`Rounds (default ${MTR_COUNT}). The call lasts about count × interval.`),
      intervalMs: f.intervalMs.describe(`Time between rounds in ms (default ${MTR_INTERVAL_MS}).`),
      maxHops: f.maxHops.describe(`Largest TTL (default ${MTR_MAX_HOPS}).`),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
      protocol: f.protocol.describe('icmp (default, as mtr), udp (mtr -u) or tcp (mtr -T, SYN to `port`).'),
      port: f.port.describe('Destination port for udp/tcp probes.'),
      numeric: f.numeric.describe('true: addresses only, no reverse DNS (mtr -n).'),
    }),
    unitsPerPart: (args) => (typeof args['count'] === 'number' ? args['count'] : MTR_COUNT),
  },
  chat: { menu: 'mtr [-s NODE] [-c COUNT] TARGET — loss and latency per hop' },
};
