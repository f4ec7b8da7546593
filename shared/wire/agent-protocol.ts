/**
 * The hub ↔ agent WebSocket protocol, version 1. The agent dials the hub (so an agent behind
 * NAT needs nothing inbound); every frame is one JSON text message with a `t` (type) field.
 * Liveness uses WebSocket ping/pong control frames in both directions.
 *
 * Agent → hub: `hello` (first frame: attributes), `event` (one measurement event of run `id`),
 * `events` (several, in order: what one run produced in one turn of the agent's event loop),
 * `end` (run `id` finished; no further events for it).
 * Hub → agent: `welcome` (hello accepted), `run` (start measurement `id`), `cancel` (stop it),
 * `token` (the agent's token, renewed: use it from the next connection on), `monitors` (the
 * agent's monitor assignments, the full set), `monitor-changes` (changes to that set),
 * `ack` (reports up to `seq` are stored).
 * Agent → hub, for monitors: `report` (minute rows and route records, numbered `seq`).
 *
 * Many runs are multiplexed over the one connection, told apart by `id` (chosen by the hub).
 * Flow control is bounded at both ends: the hub cancels a run whose client reads too slowly,
 * and the agent cancels a run whose events the hub does not take off the socket fast enough.
 */
import { z } from 'zod';
import { MeasurementSpec } from '../model/spec.ts';
import { MIN_BUCKET, OVERFLOW_BUCKET } from '../model/histogram.ts';
import { MonitorLimits } from '../model/monitor-types.ts';
import { MonitorTypeName } from '../registry.ts';

// The constants (and encodeMessage) live in agent-protocol-constants.ts, without zod: the agent
// reads them (and decodes the hub's few frame types by hand, agent/runtime/decode-hub-frame.ts)
// and so never loads zod.
import { AGENT_NAME_PATTERN, COMPACT_JWT, MAX_BATCH, MAX_TOKEN_CHARS } from './agent-protocol-constants.ts';

const AgentInfoSchema = z
  .object({
    name: z.string().regex(AGENT_NAME_PATTERN, { error: 'name: 1-63 letters, digits, ".", "_" or "-"' }),
    country: z.string().trim().min(1).max(64).optional(),
    city: z.string().trim().min(1).max(128).optional(),
    asn: z.number().int().min(0).max(4_294_967_295).optional(),
    isp: z.string().trim().min(1).max(128).optional(),
    latitude: z.number().min(-90).max(90).optional(),
    longitude: z.number().min(-180).max(180).optional(),
    capabilities: z.array(z.string().max(32)).max(32),
    version: z.string().max(64),
  })
  .strip();

/** First frame from the agent: who it is and what it will accept. */
export const HelloMessage = z.object({
  t: z.literal('hello'),
  v: z.number().int(),
  info: AgentInfoSchema,
  /** The agent's own target restriction (CIDR prefixes); the hub refuses outside it early. */
  allowedRanges: z.array(z.string().max(64)).max(256).optional(),
  /** The agent's own policy mode; it refuses non-public targets itself when `public`. */
  policy: z.enum(['public', 'lan']).optional(),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

/**
 * A measurement event of run `id`. The frame's schema checks the envelope only: `e` is checked
 * by the hub against the schema of its event type (parseEvent, events.ts), one event at a time,
 * so that a bad event ends the one agent×target part it belongs to, not the frame or the link.
 */
export const EventMessage = z.object({
  t: z.literal('event'),
  id: z.number().int().nonnegative(),
  e: z.unknown(),
});
export type EventMessage = z.infer<typeof EventMessage>;

/** Several events of run `id`, in order. Batching keeps frames (and syscalls) per event low at high rates. */
export const EventsMessage = z.object({
  t: z.literal('events'),
  id: z.number().int().nonnegative(),
  es: z.array(z.unknown()).min(1).max(MAX_BATCH),
});
export type EventsMessage = z.infer<typeof EventsMessage>;

/** Run `id` finished on the agent. */
export const EndMessage = z.object({ t: z.literal('end'), id: z.number().int().nonnegative() });
export type EndMessage = z.infer<typeof EndMessage>;

const finiteMs = z.number().finite().nonnegative().max(3_600_000);

/** One minute of one monitor as the agent measured it (shared/model/monitor-types.ts MinuteRow). */
/** Histogram pairs of a row: [bucket, count], at most one per bucket of the grid. */
const histogramPairs = z.array(z.tuple([z.number().int().min(MIN_BUCKET).max(OVERFLOW_BUCKET), z.number().int().positive()])).max(MonitorLimits.maxHistogramPairs);
const count = z.number().int().nonnegative().max(1e9);

export const MinuteRowSchema = z.strictObject({
  m: z.number().int().positive(),
  t: z.number().int().nonnegative().multipleOf(60_000),
  sent: z.number().int().nonnegative().max(1e9),
  recv: z.number().int().nonnegative().max(1e9),
  min: finiteMs.optional(),
  max: finiteMs.optional(),
  sum: z.number().finite().nonnegative(),
  hist: histogramPairs,
  last: finiteMs.optional(),
  lastAt: z.number().int().nonnegative().optional(),
  ewma: z.tuple([finiteMs, finiteMs, finiteMs]).optional(),
  addr: z.string().max(64).optional(),
  err: z.string().max(300).optional(),
  x: z
    .strictObject({
      timeouts: count.optional(),
      drops: count.optional(),
      connects: count.optional(),
      connected: z.union([z.literal(0), z.literal(1)]).optional(),
      rtoMs: finiteMs.optional(),
      lossWindowPct: z.number().finite().min(0).max(100).optional(),
      fwd: histogramPairs.optional(),
      fwdSum: z.number().finite().optional(),
      rev: histogramPairs.optional(),
      revSum: z.number().finite().optional(),
      offsetMs: z.number().finite().optional(),
      offsetErrMs: z.number().finite().nonnegative().optional(),
      unstable: z.union([z.literal(0), z.literal(1)]).optional(),
    })
    .optional(),
}).refine((r) => r.recv <= r.sent, { error: 'recv exceeds sent' });

/** One route-watch trace (shared/model/monitor-types.ts RouteRecord). */
export const RouteRecordSchema = z.strictObject({
  m: z.number().int().positive(),
  at: z.number().int().nonnegative(),
  addr: z.string().max(64),
  hops: z.array(z.string().max(64).nullable()).max(MonitorLimits.maxHops),
  reached: z.boolean(),
});

/**
 * Monitor results the agent has not seen acknowledged: numbered `seq` (increasing per agent
 * process), answered by the hub's `ack` once stored. Rows are keyed, so a report sent again after
 * a cut counts once.
 */
export const ReportMessage = z.strictObject({
  t: z.literal('report'),
  seq: z.number().int().nonnegative(),
  rows: z.array(MinuteRowSchema).max(MonitorLimits.maxRowsPerReport),
  routes: z.array(RouteRecordSchema).max(MonitorLimits.maxRoutesPerReport).optional(),
});
export type ReportMessage = z.infer<typeof ReportMessage>;

/** Every agent → hub frame (one entry per message type, so that an added type is one line). */
export const AgentMessage = z.discriminatedUnion('t', [
  HelloMessage,
  EventMessage,
  EventsMessage,
  EndMessage,
  ReportMessage,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

/** The hub accepted the hello. `heartbeatMs` tells the agent how often the hub pings. */
export const WelcomeMessage = z.object({
  t: z.literal('welcome'),
  v: z.number().int(),
  heartbeatMs: z.number().int().positive(),
  /** The hub's policy mode, which the agent enforces after resolution too. */
  policy: z.enum(['public', 'lan']),
});
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;

/**
 * Start measuring `spec` as run `id`. `policy` is the hub's mode for this run; `allowedRanges`
 * the prefixes the hub allows this agent (checked by the agent after resolution, on top of its
 * own; an agent that predates the field ignores it, and the hub still refuses literals).
 */
export const RunMessage = z.object({
  t: z.literal('run'),
  id: z.number().int().nonnegative(),
  spec: MeasurementSpec,
  policy: z.enum(['public', 'lan']),
  allowedRanges: z.array(z.string().max(64)).max(256).optional(),
});
export type RunMessage = z.infer<typeof RunMessage>;

/** Stop run `id`; the agent still answers `end`. */
export const CancelMessage = z.object({ t: z.literal('cancel'), id: z.number().int().nonnegative() });
export type CancelMessage = z.infer<typeof CancelMessage>;

/**
 * The agent's token, renewed by the hub before the current one expires (same subject, scopes and
 * token id, a later `exp`). The agent keeps using its connection, dials with this token from now
 * on and may store it (`--token-file`). A revoked token is not renewed.
 */
export const TokenMessage = z.strictObject({
  t: z.literal('token'),
  /** A compact JWT: three base64url parts. */
  token: z.string().max(MAX_TOKEN_CHARS).regex(COMPACT_JWT, { error: 'token: not a compact JWT' }),
});
export type TokenMessage = z.infer<typeof TokenMessage>;

/** One monitor assignment (shared/model/monitor-types.ts MonitorAssignment). */
const MonitorAssignmentSchema = z.strictObject({
  id: z.number().int().positive(),
  type: MonitorTypeName,
  target: z.string().min(1).max(253),
  intervalMs: z.number().int().min(MonitorLimits.minIntervalMs).max(MonitorLimits.maxIntervalMs),
  timeoutMs: z.number().int().positive().max(60_000),
  traceMs: z.number().int().min(MonitorLimits.minTraceMs).max(MonitorLimits.maxTraceMs).optional(),
  family: z.union([z.literal(4), z.literal(6)]).optional(),
  legacy: z.literal(true).optional(),
  fixedTimeout: z.literal(true).optional(),
  rev: z.number().int().nonnegative(),
});

/**
 * The agent's monitor assignments, the full set (shared/model/monitor-types.ts): sent after
 * `welcome` and whenever the set changes (or, to an agent that announces
 * MONITOR_CHANGES_CAPABILITY, whenever the scope changes; other changes go as `monitor-changes`).
 * The agent starts what is new, stops what is gone and restarts what has another `rev`; it keeps
 * running them while the hub is away.
 */
export const MonitorsMessage = z.strictObject({
  t: z.literal('monitors'),
  list: z.array(MonitorAssignmentSchema).max(MonitorLimits.maxAssignmentsPerAgent),
  /** The hub's policy mode and this agent's allowed prefixes, as for a `run`. */
  policy: z.enum(['public', 'lan']),
  allowedRanges: z.array(z.string().max(64)).max(256).optional(),
});
export type MonitorsMessage = z.infer<typeof MonitorsMessage>;

/**
 * Changes to the set of the last `monitors` frame on this connection, to an agent that announces
 * MONITOR_CHANGES_CAPABILITY: `set` adds or replaces assignments (by id), `drop` removes ids. The
 * scope (policy, ranges) stays that of the last `monitors` frame. A monitor added or removed costs
 * a frame of its own size rather than the whole set's (~100 bytes, not ~1 MB at 10,000 monitors).
 * The set after the change is bound as a full one is (MonitorLimits.maxAssignmentsPerAgent).
 */
export const MonitorChangesMessage = z.strictObject({
  t: z.literal('monitor-changes'),
  set: z.array(MonitorAssignmentSchema).max(MonitorLimits.maxAssignmentsPerAgent),
  drop: z.array(z.number().int().positive()).max(MonitorLimits.maxAssignmentsPerAgent),
});
export type MonitorChangesMessage = z.infer<typeof MonitorChangesMessage>;

/** The hub stored every report up to and including `seq` (durably): the agent may drop them. */
export const AckMessage = z.strictObject({ t: z.literal('ack'), seq: z.number().int().nonnegative() });
export type AckMessage = z.infer<typeof AckMessage>;

/** Every hub → agent frame. */
export const HubMessage = z.discriminatedUnion('t', [WelcomeMessage, RunMessage, CancelMessage, TokenMessage, MonitorsMessage, MonitorChangesMessage, AckMessage]);
export type HubMessage = z.infer<typeof HubMessage>;

/** Result of decoding one frame: the message, or a one-line reason. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: string };

/**
 * Parses one frame and checks it against `schema`; a frame that passes `fast` (a hand-written
 * check of the same rules) skips zod.
 */
function decode<T>(schema: z.ZodType<T>, text: string, fast?: (json: unknown) => json is T): Decoded<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (fast?.(json)) return { ok: true, message: json };
  const r = schema.safeParse(json);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.join('.');
  return { ok: false, reason: `bad frame${path ? ` at ${path}` : ''}: ${issue.message}` };
}

/** Decodes an agent → hub frame. Never throws. */
export function decodeAgentMessage(text: string): Decoded<AgentMessage> {
  // Event frames are nearly all the traffic: check their envelope by hand (same rules as the
  // schema) and leave everything else, including every malformed envelope, to zod. The events
  // inside are checked one by one where they are relayed (parseEvent, events.ts).
  return decode(AgentMessage, text, isFastEvent);
}

function isFastEvent(json: unknown): json is EventMessage | EventsMessage {
  if (typeof json !== 'object' || json === null) return false;
  const m = json as { t?: unknown; id?: unknown; e?: unknown; es?: unknown };
  if (typeof m.id !== 'number' || !Number.isInteger(m.id) || m.id < 0) return false;
  const keys = Object.keys(m).length;
  if (m.t === 'event') return keys === 3 && 'e' in m;
  if (m.t === 'events') return keys === 3 && Array.isArray(m.es) && m.es.length >= 1 && m.es.length <= MAX_BATCH;
  return false;
}

/** Decodes a hub → agent frame. Never throws. */
export function decodeHubMessage(text: string): Decoded<HubMessage> {
  return decode(HubMessage, text);
}

