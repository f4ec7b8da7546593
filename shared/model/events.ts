/**
 * The event stream (design §5). One JSON object per NDJSON line. Every event has `type`;
 * per-target events carry `agent` and `target` (the target as the user wrote it).
 * `done` is always the last line of a stream.
 */
import { z } from 'zod';
import { Protocol } from './spec.ts';
import { MeasurementType, measurementType } from '../registry.ts';
import { AddressInfoSchema, type AddressInfo } from '../net/address-info.ts';
import { isBoundedJsonObject } from './bounded-json.ts';

/** Statistics computed once (agent side, shared/model/stats.ts) and carried on the wire. */
export interface PingStats {
  sent: number;
  received: number;
  /** Percent, 0–100, not rounded. */
  lossPct: number;
  /** Round-trip times in ms; null when nothing was received. */
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
  /** Mean deviation as iputils computes it: sqrt(mean(x²) − mean(x)²). */
  mdevMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

interface TargetScoped {
  /** Name of the agent that measured. */
  agent: string;
  /** The target as given in the request. */
  target: string;
}

/** Per agent×target: what is about to be measured and with which parameters. */
export interface StartEvent extends TargetScoped {
  type: 'start';
  measurement: MeasurementType;
  /** The resolved address (for `probe`: the normalised prefix). */
  address: string;
  family: 4 | 6;
  protocol: Protocol;
  /** Parameters actually used, after defaults and clamps. */
  params: Record<string, number | string | boolean>;
  /** A remark such as "unprivileged ICMP datagram socket" or "TCP connect() fallback". */
  note?: string;
  /** Enrichment of `address`, added by the hub (issue 16). */
  info?: AddressInfo;
}

/** A response to probe `seq`. */
export interface ReplyEvent extends TargetScoped {
  type: 'reply';
  seq: number;
  /** TTL / hop limit of the reply, when the socket reports it. */
  ttl: number | null;
  /** Kernel receive timestamp − send timestamp, in ms. */
  rttMs: number;
  /** ICMP bytes received (header + payload), like iputils prints. */
  bytes: number;
  /** Source address of the reply. */
  from: string;
  /** For TCP ping: 'syn-ack' | 'rst'; otherwise absent. */
  kind?: string;
  /**
   * One-way delays of this exchange, through both hosts' clocks (receive − send): out to the
   * target and back, in ms; negative when the clocks are apart by more than the delay.
   */
  forwardMs?: number;
  reverseMs?: number;
}

/** No response to `seq` within the timeout. */
export interface TimeoutEvent extends TargetScoped {
  type: 'timeout';
  seq: number;
}

export type IcmpErrorKind = 'unreachable' | 'time-exceeded' | 'packet-too-big' | 'parameter-problem' | 'other';

/** An ICMP error seen for a probe of ours. */
export interface IcmpErrorEvent extends TargetScoped {
  type: 'icmp-error';
  seq: number;
  kind: IcmpErrorKind;
  icmpType: number;
  icmpCode: number;
  /** Who sent the ICMP error. */
  from: string;
  /** Next-hop MTU for packet-too-big / fragmentation-needed. */
  mtu?: number;
  /** Human-readable, e.g. "Destination Host Unreachable". */
  message: string;
  rttMs?: number;
}

/** One responder at a hop of a path measurement. */
export interface HopResponder {
  address: string;
  /** Reverse DNS name, when known. */
  name?: string;
  rttsMs: number[];
  /** For the last hop: 'reply' | 'unreachable' | 'syn-ack' | 'rst'; for routers: 'time-exceeded'. */
  kind?: string;
  /** ICMP unreachable annotation, iputils-style: '!H', '!N', '!P', '!X', '!F-1400'. */
  annotation?: string;
  /** Next-hop MTU when the responder said fragmentation needed / packet too big. */
  mtu?: number;
  /** Repeated rounds: replies from this responder so far (its `rttsMs` holds only the latest). */
  replies?: number;
  /** Enrichment of `address` (ASN, place, label, BGP prefix), added by the hub (issue 16). */
  info?: AddressInfo;
}

/** Repeated rounds: a hop's round-trip statistics so far (Last, Avg, Best, Wrst and StDev columns), in ms. */
export interface HopRttStats {
  lastMs: number;
  avgMs: number;
  bestMs: number;
  worstMs: number;
  /** Sample standard deviation (0 with one reply). */
  stdevMs: number;
}

/**
 * A type's own JSON report in its summary, in the shape a reference tool prints (the repeated-rounds
 * trace carries its reference tool's JSON report; its folder defines the shape). Bounded JSON: objects of at
 * most 64 keys, arrays of at most 256 items, strings of at most 256 characters, finite numbers,
 * nested at most 6 deep (shared/model/bounded-json.ts).
 */
export type ToolReport = Readonly<Record<string, unknown>>;

/** Traceroute: everything learned about one TTL. */
export interface HopEvent extends TargetScoped {
  type: 'hop';
  ttl: number;
  responders: HopResponder[];
  sent: number;
  received: number;
  lossPct: number;
  /** Repeated rounds: rounds so far; a later hop event of the same TTL replaces this one. */
  round?: number;
  /** Repeated rounds: the hop's RTT statistics over every round (absent before its first reply). */
  rtt?: HopRttStats;
  /**
   * Repeated rounds: this hop lost more than a later hop did, so its loss is its own answering (ICMP rate
   * limiting or a deprioritised control plane), not loss of forwarded traffic.
   */
  rateLimited?: boolean;
}

/** Sweep: an ICMP destination unreachable that quoted our echo request to the address. */
export interface HostUnreachable {
  /** Who said so (a router, or the host's own stack). */
  from: string;
  /** 3 (IPv4 destination unreachable) or 1 (ICMPv6), and its code: 1 host, 13 / 1 administratively prohibited, … */
  icmpType: number;
  icmpCode: number;
  /** Human-readable, e.g. "Destination Host Unreachable". */
  message: string;
}

/**
 * Sweep: one address and its RTT, or null when it did not answer. A host that did not answer
 * but for which an ICMP destination unreachable came back carries `unreachable` (optional: older
 * agents and silent hosts leave it out).
 */
export interface HostEvent extends TargetScoped {
  type: 'host';
  address: string;
  rttMs: number | null;
  unreachable?: HostUnreachable;
}

/**
 * One answer of a type that asks questions rather than counting echoes (dns, http): a DNS
 * response, a step of a DNS trace, an HTTP response or one redirect hop. `data` is the type's own
 * shape, checked against the schema its definition declares (MeasurementTypeDef.answer).
 */
export interface AnswerEvent extends TargetScoped {
  type: 'answer';
  measurement: MeasurementType;
  /** 1, 2, … within the part (trace steps, redirect hops). */
  seq: number;
  data: Record<string, unknown>;
}

/** Per agent×target statistics; the last event for that pair. */
export interface SummaryEvent extends TargetScoped, PingStats {
  type: 'summary';
  measurement: MeasurementType;
  address?: string;
  /** Wall time of this agent×target part in ms. */
  durationMs: number;
  /** Traceroute: the destination answered. */
  reached?: boolean;
  /** Traceroute: the number of hops listed. */
  hops?: number;
  /** Sweep: hosts that answered / hosts probed. */
  hostsUp?: number;
  hostsTotal?: number;
  /**
   * Sweep: replies the agent's kernel dropped because the receive buffer was full, as the kernel
   * counts them (SO_RXQ_OVFL / SO_MEMINFO; Linux 6.18 was seen counting a raw socket's drop twice).
   */
  kernelDrops?: number;
  /** The type's own report (ToolReport). */
  report?: ToolReport;
}

/** A failure of one agent×target (or of the whole request when agent/target are absent). */
export interface ErrorEvent {
  type: 'error';
  agent?: string;
  target?: string;
  /** A stable MP_ERR_* code. */
  code: string;
  /** One line, safe to show to users. */
  message: string;
}

/**
 * Enrichment that arrived after the address was sent (issue 16): a slower source (an online
 * provider) answered for an address this stream already carried in a `start` or a `hop`. The
 * hub sends it at most once per address per stream, before `done`; agents never send it. Without
 * `agent`/`target` it concerns every part that shows the address. Renderers that redraw fold it
 * into what they show (shared/render/measurement-fold.ts); streams that cannot may ignore it.
 */
export interface InfoEvent {
  type: 'info';
  agent?: string;
  target?: string;
  address: string;
  /** Everything known of `address` now (replaces what the earlier events carried). */
  info: AddressInfo;
}

/** Always the last line of a stream. */
export interface DoneEvent {
  type: 'done';
  /** Agent×target pairs that ran. */
  parts: number;
  sent: number;
  received: number;
  errors: number;
  durationMs: number;
}

export type MeasurementEvent =
  | StartEvent
  | ReplyEvent
  | TimeoutEvent
  | IcmpErrorEvent
  | HopEvent
  | HostEvent
  | AnswerEvent
  | SummaryEvent
  | ErrorEvent
  | InfoEvent
  | DoneEvent;

export type EventType = MeasurementEvent['type'];

/** Tallies a stream into the `done` totals. Pure: feed it every event, then call `done()`. */
export class DoneTally {
  #parts = 0;
  #sent = 0;
  #received = 0;
  #errors = 0;
  add(e: MeasurementEvent): void {
    if (e.type === 'summary') {
      this.#parts++;
      this.#sent += e.sent;
      this.#received += e.received;
    } else if (e.type === 'error') {
      this.#errors++;
    }
  }
  done(durationMs: number): DoneEvent {
    return { type: 'done', parts: this.#parts, sent: this.#sent, received: this.#received, errors: this.#errors, durationMs };
  }
}

// ---------------------------------------------------------------------------------------------
// Schemas. Events from agents are untrusted (issue 11 item 3): a hub relays an agent's event only
// after it passed the schema of its type, so every renderer, the tally and the metrics see
// finite, bounded numbers, capped strings and capped arrays, and only the types above.
// Objects strip unknown keys (a newer agent may add an optional field; nothing downstream sees
// it) rather than refusing them; an unknown `type` is refused. The type checks at the end keep
// each schema and its interface equal, so a field added to one and not the other fails tsc.

/** Longest string field of an event (a message, a reverse DNS name is at most 253). */
export const MAX_EVENT_STRING = 512;
/** Most responders in one hop event, and most RTTs per responder. */
export const MAX_EVENT_ARRAY = 64;
/** Largest ms value an event may carry (a day); larger is not a measurement of ours. */
const MAX_MS = 86_400_000;
/** Largest count (packets sent, hosts probed, probe sequence numbers). */
const MAX_COUNT = 4_294_967_295;

const str = (max = MAX_EVENT_STRING) => z.string().max(max);
const ms = () => z.number().min(0).max(MAX_MS);
const count = () => z.number().int().min(0).max(MAX_COUNT);
const byte = () => z.number().int().min(0).max(255);
const mtu = () => z.number().int().min(0).max(MAX_COUNT);
const address = () => z.string().max(64);
const scoped = { agent: str(64), target: str(256) };

const StartEventSchema = z.object({
  type: z.literal('start'),
  ...scoped,
  measurement: MeasurementType,
  address: address(),
  family: z.union([z.literal(4), z.literal(6)]),
  protocol: Protocol,
  params: z.record(str(64), z.union([z.number().min(-MAX_COUNT).max(MAX_COUNT), str(256), z.boolean()])).refine((p) => Object.keys(p).length <= 32, 'more than 32 params'),
  note: str(256).optional(),
  info: AddressInfoSchema.optional(),
});
const ReplyEventSchema = z.object({
  type: z.literal('reply'),
  ...scoped,
  seq: count(),
  ttl: byte().nullable(),
  rttMs: ms(),
  bytes: count(),
  from: address(),
  kind: str(32).optional(),
  forwardMs: z.number().min(-MAX_MS).max(MAX_MS).optional(),
  reverseMs: z.number().min(-MAX_MS).max(MAX_MS).optional(),
});
const TimeoutEventSchema = z.object({ type: z.literal('timeout'), ...scoped, seq: count() });
const IcmpErrorEventSchema = z.object({
  type: z.literal('icmp-error'),
  ...scoped,
  seq: count(),
  kind: z.enum(['unreachable', 'time-exceeded', 'packet-too-big', 'parameter-problem', 'other']),
  icmpType: byte(),
  icmpCode: byte(),
  from: address(),
  mtu: mtu().optional(),
  message: str(256),
  rttMs: ms().optional(),
});
const HopResponderSchema = z.object({
  address: address(),
  name: str(256).optional(),
  rttsMs: z.array(ms()).max(MAX_EVENT_ARRAY),
  kind: str(32).optional(),
  annotation: str(32).optional(),
  mtu: mtu().optional(),
  replies: count().optional(),
  info: AddressInfoSchema.optional(),
});
const HopRttStatsSchema = z.object({ lastMs: ms(), avgMs: ms(), bestMs: ms(), worstMs: ms(), stdevMs: ms() });
const ToolReportSchema = z.custom<ToolReport>((v) => isBoundedJsonObject(v), { error: 'report: not a bounded JSON object' });
const HopEventSchema = z.object({
  type: z.literal('hop'),
  ...scoped,
  ttl: z.number().int().min(1).max(255),
  responders: z.array(HopResponderSchema).max(MAX_EVENT_ARRAY),
  sent: count(),
  received: count(),
  lossPct: z.number().min(0).max(100),
  round: count().optional(),
  rtt: HopRttStatsSchema.optional(),
  rateLimited: z.boolean().optional(),
});
const HostEventSchema = z.object({
  type: z.literal('host'),
  ...scoped,
  address: address(),
  rttMs: ms().nullable(),
  unreachable: z.object({ from: address(), icmpType: byte(), icmpCode: byte(), message: str(256) }).optional(),
});
/** Largest `data` of an answer event, as JSON characters (an HTTP body prefix is at most 64 KiB). */
export const MAX_ANSWER_JSON = 256 * 1024;
const AnswerEventSchema = z.object({
  type: z.literal('answer'),
  ...scoped,
  measurement: MeasurementType,
  seq: count(),
  data: z.record(str(64), z.unknown()).refine((d) => JSON.stringify(d).length <= MAX_ANSWER_JSON, `data is larger than ${MAX_ANSWER_JSON} characters`),
});
const SummaryEventSchema = z.object({
  type: z.literal('summary'),
  ...scoped,
  sent: count(),
  received: count(),
  lossPct: z.number().min(0).max(100),
  minMs: ms().nullable(),
  avgMs: ms().nullable(),
  maxMs: ms().nullable(),
  mdevMs: ms().nullable(),
  p50Ms: ms().nullable(),
  p90Ms: ms().nullable(),
  p99Ms: ms().nullable(),
  measurement: MeasurementType,
  address: address().optional(),
  durationMs: z.number().min(0).max(MAX_COUNT * 1000),
  reached: z.boolean().optional(),
  hops: z.number().int().min(0).max(255).optional(),
  hostsUp: count().optional(),
  hostsTotal: count().optional(),
  kernelDrops: count().optional(),
  report: ToolReportSchema.optional(),
});
const ErrorEventSchema = z.object({
  type: z.literal('error'),
  agent: str(64).optional(),
  target: str(256).optional(),
  code: z.string().regex(/^MP_ERR_[A-Z0-9_]{1,40}$/),
  message: str(),
});
const InfoEventSchema = z.object({ type: z.literal('info'), agent: str(64).optional(), target: str(256).optional(), address: address(), info: AddressInfoSchema });
const DoneEventSchema = z.object({ type: z.literal('done'), parts: count(), sent: count(), received: count(), errors: count(), durationMs: z.number().min(0).max(MAX_COUNT * 1000) });

/** Every event an agent may send, by `type`. Zod's discriminated union looks the type up once. */
export const MeasurementEventSchema = z.discriminatedUnion('type', [
  StartEventSchema,
  ReplyEventSchema,
  TimeoutEventSchema,
  IcmpErrorEventSchema,
  HopEventSchema,
  HostEventSchema,
  AnswerEventSchema,
  SummaryEventSchema,
  ErrorEventSchema,
  InfoEventSchema,
  DoneEventSchema,
]);

/** The event types of the schema: the only values a metrics label of event type may take. */
export const EVENT_TYPES: ReadonlySet<string> = new Set<EventType>(['start', 'reply', 'timeout', 'icmp-error', 'hop', 'host', 'answer', 'summary', 'error', 'info', 'done']);

/** The outcome of {@link parseEvent}: the event, or a one-line reason naming the field. */
export type ParsedEvent = { ok: true; event: MeasurementEvent } | { ok: false; reason: string; type: string };

/**
 * Checks one untrusted event (from an agent) against the schema of its type. Never throws; the
 * reason is one line, names the first bad field and quotes no more than 32 characters of input.
 */
export function parseEvent(e: unknown): ParsedEvent {
  const raw = typeof e === 'object' && e !== null ? (e as { type?: unknown }).type : undefined;
  const type = typeof raw === 'string' && EVENT_TYPES.has(raw) ? raw : 'unknown';
  if (type === 'unknown') {
    const what = typeof raw === 'string' ? `unknown event type ${quote(raw)}` : typeof e === 'object' && e !== null ? 'event without a string type' : 'event is not an object';
    return { ok: false, reason: what, type };
  }
  const r = MeasurementEventSchema.safeParse(e);
  if (r.success) return r.data.type === 'answer' ? parseAnswer(r.data) : { ok: true, event: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return { ok: false, reason: `bad ${type} event: ${path ? `${quote(path)}: ` : ''}${issue.message.replace(/[\r\n]+/g, ' ').slice(0, 120)}`, type };
}

/** An answer's `data` checked against its type's schema (unknown keys stripped, as everywhere). */
function parseAnswer(e: AnswerEvent): ParsedEvent {
  const schema = measurementType(e.measurement)?.answer;
  if (!schema) return { ok: false, reason: `bad answer event: ${e.measurement} has no answers`, type: 'answer' };
  const r = schema.safeParse(e.data);
  if (r.success) return { ok: true, event: { ...e, data: r.data as Record<string, unknown> } };
  const issue = r.error.issues[0]!;
  const path = ['data', ...issue.path.map(String)].join('.');
  return { ok: false, reason: `bad answer event: ${quote(path)}: ${issue.message.replace(/[\r\n]+/g, ' ').slice(0, 120)}`, type: 'answer' };
}

/** `s` as a JSON string of at most 32 characters (… when cut): safe inside a one-line message. */
function quote(s: string): string {
  const cut = s.length > 32 ? s.slice(0, 32) + '…' : s;
  return JSON.stringify(cut);
}

// Schema and interface must agree in both directions (see the note above the schemas).
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// Optional fields make two object types assignable both ways; the keys must agree as well.
type Same<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const agree = <T extends true>(): T | undefined => undefined;
agree<Same<z.output<typeof StartEventSchema>, StartEvent>>();
agree<Same<z.output<typeof ReplyEventSchema>, ReplyEvent>>();
agree<Same<z.output<typeof TimeoutEventSchema>, TimeoutEvent>>();
agree<Same<z.output<typeof IcmpErrorEventSchema>, IcmpErrorEvent>>();
agree<Same<z.output<typeof HopEventSchema>, HopEvent>>();
agree<Same<z.output<typeof HostEventSchema>, HostEvent>>();
agree<Same<z.output<typeof AnswerEventSchema>, AnswerEvent>>();
agree<Same<z.output<typeof SummaryEventSchema>, SummaryEvent>>();
agree<Same<z.output<typeof ErrorEventSchema>, ErrorEvent>>();
agree<Same<z.output<typeof InfoEventSchema>, InfoEvent>>();
agree<Same<z.output<typeof DoneEventSchema>, DoneEvent>>();
