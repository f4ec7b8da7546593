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
  /** Sweep packets per second; 0 means unlimited and must be asked for explicitly. */
  maxRate: 1_000_000,
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
    from: z.array(z.string().trim().min(1)).max(Limits.maxFrom).default([]),
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
    /** Sweep packets per second; 0 = unlimited (explicit only). */
    rate: int('rate', 0, Limits.maxRate).optional(),
  })
  .strict();

export type MeasurementSpec = z.infer<typeof MeasurementSpec>;
/** What callers may send before defaults are applied. */
export type MeasurementSpecInput = z.input<typeof MeasurementSpec>;

export type SpecResult =
  | { ok: true; spec: MeasurementSpec }
  | { ok: false; message: string };

/** Validates an untrusted request body. Never throws; the message names the field and the bound. */
export function parseSpec(input: unknown): SpecResult {
  const r = MeasurementSpec.safeParse(input);
  if (r.success) return { ok: true, spec: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.length ? issue.path.join('.') : '';
  const message = issue.message.startsWith(String(issue.path[0] ?? '\0')) || !path
    ? issue.message
    : `${path}: ${issue.message}`;
  return { ok: false, message };
}

/** Ping parameters with defaults filled in: what the agent actually uses. */
export interface PingParams {
  count: number;
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
    count: spec.count ?? Defaults.count,
    intervalMs: spec.intervalMs ?? Defaults.intervalMs,
    timeoutMs: spec.timeoutMs ?? Defaults.timeoutMs,
    size: spec.size ?? Defaults.size,
    ttl: spec.ttl ?? Defaults.ttl,
    protocol: spec.protocol ?? 'icmp',
    ...(spec.port !== undefined ? { port: spec.port } : spec.protocol === 'tcp' ? { port: Defaults.tcpPort } : {}),
    ...(spec.ipVersion !== undefined ? { ipVersion: spec.ipVersion } : {}),
  };
}
