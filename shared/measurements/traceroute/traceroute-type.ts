/**
 * traceroute: the routers on the path to one host, traceroute(8)-style.
 */
import { CommonDefaults, Limits } from '../../model/limits.ts';
import { from, json, helpOpt, limit, numeric, protocol, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { TracerouteDefaults } from './traceroute-params.ts';

const D = { ...CommonDefaults, ...TracerouteDefaults };

/** The traceroute measurement type. */
export const tracerouteType: MeasurementTypeDef<'traceroute', typeof TracerouteDefaults> = {
  name: 'traceroute',
  defaults: TracerouteDefaults,
  baseline: true,
  view: 'stream',
  eventKinds: ['hop'],
  targetProblem: (t, spec) => hostTargetProblem(t, spec.ipVersion),
  // It sends its queries for a hop together and waits; a few hops can be in flight.
  packetsPerSecond: (spec) => (spec.queriesPerHop ?? TracerouteDefaults.queriesPerHop) * 4,
  command: {
    verb: 'traceroute',
    missing: 'target',
    single: 'target',
    aliases: ['trace', 'tr', 'traceroute6'],
    usage: 'traceroute [-s NODE]… [-q QUERIES] [-m MAXHOPS] [-w WAIT] [-n] [-4|-6] [-I|-T|-P icmp|udp|tcp] [-p PORT] TARGET',
    summary: 'list the routers on the path to one target',
    options: [
      from,
      limit,
      numeric('print hop addresses only, no reverse DNS lookups'),
      { long: 'icmp', short: 'I', kind: 'flag', sets: { field: 'protocol', value: 'icmp' }, noun: 'icmp', help: 'probe with ICMP echo (= -P icmp, the default here)' },
      { long: 'tcp', short: 'T', kind: 'flag', sets: { field: 'protocol', value: 'tcp' }, noun: 'tcp', help: `probe with TCP SYN (= -P tcp; port ${D.tcpPort} unless -p)` },
      { long: 'queries', short: 'q', kind: 'int', arg: 'QUERIES', field: 'queriesPerHop', noun: 'queries', help: `probes per hop (default ${D.queriesPerHop})` },
      { long: 'max-hops', short: 'm', kind: 'int', arg: 'MAXHOPS', field: 'maxHops', noun: 'max hops', help: `largest TTL probed (default ${D.maxHops}, at most ${Limits.maxHops})` },
      { long: 'wait', short: 'w', aliases: ['timeout'], kind: 'seconds', arg: 'SECONDS', field: 'timeoutMs', noun: 'wait', help: `seconds to wait for each probe (default ${D.timeoutMs / 1000})` },
      v4,
      v6,
      protocol,
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: `UDP base port (default ${D.tracePort}) or TCP port (default ${D.tcpPort})` },
      json,
      helpOpt,
    ],
    examples: ['traceroute 127.0.0.1', 'tr -s lax1 -q 1 -m 20 example.com', 'traceroute -n -T -p 443 2001:db8::1', 'traceroute -n -I 127.0.0.1'],
  },
  tool: {
    title: 'Traceroute',
    description:
      'Which routers does traffic cross on its way to a host, and where is it lost or delayed? Probes with increasing TTL ' +
      'from meshprobe agents and returns each hop with its responders (address, reverse DNS name, RTTs) and loss, and ' +
      'whether the destination was reached. For plain reachability and latency use ping.',
    instruction: 'for the path and where loss or delay starts',
    referral: 'for the path to a host use traceroute',
    input: (f, c) => ({
      targets: f.targets.describe('The destination (usually one): a name, IPv4 or IPv6 address.'),
      from: c.from,
      limit: c.limit,
      maxHops: f.maxHops.describe(`Give up after this many hops (default ${D.maxHops}).`),
      queriesPerHop: f.queriesPerHop.describe(`Probes per hop (default ${D.queriesPerHop}).`),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
      protocol: f.protocol.describe('icmp (default, like traceroute -I), udp (like traceroute without options), or tcp (SYN to `port`, like traceroute -T).'),
      port: f.port.describe(`Destination port for udp/tcp probes (default ${D.tracePort} for udp, counting up per probe; ${D.tcpPort} for tcp).`),
      numeric: f.numeric.describe('true: hop addresses only, no reverse DNS lookups (traceroute -n).'),
    }),
  },
  chat: { menu: 'traceroute [-s NODE] TARGET — the path to a target' },
};
