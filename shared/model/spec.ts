/**
 * The measurement spec: one request shape for every front-end (design §4).
 * Validation happens here, once; the hub may clamp further to its own policy.
 */
import { z } from 'zod';
import { DNS_QUERY_TYPES, Limits } from './limits.ts';
import { MeasurementType } from '../registry.ts';


export const Protocol = z.enum(['icmp', 'udp', 'tcp']);
export type Protocol = z.infer<typeof Protocol>;

const text = (name: string) =>
  z
    .string({ error: `${name} must be text` })
    .trim()
    .min(1, { error: `${name} must not be empty` })
    .max(Limits.maxTextField, { error: `${name} is at most ${Limits.maxTextField} characters` });

const bool = (name: string) => z.boolean({ error: `${name} must be true or false` });

const int = (name: string, min: number, max: number) =>
  z
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(max, { error: `${name} must be at most ${max}` });

/** The request every front-end sends and every agent executes. */
export const MeasurementSpec = z
  .object({
    type: MeasurementType,
    /** Hostnames, IPv4/IPv6 literals, or CIDR prefixes, as the type reads them (shared/measurements/). */
    targets: z
      .array(z.string().trim().min(1, { error: 'a target must not be empty' }).max(253, { error: 'a target is at most 253 characters' }))
      .min(1, { error: 'targets: give at least one target' })
      .max(Limits.maxTargets, { error: `targets: at most ${Limits.maxTargets} targets` }),
    /** Agent selectors: a node name (`lax1`) or attribute filters (`country=DE`). Empty = any agent. */
    from: z
      .array(z.string().trim().min(1, { error: 'an agent selector must not be empty' }).max(200, { error: 'an agent selector is at most 200 characters' }))
      .max(Limits.maxFrom, { error: `from: at most ${Limits.maxFrom} agent selectors` })
      .default([]),
    /** Pick this many agents of those that match `from`. */
    limit: int('limit', 1, Limits.maxFrom).optional(),
    count: int('count', 1, Limits.maxCount).optional(),
    intervalMs: int('intervalMs', Limits.minIntervalMs, Limits.maxIntervalMs).optional(),
    timeoutMs: int('timeoutMs', Limits.minTimeoutMs, Limits.maxTimeoutMs).optional(),
    ipVersion: z.union([z.literal(4), z.literal(6)], { error: 'ipVersion must be 4 or 6' }).optional(),
    protocol: Protocol.optional(),
    port: int('port', 1, 65_535).optional(),
    size: int('size', 0, Limits.maxSize).optional(),
    ttl: int('ttl', 1, Limits.maxTtl).optional(),
    maxHops: int('maxHops', 1, Limits.maxHops).optional(),
    queriesPerHop: int('queriesPerHop', 1, Limits.maxQueriesPerHop).optional(),
    /** Sweep packets per second; 0 = as fast as allowed (explicit only). */
    rate: int('rate', 0, Limits.maxRate).optional(),
    /**
     * Ping: stop the whole run after this many ms, sent or not (iputils `-w`). Without `count`
     * the run keeps sending until the deadline (at most {@link Limits.maxCount} probes).
     */
    deadlineMs: int('deadlineMs', Limits.minDeadlineMs, Limits.maxDeadlineMs).optional(),
    /** No reverse DNS of responders (the classic tools' `-n`). */
    numeric: z.boolean({ error: 'numeric must be true or false' }).optional(),
    // dns and http (issue 15); each type lists the fields only it reads as its exclusiveFields.
    /** dns: the record type asked for (`--type`; `-x` sets PTR). */
    queryType: z.enum(DNS_QUERY_TYPES, { error: `queryType must be one of ${DNS_QUERY_TYPES.join(', ')}` }).optional(),
    /** dns: the server asked, `ADDR[:PORT]` or a name (DoT verifies its certificate against it). */
    server: text('server').optional(),
    /** dns: udp (default, TCP on truncation), tcp, dot (RFC 7858) or doh (RFC 8484). */
    transport: z.enum(['udp', 'tcp', 'dot', 'doh'], { error: 'transport must be udp, tcp, dot or doh' }).optional(),
    /** dns: the DoH URL (implies transport doh). */
    dohUrl: text('dohUrl').optional(),
    /** dns: resolve iteratively from the root servers, one step per delegation (dig +trace). */
    trace: bool('trace').optional(),
    /** dns: the root servers of `trace`, `ADDR[:PORT]` each (a lab's own). */
    roots: z.array(text('roots'), { error: 'roots must be a list' }).max(Limits.maxListField, { error: `roots: at most ${Limits.maxListField} servers` }).optional(),
    /** dns: ask for DNSSEC records (the DO bit) and report AD. */
    dnssec: bool('dnssec').optional(),
    /** dns (DoT, DoH) and http: do not verify the server's certificate. */
    insecure: bool('insecure').optional(),
    /** http: the request method. */
    method: z.enum(['GET', 'HEAD', 'OPTIONS'], { error: 'method must be GET, HEAD or OPTIONS' }).optional(),
    /** http: extra request headers, `Name: value` each. */
    headers: z.array(text('headers'), { error: 'headers must be a list' }).max(Limits.maxListField, { error: `headers: at most ${Limits.maxListField} headers` }).optional(),
    /** http: offer HTTP/2 (ALPN h2) over TLS. */
    http2: bool('http2').optional(),
    /** http: ask for HTTP/3, which this agent cannot speak: refused with a reason, never a silent fallback. */
    http3: bool('http3').optional(),
    /** http: `HOST:PORT:ADDR` entries, as curl's --resolve: connect there instead of resolving HOST. */
    resolve: z.array(text('resolve'), { error: 'resolve must be a list' }).max(Limits.maxListField, { error: `resolve: at most ${Limits.maxListField} entries` }).optional(),
    /** http: bytes of the body kept. */
    maxBody: int('maxBody', 0, Limits.maxBody).optional(),
    /** http: follow redirects (each hop checked like the first). */
    follow: bool('follow').optional(),
  })
  .strict();

export type MeasurementSpec = z.infer<typeof MeasurementSpec>;
/** What callers may send before defaults are applied. */
export type MeasurementSpecInput = z.input<typeof MeasurementSpec>;

export type SpecResult =
  | { ok: true; spec: MeasurementSpec }
  | { ok: false; field: string; message: string };

const FIELDS = Object.keys(MeasurementSpec.shape);

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'string' ? 'text' : `a ${typeof v}`;
}

/**
 * The messages of the issues the schema does not word itself (missing fields, wrong JSON
 * types, unknown keys, enum values): zod's own texts never reach a user.
 */
const issueText: z.core.$ZodErrorMap = (iss) => {
  const field = iss.path?.length ? iss.path.join('.') : '';
  switch (iss.code) {
    case 'unrecognized_keys': {
      const keys = iss.keys.map((k) => `'${k}'`).join(', ');
      return `unknown field${iss.keys.length > 1 ? 's' : ''} ${keys} (known: ${FIELDS.join(', ')})`;
    }
    case 'invalid_value':
      return `${field || 'value'} must be ${iss.values.map(String).join(', ').replace(/, ([^,]*)$/, ' or $1')}`;
    case 'invalid_type': {
      if (!field) return `the request must be a JSON object, not ${kindOf(iss.input)}`;
      if (iss.input === undefined) return `${field} is required`;
      const want = iss.expected === 'array' ? 'a list' : iss.expected === 'string' ? 'text' : `a ${iss.expected}`;
      return `${field} must be ${want}, not ${kindOf(iss.input)}`;
    }
    default:
      return `${field || 'the request'} is not valid`;
  }
};

/**
 * Checks an untrusted request body against the schema alone. Never throws; the message names
 * the field and the bound. Front-ends use {@link validateSpec} (shared/model/validate-spec.ts), which
 * adds the checks of the targets.
 */
export function parseSpec(input: unknown): SpecResult {
  const r = MeasurementSpec.safeParse(input, { error: issueText });
  if (r.success) return { ok: true, spec: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? issue.keys[0]! : String(issue.path[0] ?? '');
  const path = issue.path.join('.');
  const message = !path || issue.message.startsWith(field) ? issue.message : `${path}: ${issue.message}`;
  return { ok: false, field, message };
}
