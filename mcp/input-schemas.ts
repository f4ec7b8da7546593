/**
 * The tools' input schemas: raw zod shapes built from the very field schemas of
 * shared/model/spec.ts, so the bounds a model sees in tools/list and the messages it gets back are
 * the ones every other front-end uses. Only descriptions are added here.
 */
import { z } from 'zod';
import { Defaults, Limits, MeasurementSpec } from '../shared/model/spec.ts';

const f = MeasurementSpec.shape;

const from = z
  .array(z.string().trim().min(1))
  .max(Limits.maxFrom)
  .optional()
  .describe('Agents to measure from: node names such as "lax1", or filters such as "country=DE", "city=Berlin", "asn=64500". Omit to use any agent. Call list_agents to see the agents.');
const limit = f.limit.describe('Use only this many of the agents that match `from`, spread across networks and cities.');
const ipVersion = f.ipVersion.describe('Force IPv4 (4) or IPv6 (6) when a name has both.');
const timeoutMs = f.timeoutMs.describe(`How long to wait for each answer, in ms (default ${Defaults.timeoutMs}).`);

/** Input of the `ping` tool. */
export const PingInput = {
  targets: f.targets.describe('Hosts to ping: names, IPv4 or IPv6 addresses. Several targets are measured side by side.'),
  from,
  limit,
  count: f.count.describe(`Echo requests per target (default ${Defaults.count}). Keep it small: the call lasts about count × interval.`),
  intervalMs: f.intervalMs.describe(`Pause between requests to one target, in ms (default ${Defaults.intervalMs}).`),
  timeoutMs,
  ipVersion,
  protocol: f.protocol.describe('icmp (default): echo request; udp; tcp: a TCP handshake to `port` (for hosts that drop ICMP).'),
  port: f.port.describe(`Port for protocol tcp or udp (default ${Defaults.tcpPort} for tcp, ${Defaults.tracePort} for udp).`),
  size: f.size.describe(`Payload bytes (default ${Defaults.size}).`),
  ttl: f.ttl.describe(`IP TTL / hop limit of the requests (default ${Defaults.ttl}).`),
  deadlineMs: f.deadlineMs.describe('Stop the whole ping after this many ms, whatever the count (iputils -w); without count it keeps sending until then.'),
};

/** Input of the `traceroute` tool. */
export const TracerouteInput = {
  targets: f.targets.describe('The destination (usually one): a name, IPv4 or IPv6 address.'),
  from,
  limit,
  maxHops: f.maxHops.describe(`Give up after this many hops (default ${Defaults.maxHops}).`),
  queriesPerHop: f.queriesPerHop.describe(`Probes per hop (default ${Defaults.queriesPerHop}).`),
  timeoutMs,
  ipVersion,
  protocol: f.protocol.describe('icmp (default, like traceroute -I), udp (like traceroute without options), or tcp (SYN to `port`, like traceroute -T).'),
  port: f.port.describe(`Destination port for udp/tcp probes (default ${Defaults.tracePort} for udp, counting up per probe; ${Defaults.tcpPort} for tcp).`),
  numeric: f.numeric.describe('true: hop addresses only, no reverse DNS lookups (traceroute -n).'),
};

/** Input of the `probe` tool (CIDR sweep). */
export const ProbeInput = {
  targets: f.targets.describe(`The prefix to sweep, in CIDR notation, e.g. "192.0.2.0/24" (at most /${Limits.minSweepPrefixV4} for IPv4, /${Limits.minSweepPrefixV6} for IPv6).`),
  from,
  limit,
  rate: f.rate.describe(`Echo requests per second across the sweep (default ${Defaults.rate}).`),
  timeoutMs,
};

/** Input of the `list_agents` tool. */
export const ListAgentsInput = {
  filter: z
    .string()
    .trim()
    .max(200)
    .optional()
    .describe('Show only agents whose name, country, city, ASN or ISP contains this text (case-insensitive).'),
};

/**
 * The schema a measurement tool is registered with: the same JSON Schema in tools/list (types,
 * bounds, descriptions, required fields), but every value passes the SDK's own check unchanged,
 * so the tool handler validates the request through shared/model/validate-spec.ts and the model gets
 * the one-line refusal every other front-end gives (not zod's text behind the SDK's prefix).
 */
export function lenientInput(shape: Record<string, z.ZodType>, required: string[] = ['targets']) {
  const fields: Record<string, z.ZodType> = {};
  for (const [k, s] of Object.entries(shape)) {
    const { $schema: _drop, ...json } = z.toJSONSchema(s, { io: 'input' }) as Record<string, unknown>;
    fields[k] = z.unknown().optional().meta(json);
  }
  return z.looseObject(fields).meta({ required });
}
