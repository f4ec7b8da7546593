/**
 * Folds a hub event stream into what a tool returns: `structuredContent` in the shape of the
 * tool's outputSchema and a few lines of text a model can read at a glance. Pure: feed it
 * every event, then ask for the result.
 */
import type { HostEvent, MeasurementEvent, SummaryEvent } from '../shared/events.ts';
import { formatMs3 } from '../shared/format.ts';
import type { MeasurementType } from '../shared/spec.ts';
import type { PingOutput, ProbeOutput, TracerouteOutput } from './output-schemas.ts';

/** Options of {@link MeasurementResult}. */
export interface MeasurementResultOptions {
  /** Replies listed per agent×target; the rest are only counted. Default 1000. */
  maxReplies?: number;
  /** Answering sweep hosts listed per agent×target. Default 1024. */
  maxHosts?: number;
}

type ErrorItem = { agent?: string; target?: string; code: string; message: string };
type Stats = NonNullable<PingOutput['parts'][number]['summary']>;
type Reply = PingOutput['parts'][number]['replies'][number];
type Hop = TracerouteOutput['parts'][number]['hops'][number];

interface Part {
  agent: string;
  target: string;
  address: string | null;
  family: 4 | 6 | null;
  protocol: string | null;
  error: ErrorItem | null;
  replies: Reply[];
  repliesOmitted: number;
  timeouts: number[];
  icmpErrors: { seq: number; kind: string; from: string; message: string }[];
  hops: Hop[];
  up: { address: string; rttMs: number }[];
  upCount: number;
  hostsSeen: number;
  summary: SummaryEvent | null;
}

/** Accumulates one measurement's events. */
export class MeasurementResult {
  readonly measurement: MeasurementType;
  readonly #parts = new Map<string, Part>();
  readonly #errors: ErrorItem[] = [];
  readonly #maxReplies: number;
  readonly #maxHosts: number;
  #totals = { parts: 0, sent: 0, received: 0, errors: 0, durationMs: 0 };
  #done = false;

  constructor(measurement: MeasurementType, options: MeasurementResultOptions = {}) {
    this.measurement = measurement;
    this.#maxReplies = options.maxReplies ?? 1000;
    this.#maxHosts = options.maxHosts ?? 1024;
  }

  /** Whether the stream's `done` event was seen. */
  get done(): boolean {
    return this.#done;
  }

  /** Whether at least one agent×target finished with a summary. */
  get anySucceeded(): boolean {
    for (const p of this.#parts.values()) if (p.summary) return true;
    return false;
  }

  /** The one-line reasons of every failure so far. */
  get errors(): readonly ErrorItem[] {
    return this.#errors;
  }

  add(e: MeasurementEvent): void {
    switch (e.type) {
      case 'start': {
        const p = this.#part(e.agent, e.target);
        p.address = e.address;
        p.family = e.family;
        p.protocol = e.protocol;
        break;
      }
      case 'reply': {
        const p = this.#part(e.agent, e.target);
        if (p.replies.length < this.#maxReplies) p.replies.push({ seq: e.seq, rttMs: e.rttMs, ttl: e.ttl, bytes: e.bytes, from: e.from });
        else p.repliesOmitted++;
        break;
      }
      case 'timeout':
        this.#part(e.agent, e.target).timeouts.push(e.seq);
        break;
      case 'icmp-error':
        this.#part(e.agent, e.target).icmpErrors.push({ seq: e.seq, kind: e.kind, from: e.from, message: e.message });
        break;
      case 'hop':
        this.#part(e.agent, e.target).hops.push({
          ttl: e.ttl,
          responders: e.responders.map((r) => ({
            address: r.address,
            rttsMs: r.rttsMs,
            ...(r.name !== undefined ? { name: r.name } : {}),
            ...(r.annotation !== undefined ? { annotation: r.annotation } : {}),
          })),
          sent: e.sent,
          received: e.received,
          lossPct: e.lossPct,
        });
        break;
      case 'host':
        this.#host(e);
        break;
      case 'summary':
        this.#part(e.agent, e.target).summary = e;
        break;
      case 'error': {
        const item: ErrorItem = {
          ...(e.agent !== undefined ? { agent: e.agent } : {}),
          ...(e.target !== undefined ? { target: e.target } : {}),
          code: e.code,
          message: e.message,
        };
        this.#errors.push(item);
        if (e.agent !== undefined && e.target !== undefined) this.#part(e.agent, e.target).error = item;
        break;
      }
      case 'done':
        this.#done = true;
        this.#totals = { parts: e.parts, sent: e.sent, received: e.received, errors: e.errors, durationMs: e.durationMs };
        break;
    }
  }

  /** A short progress line for one event, or undefined when the event is not worth one. */
  static progressLine(e: MeasurementEvent): string | undefined {
    switch (e.type) {
      case 'start':
        return `${e.agent}: ${e.measurement} ${e.target} (${e.address})`;
      case 'reply':
        return `${e.agent}: ${e.bytes} bytes from ${e.from}: seq=${e.seq} ttl=${e.ttl ?? '?'} time=${fmt(e.rttMs)} ms`;
      case 'timeout':
        return `${e.agent}: ${e.target} seq=${e.seq} timed out`;
      case 'icmp-error':
        return `${e.agent}: from ${e.from} seq=${e.seq} ${e.message}`;
      case 'hop':
        return `${e.agent}: ${e.target} hop ${e.ttl} ${e.responders.map((r) => r.address).join(' ') || '*'}`;
      case 'summary':
        return `${e.agent}: ${e.target} ${e.received}/${e.sent} received`;
      case 'error':
        return `${e.agent ? e.agent + ': ' : ''}${e.message}`;
      default:
        return undefined;
    }
  }

  toPing(): PingOutput {
    return this.#output('ping', (p) => ({
      replies: p.replies,
      repliesOmitted: p.repliesOmitted,
      timeouts: p.timeouts,
      icmpErrors: p.icmpErrors,
    }));
  }

  toTraceroute(): TracerouteOutput {
    return this.#output('traceroute', (p) => ({
      hops: [...p.hops].sort((a, b) => a.ttl - b.ttl),
      reached: p.summary?.reached ?? null,
    }));
  }

  toProbe(): ProbeOutput {
    return this.#output('probe', (p) => ({
      hostsUp: p.summary?.hostsUp ?? p.upCount,
      hostsTotal: p.summary?.hostsTotal ?? p.hostsSeen,
      up: p.up,
      upOmitted: Math.max(0, p.upCount - p.up.length),
    }));
  }

  /** A few lines a model reads at a glance: one per agent×target, then the failures. */
  text(): string {
    const lines: string[] = [];
    for (const p of this.#parts.values()) {
      const who = `${p.target}${p.address && p.address !== p.target ? ` (${p.address})` : ''} from ${p.agent}`;
      if (p.error && !p.summary) {
        lines.push(`${who}: ${p.error.message}`);
        continue;
      }
      const s = p.summary;
      if (!s) {
        lines.push(`${who}: no result (the measurement was interrupted)`);
        continue;
      }
      if (this.measurement === 'ping') {
        const rtt = s.received > 0 ? `, rtt min/avg/max/mdev ${fmt(s.minMs)}/${fmt(s.avgMs)}/${fmt(s.maxMs)}/${fmt(s.mdevMs)} ms` : '';
        lines.push(`${who}: ${s.received}/${s.sent} replies, ${fmtPct(s.lossPct)}% loss${rtt}`);
      } else if (this.measurement === 'traceroute') {
        const hops = [...p.hops].sort((a, b) => a.ttl - b.ttl);
        const path = hops.map((h) => h.responders[0]?.address ?? '*').join(' → ');
        const last = hops.at(-1);
        const lastRtt = last?.responders[0]?.rttsMs.length ? `, last hop ${fmt(Math.min(...last.responders[0].rttsMs))} ms` : '';
        lines.push(`${who}: ${s.reached ? 'reached' : 'did not reach'} in ${hops.length} hop${hops.length === 1 ? '' : 's'}${lastRtt}: ${path || '(no hops)'}`);
      } else {
        const up = s.hostsUp ?? p.upCount;
        const total = s.hostsTotal ?? p.hostsSeen;
        const sample = p.up.slice(0, 8).map((h) => h.address).join(', ');
        const more = up > 8 ? ', …' : '';
        lines.push(`${who}: ${up}/${total} hosts up${up ? ` (${sample}${more})` : ''}${s.avgMs !== null ? `, rtt avg ${fmt(s.avgMs)} ms` : ''}`);
      }
    }
    for (const e of this.#errors) {
      if (e.agent !== undefined && e.target !== undefined && this.#parts.has(key(e.agent, e.target))) continue;
      lines.push(`error: ${e.message}`);
    }
    if (!lines.length) lines.push('no agent×target part ran');
    return lines.join('\n');
  }

  #host(e: HostEvent): void {
    const p = this.#part(e.agent, e.target);
    p.hostsSeen++;
    if (e.rttMs === null) return;
    p.upCount++;
    if (p.up.length < this.#maxHosts) p.up.push({ address: e.address, rttMs: e.rttMs });
  }

  #part(agent: string, target: string): Part {
    const k = key(agent, target);
    let p = this.#parts.get(k);
    if (!p) {
      p = {
        agent, target, address: null, family: null, protocol: null, error: null,
        replies: [], repliesOmitted: 0, timeouts: [], icmpErrors: [], hops: [],
        up: [], upCount: 0, hostsSeen: 0, summary: null,
      };
      this.#parts.set(k, p);
    }
    return p;
  }

  /** The output every tool shares: each part's identity and summary around its own fields, then errors and totals. */
  #output<M extends MeasurementType, F extends object>(measurement: M, fields: (p: Part) => F) {
    return {
      measurement,
      parts: [...this.#parts.values()].map((p) => ({
        agent: p.agent, target: p.target, address: p.address, family: p.family, protocol: p.protocol, error: p.error,
        ...fields(p),
        summary: stats(p.summary),
      })),
      errors: this.#errors,
      totals: this.#totals,
    };
  }
}

function key(agent: string, target: string): string {
  return `${agent}\u0000${target}`;
}

function stats(s: SummaryEvent | null): Stats | null {
  if (!s) return null;
  return {
    sent: s.sent, received: s.received, lossPct: s.lossPct,
    minMs: s.minMs, avgMs: s.avgMs, maxMs: s.maxMs, mdevMs: s.mdevMs,
    p50Ms: s.p50Ms, p90Ms: s.p90Ms, p99Ms: s.p99Ms, durationMs: s.durationMs,
  };
}

/** RTTs with three decimals, as the statistics block of every front-end prints them. */
function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? '-' : formatMs3(n);
}

function fmtPct(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
