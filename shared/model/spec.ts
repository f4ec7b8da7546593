/**
 * The measurement spec: one request shape for every front-end (design §4).
 * Validation happens here, once; the hub may clamp further to its own policy.
 */
import { z } from 'zod';

/** Hard limits of the schema. The hub's policy may be stricter, never looser. */
export const Limits = {
  /** Echo requests per target. */
  maxCount: 10_000,
  /** Interval between probes to one target. iputils allows 0 for root; we keep 1 ms. */
  minIntervalMs: 1,
  maxIntervalMs: 60_000,
  minTimeoutMs: 1,
  maxTimeoutMs: 60_000,
  /** ICMP payload bytes (65535 - 20 IP - 8 ICMP). */
  maxSize: 65_507,
  maxTtl: 255,
  maxHops: 64,
  maxQueriesPerHop: 10,
  /** Targets in one request. */
  maxTargets: 64,
  /** Agent selectors in one request. */
  maxFrom: 64,
  /** Smallest IPv4 prefix a sweep may cover by default (/16 = 65,536 addresses). */
  minSweepPrefixV4: 16,
  /** Smallest IPv6 prefix a sweep may cover by default (/112 = 65,536 addresses). */
  minSweepPrefixV6: 112,
  /**
   * Sweep packets per second. 0 means "as fast as allowed" and must be asked for explicitly: a
   * hub lowers it to its policy's rate limit and the agent's packet budget (hub/core/agent-gate.ts).
   */
  maxRate: 1_000_000,
  /** Ping deadline (iputils -w): the whole run stops after this long, whatever the count. */
  minDeadlineMs: 1,
  maxDeadlineMs: 3_600_000,
} as const;

/** Defaults, the same as iputils where the option exists there. */
export const Defaults = {
  count: 4,
  intervalMs: 1000,
  timeoutMs: 2000,
  size: 56,
  ttl: 64,
  maxHops: 30,
  queriesPerHop: 3,
  rate: 1000,
  tracePort: 33434,
  tcpPort: 80,
} as const;

export const MeasurementType = z.enum(['ping', 'traceroute', 'probe']);
export type MeasurementType = z.infer<typeof MeasurementType>;

export const Protocol = z.enum(['icmp', 'udp', 'tcp']);
export type Protocol = z.infer<typeof Protocol>;

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
    /** Hostnames, IPv4/IPv6 literals, or a CIDR for `probe`. */
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
    /** No reverse DNS of responders (traceroute(8)/ping `-n`). */
    numeric: z.boolean({ error: 'numeric must be true or false' }).optional(),
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

/** Ping parameters with defaults filled in: what the agent actually uses. */
export interface PingParams {
  count: number;
  /** Stop the run after this many ms (iputils -w); absent = when `count` probes are settled. */
  deadlineMs?: number;
  intervalMs: number;
  timeoutMs: number;
  size: number;
  ttl: number;
  protocol: Protocol;
  port?: number;
  ipVersion?: 4 | 6;
}

/** Fills in ping defaults. */
export function pingParams(spec: MeasurementSpec): PingParams {
  return {
    // iputils: -w without -c keeps sending until the deadline.
    count: spec.count ?? (spec.deadlineMs !== undefined ? Limits.maxCount : Defaults.count),
    ...(spec.deadlineMs !== undefined ? { deadlineMs: spec.deadlineMs } : {}),
    intervalMs: spec.intervalMs ?? Defaults.intervalMs,
    timeoutMs: spec.timeoutMs ?? Defaults.timeoutMs,
    size: spec.size ?? Defaults.size,
    ttl: spec.ttl ?? Defaults.ttl,
    protocol: spec.protocol ?? 'icmp',
    ...(spec.port !== undefined ? { port: spec.port } : spec.protocol === 'tcp' ? { port: Defaults.tcpPort } : {}),
    ...(spec.ipVersion !== undefined ? { ipVersion: spec.ipVersion } : {}),
  };
}
