/**
 * What every renderer and fold does first with an event off the wire: turn it into a
 * well-typed, bounded {@link MeasurementEvent}, or drop it. The hub validates agent frames
 * against the schema; this is the renderers' own floor, so that a front-end fed anything (an
 * older hub, a stream file, a bug) still terminates, never throws and never builds unbounded
 * output: numbers are finite (integers where the schema says so, TTLs 1..255), strings and
 * arrays are capped, missing fields get a neutral value, unknown types are dropped.
 * Pure and cheap: a /16 sweep passes 65,536 events through it.
 */
import type {
  HopEvent,
  HopResponder,
  IcmpErrorKind,
  MeasurementEvent,
  PingStats,
  StartEvent,
  SummaryEvent,
} from './events.ts';
import type { Protocol } from './spec.ts';
import { MeasurementType } from '../registry.ts';
import { ErrorCode } from './errors.ts';
import { saneAddressInfo } from '../net/address-info.ts';
import { boundedJsonObject } from './bounded-json.ts';

/** Longest string a renderer shows from an event (names, messages, addresses). */
export const MAX_EVENT_TEXT = 256;
/** Most responders per hop and round trips per responder a renderer shows. */
export const MAX_HOP_RESPONDERS = 16;
export const MAX_HOP_RTTS = 16;
/** Most `params` entries of a start event kept. */
const MAX_PARAMS = 32;
/** Largest sequence number / counter kept; above it the value is clamped. */
const MAX_COUNT = 1e9;
/** Largest time kept, in ms (about 115 days): above the longest ping the spec allows (10,000 × 60 s). */
const MAX_MS = 1e10;

const TYPES = new Set(['start', 'reply', 'timeout', 'icmp-error', 'hop', 'host', 'answer', 'summary', 'error', 'info', 'done']);
/** Largest answer `data` a renderer takes, as JSON characters; a larger one is dropped. */
const MAX_ANSWER_JSON = 256 * 1024;
const MEASUREMENTS = new Set<MeasurementType>(MeasurementType.options);
/** What an event naming no registered type is read as: the registry's first type (ping). */
const FALLBACK_MEASUREMENT: MeasurementType = MeasurementType.options[0];
const PROTOCOLS = new Set<Protocol>(['icmp', 'udp', 'tcp']);
const ICMP_KINDS = new Set<IcmpErrorKind>(['unreachable', 'time-exceeded', 'packet-too-big', 'parameter-problem', 'other']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string, control characters replaced and capped at {@link MAX_EVENT_TEXT}; `fallback` otherwise. */
function str(v: unknown, fallback = '?', max = MAX_EVENT_TEXT): string {
  if (typeof v !== 'string') return fallback;
  const s = v.length > max ? `${v.slice(0, max - 1)}…` : v;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function optStr(v: unknown): string | undefined {
  return typeof v === 'string' ? str(v) : undefined;
}

/** A finite number within [min, max], or undefined. */
function num(v: unknown, min: number, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  return Math.min(max, Math.max(min, v));
}

/** An integer within [min, max], or undefined. */
function int(v: unknown, min: number, max: number): number | undefined {
  const n = num(v, min, max);
  return n === undefined ? undefined : Math.round(n);
}

const ms = (v: unknown): number | undefined => num(v, 0, MAX_MS);
const msOrNull = (v: unknown): number | null => ms(v) ?? null;
const count = (v: unknown): number => int(v, 0, MAX_COUNT) ?? 0;

function scope(o: Obj): { agent: string; target: string } {
  return { agent: str(o['agent']), target: str(o['target']) };
}

function stats(o: Obj): PingStats {
  const sent = count(o['sent']);
  return {
    sent,
    received: count(o['received']),
    lossPct: num(o['lossPct'], 0, 100) ?? 0,
    minMs: msOrNull(o['minMs']),
    avgMs: msOrNull(o['avgMs']),
    maxMs: msOrNull(o['maxMs']),
    mdevMs: msOrNull(o['mdevMs']),
    p50Ms: msOrNull(o['p50Ms']),
    p90Ms: msOrNull(o['p90Ms']),
    p99Ms: msOrNull(o['p99Ms']),
  };
}

function responder(v: unknown): HopResponder | undefined {
  if (!isObj(v)) return undefined;
  const rtts = Array.isArray(v['rttsMs']) ? v['rttsMs'].slice(0, MAX_HOP_RTTS).flatMap((x) => { const m = ms(x); return m === undefined ? [] : [m]; }) : [];
  const name = optStr(v['name']);
  const kind = optStr(v['kind']);
  const annotation = optStr(v['annotation']);
  const mtu = int(v['mtu'], 0, 65_535);
  const replies = int(v['replies'], 0, MAX_COUNT);
  const info = saneAddressInfo(v['info']);
  return {
    address: str(v['address']),
    rttsMs: rtts,
    ...(name !== undefined ? { name } : {}),
    ...(kind !== undefined ? { kind } : {}),
    ...(annotation !== undefined ? { annotation } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(replies !== undefined ? { replies } : {}),
    ...(info !== undefined ? { info } : {}),
  };
}

function params(v: unknown): StartEvent['params'] {
  const out: StartEvent['params'] = {};
  if (!isObj(v)) return out;
  let n = 0;
  for (const [k, x] of Object.entries(v)) {
    if (n >= MAX_PARAMS) break;
    if (typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) out[str(k)] = x;
    else if (typeof x === 'string') out[str(k)] = str(x);
    else continue;
    n++;
  }
  return out;
}

/**
 * `raw` as a well-formed, bounded event, or undefined when it is not an event at all (not an
 * object, or an unknown `type`). Never throws.
 */
export function saneEvent(raw: unknown): MeasurementEvent | undefined {
  try {
    return sane(raw);
  } catch {
    // A getter that throws, a Proxy: not an event.
    return undefined;
  }
}

function sane(raw: unknown): MeasurementEvent | undefined {
  if (!isObj(raw)) return undefined;
  const type = raw['type'];
  if (typeof type !== 'string' || !TYPES.has(type)) return undefined;
  const o = raw;
  switch (type) {
    case 'start': {
      const m = o['measurement'];
      const p = o['protocol'];
      const note = optStr(o['note']);
      const info = saneAddressInfo(o['info']);
      return {
        type, ...scope(o),
        measurement: MEASUREMENTS.has(m as MeasurementType) ? (m as MeasurementType) : FALLBACK_MEASUREMENT,
        address: str(o['address'], str(o['target'])),
        family: o['family'] === 6 ? 6 : 4,
        protocol: PROTOCOLS.has(p as Protocol) ? (p as Protocol) : 'icmp',
        params: params(o['params']),
        ...(note !== undefined ? { note } : {}),
        ...(info !== undefined ? { info } : {}),
      };
    }
    case 'reply':
      return saneReply(o);
    case 'timeout':
      return { type, ...scope(o), seq: count(o['seq']) };
    case 'icmp-error':
      return saneIcmpError(o);
    case 'hop':
      return saneHop(o);
    case 'host': {
      const rttMs = msOrNull(o['rttMs']);
      const u = o['unreachable'];
      // Only a silent host can have been declared unreachable.
      const unreachable = rttMs === null && isObj(u)
        ? { from: str(u['from']), icmpType: int(u['icmpType'], 0, 255) ?? 0, icmpCode: int(u['icmpCode'], 0, 255) ?? 0, message: str(u['message'], 'Destination Unreachable') }
        : undefined;
      return { type, ...scope(o), address: str(o['address']), rttMs, ...(unreachable ? { unreachable } : {}) };
    }
    case 'answer': {
      // The type's renderer reads `data` through its own schema; here it need only be a bounded object.
      const data = o['data'];
      if (!isObj(data) || JSON.stringify(data).length > MAX_ANSWER_JSON) return undefined;
      const m = o['measurement'];
      return { type, ...scope(o), measurement: MEASUREMENTS.has(m as MeasurementType) ? (m as MeasurementType) : FALLBACK_MEASUREMENT, seq: count(o['seq']), data };
    }
    case 'summary': {
      const m = o['measurement'];
      const address = optStr(o['address']);
      const s: SummaryEvent = {
        type, ...scope(o),
        measurement: MEASUREMENTS.has(m as MeasurementType) ? (m as MeasurementType) : FALLBACK_MEASUREMENT,
        ...(address !== undefined ? { address } : {}),
        durationMs: ms(o['durationMs']) ?? 0,
        ...stats(o),
      };
      return withSummaryCounts(s, o);
    }
    case 'error':
      return saneError(o);
    case 'info': {
      const info = saneAddressInfo(o['info']);
      const address = optStr(o['address']);
      if (!info || address === undefined) return undefined;
      const agent = optStr(o['agent']);
      const target = optStr(o['target']);
      return { type, ...(agent !== undefined ? { agent } : {}), ...(target !== undefined ? { target } : {}), address, info };
    }
    default:
      return saneDone(o);
  }
}

// One function per event type with a body of its own. `start` and `summary` stay inline in
// sane(): the two share the fallback for an unknown measurement type, kept side by side.

function saneReply(o: Obj): Extract<MeasurementEvent, { type: 'reply' }> {
  const kind = optStr(o['kind']);
  return {
    type: 'reply', ...scope(o),
    seq: count(o['seq']),
    ttl: int(o['ttl'], 0, 255) ?? null,
    rttMs: ms(o['rttMs']) ?? 0,
    bytes: count(o['bytes']),
    from: str(o['from']),
    ...(kind !== undefined ? { kind } : {}),
    ...(num(o['forwardMs'], -86_400_000, 86_400_000) !== undefined ? { forwardMs: num(o['forwardMs'], -86_400_000, 86_400_000)! } : {}),
    ...(num(o['reverseMs'], -86_400_000, 86_400_000) !== undefined ? { reverseMs: num(o['reverseMs'], -86_400_000, 86_400_000)! } : {}),
  };
}

function saneIcmpError(o: Obj): Extract<MeasurementEvent, { type: 'icmp-error' }> {
  const kind = o['kind'];
  const mtu = int(o['mtu'], 0, 65_535);
  const rtt = ms(o['rttMs']);
  return {
    type: 'icmp-error', ...scope(o),
    seq: count(o['seq']),
    kind: ICMP_KINDS.has(kind as IcmpErrorKind) ? (kind as IcmpErrorKind) : 'other',
    icmpType: int(o['icmpType'], 0, 255) ?? 0,
    icmpCode: int(o['icmpCode'], 0, 255) ?? 0,
    from: str(o['from']),
    message: str(o['message'], 'ICMP error'),
    ...(mtu !== undefined ? { mtu } : {}),
    ...(rtt !== undefined ? { rttMs: rtt } : {}),
  };
}

function saneHop(o: Obj): HopEvent {
  const responders = Array.isArray(o['responders'])
    ? o['responders'].slice(0, MAX_HOP_RESPONDERS).flatMap((r) => { const x = responder(r); return x ? [x] : []; })
    : [];
  const round = int(o['round'], 0, MAX_COUNT);
  const rtt = hopRtt(o['rtt']);
  // A hop of repeated rounds counts every round (up to the spec's count); a single trace its queries.
  const rounds = round !== undefined;
  return {
    type: 'hop', ...scope(o),
    // TTLs are 1..255 integers: a string, NaN or 1e300 here used to hang the hop ordering.
    ttl: int(o['ttl'], 1, 255) ?? 1,
    responders,
    sent: int(o['sent'], 0, rounds ? MAX_COUNT : 255) ?? 0,
    received: int(o['received'], 0, rounds ? MAX_COUNT : 255) ?? 0,
    lossPct: num(o['lossPct'], 0, 100) ?? 0,
    ...(round !== undefined ? { round } : {}),
    ...(rtt !== undefined ? { rtt } : {}),
    ...(o['rateLimited'] === true ? { rateLimited: true } : {}),
  };
}

/** A hop's RTT statistics over rounds, every field a finite time, or undefined. */
function hopRtt(v: unknown): HopEvent['rtt'] {
  if (!isObj(v)) return undefined;
  const [lastMs, avgMs, bestMs, worstMs, stdevMs] = ['lastMs', 'avgMs', 'bestMs', 'worstMs', 'stdevMs'].map((k) => ms(v[k]));
  if (lastMs === undefined || avgMs === undefined || bestMs === undefined || worstMs === undefined || stdevMs === undefined) return undefined;
  return { lastMs, avgMs, bestMs, worstMs, stdevMs };
}

/** The optional counts of a summary (reached, hops, hosts, kernel drops), set only when present: each type has its own. */
function withSummaryCounts(s: SummaryEvent, o: Obj): SummaryEvent {
  if (typeof o['reached'] === 'boolean') s.reached = o['reached'];
  const hops = int(o['hops'], 0, 255);
  if (hops !== undefined) s.hops = hops;
  const up = int(o['hostsUp'], 0, MAX_COUNT);
  if (up !== undefined) s.hostsUp = up;
  const total = int(o['hostsTotal'], 0, MAX_COUNT);
  if (total !== undefined) s.hostsTotal = total;
  const drops = int(o['kernelDrops'], 0, MAX_COUNT);
  if (drops !== undefined) s.kernelDrops = drops;
  const report = boundedJsonObject(o['report']);
  if (report !== undefined) s.report = report;
  return s;
}

function saneError(o: Obj): Extract<MeasurementEvent, { type: 'error' }> {
  const agent = optStr(o['agent']);
  const target = optStr(o['target']);
  return {
    type: 'error',
    ...(agent !== undefined ? { agent } : {}),
    ...(target !== undefined ? { target } : {}),
    code: str(o['code'], ErrorCode.Internal, 64),
    message: str(o['message'], 'error', 1000),
  };
}

function saneDone(o: Obj): Extract<MeasurementEvent, { type: 'done' }> {
  return {
    type: 'done',
    parts: count(o['parts']),
    sent: count(o['sent']),
    received: count(o['received']),
    errors: count(o['errors']),
    durationMs: ms(o['durationMs']) ?? 0,
  };
}
