/**
 * ping: echo requests (or TCP SYN / UDP probes) to one or more hosts, iputils-style.
 */
import { CommonDefaults, Limits } from '../../model/limits.ts';
import { from, json, helpOpt, limit, numeric, protocol, v4, v6 } from '../../command/common-options.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef } from '../measurement-type-def.ts';
import { PingDefaults } from './ping-params.ts';

const D = { ...CommonDefaults, ...PingDefaults };

/** The ping measurement type. */
export const pingType: MeasurementTypeDef<'ping', typeof PingDefaults> = {
  name: 'ping',
  defaults: PingDefaults,
  exclusiveFields: ['deadlineMs'],
  baseline: true,
  monitorable: true,
  view: 'stream',
  deadlineWithoutCount: true,
  eventKinds: ['reply', 'timeout', 'icmp-error'],
  targetProblem: (t, spec) => hostTargetProblem(t, spec.ipVersion),
  packetsPerSecond: (spec) => 1000 / (spec.intervalMs ?? PingDefaults.intervalMs),
  command: {
    verb: 'ping',
    missing: 'target',
    aliases: ['ping6'],
    usage: 'ping [-s NODE]… [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-w DEADLINE] [-nqOD] [-4|-6] [-P icmp|udp|tcp] [-p PORT] [-S SIZE] TARGET…',
    summary: 'send echo requests (or TCP SYN / UDP probes) to one or more targets',
    options: [
      from,
      limit,
      { long: 'count', short: 'c', kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `stop after COUNT probes per target (default ${D.count}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'INTERVAL', field: 'intervalMs', noun: 'interval', help: `seconds between probes, fractions allowed (default ${D.intervalMs / 1000})` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for each reply (default ${D.timeoutMs / 1000})` },
      { long: 'deadline', short: 'w', kind: 'seconds', arg: 'DEADLINE', field: 'deadlineMs', noun: 'deadline', help: 'stop after DEADLINE seconds, whatever the count (alone: until then)' },
      numeric('numeric output: addresses only, no reverse DNS (as always for ping)'),
      { long: 'quiet', short: 'q', kind: 'flag', display: 'quiet', noun: 'quiet', help: 'quiet: only the header and the summary lines at the end' },
      { long: 'outstanding', short: 'O', kind: 'flag', display: 'outstanding', noun: 'outstanding', help: "say 'no answer yet for icmp_seq=N' when a probe times out" },
      { long: 'timestamp', short: 'D', kind: 'flag', display: 'timestamps', noun: 'timestamp', help: 'print the Unix time [1700000000.123456] before each reply line' },
      v4,
      v6,
      protocol,
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: `destination port for -P tcp (default ${D.tcpPort}) or -P udp` },
      { long: 'size', short: 'S', kind: 'int', arg: 'SIZE', field: 'size', noun: 'size', help: `payload bytes (default ${D.size})` },
      { long: 'ttl', short: 't', kind: 'int', arg: 'TTL', field: 'ttl', noun: 'ttl', help: `IP time to live / hop limit (default ${D.ttl})` },
      json,
      helpOpt,
    ],
    examples: ['ping -c 3 127.0.0.1', 'ping -s lax1,fra1 -c 5 example.com ::1', 'ping -P tcp -p 443 -i 0.2 example.com', 'ping -q -w 5 -i 0.2 127.0.0.1', 'ping -D -O -c 3 127.0.0.1'],
  },
  tool: {
    title: 'Ping',
    description:
      'Is a host up, and how fast and how reliably does it answer from a given place? Sends echo requests (ICMP by default, ' +
      'or UDP / a TCP handshake) from meshprobe agents and returns every reply with its round-trip time, timeouts, and ' +
      'statistics per agent×target (sent, received, loss %, min/avg/max/mdev, p50/p90/p99). Use several `from` agents to ' +
      'compare latency from different places.',
    listsReferrals: true,
    instruction: 'for reachability and latency',
    input: (f, c) => ({
      targets: f.targets.describe('Hosts to ping: names, IPv4 or IPv6 addresses. Several targets are measured side by side.'),
      from: c.from,
      limit: c.limit,
      count: f.count.describe(`Echo requests per target (default ${D.count}). Keep it small: the call lasts about count × interval.`),
      intervalMs: f.intervalMs.describe(`Pause between requests to one target, in ms (default ${D.intervalMs}).`),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
      protocol: f.protocol.describe('icmp (default): echo request; udp; tcp: a TCP handshake to `port` (for hosts that drop ICMP).'),
      port: f.port.describe(`Port for protocol tcp or udp (default ${D.tcpPort} for tcp, ${D.tracePort} for udp).`),
      size: f.size.describe(`Payload bytes (default ${D.size}).`),
      ttl: f.ttl.describe(`IP TTL / hop limit of the requests (default ${D.ttl}).`),
      deadlineMs: f.deadlineMs.describe('Stop the whole ping after this many ms, whatever the count (iputils -w); without count it keeps sending until then.'),
    }),
    unitsPerPart: (args) => (typeof args['count'] === 'number' ? args['count'] : D.count),
  },
  chat: { menu: 'ping [-s NODE] [-c COUNT] TARGET — ICMP/UDP/TCP ping' },
};
