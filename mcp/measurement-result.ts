/**
 * Folds a hub event stream into what a tool returns: `structuredContent` in the shape of the
 * tool's outputSchema and the text a model reads. The text carries the substance, compactly:
 * per agent×target the ping statistics (with ICMP errors and timeouts), every traceroute hop
 * (address, name, RTTs, loss), every live host of a sweep (as ranges). Pure: feed it every
 * event, then ask for the result. Malformed events are bounded or skipped (event-guard.ts).
 */
import type { HostEvent, MeasurementEvent, SummaryEvent } from '../shared/model/events.ts';
import { saneEvent } from '../shared/model/event-guard.ts';
import { formatLossShort, formatMs3 } from '../shared/render/format.ts';
import { compactAddresses, hopLine } from '../shared/render/text-renderer.ts';
import type { MeasurementType } from '../shared/model/spec.ts';
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
  icmpErrorCount: number;
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

  add(raw: MeasurementEvent): void {
    const e = saneEvent(raw);
    if (!e) return;
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
      case 'timeout': {
        const p = this.#part(e.agent, e.target);
        if (p.timeouts.length < this.#maxReplies) p.timeouts.push(e.seq);
        break;
      }
      case 'icmp-error': {
        const p = this.#part(e.agent, e.target);
        p.icmpErrorCount++;
        if (p.icmpErrors.length < this.#maxReplies) p.icmpErrors.push({ seq: e.seq, kind: e.kind, from: e.from, message: e.message });
        break;
      }
      case 'hop': {
        const p = this.#part(e.agent, e.target);
        // One entry per TTL (a repeated TTL replaces the earlier one): at most 255 per part.
        const at = p.hops.findIndex((h) => h.ttl === e.ttl);
        if (at >= 0) p.hops.splice(at, 1);
        p.hops.push({
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
      }
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

  /**
   * A short progress line for one event, or undefined when the event is not worth one. Every
   * line names its agent and target (`lax1 → 198.18.1.9: …`): parts interleave.
   */
  static progressLine(raw: MeasurementEvent): string | undefined {
    const e = saneEvent(raw);
    if (!e) return undefined;
    switch (e.type) {
      case 'start':
        return `${e.agent} → ${e.target}: ${e.measurement} ${e.address}`;
      case 'reply':
        return `${e.agent} → ${e.target}: ${e.bytes} bytes from ${e.from}: seq=${e.seq} ttl=${e.ttl ?? '?'} time=${fmt(e.rttMs)} ms`;
      case 'timeout':
        return `${e.agent} → ${e.target}: seq=${e.seq} timed out`;
      case 'icmp-error':
        return `${e.agent} → ${e.target}: from ${e.from} seq=${e.seq} ${e.message}`;
      case 'hop':
        return `${e.agent} → ${e.target}: hop ${e.ttl} ${e.responders.map((r) => r.address).join(' ') || '*'}`;
      case 'summary':
        return `${e.agent} → ${e.target}: ${e.received}/${e.sent} received`;
      case 'error':
        return `${e.agent !== undefined ? `${e.agent}${e.target !== undefined ? ` → ${e.target}` : ''}: ` : ''}${e.message}`;
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

  /**
   * What a model reads: per agent×target a head line (`agent → target (address): …`) and the
   * substance under it, indented; then the failures not tied to a part, then the totals.
   * - ping: sent, received, loss, rtt min/avg/max/mdev and p50/p90/p99, the ICMP errors by
   *   message and responder with their seqs, the seqs that timed out, and the reply times;
   * - traceroute: reached or not, then one line per hop, traceroute-style: TTL, each
   *   responder's address (and name), its RTTs and annotation, `*` per lost probe, the loss;
   * - probe: hosts up of total, then every live host as compact ranges.
   */
  text(): string {
    const lines: string[] = [];
    for (const p of this.#parts.values()) {
      const who = `${p.agent} → ${p.target}${p.address && p.address !== p.target ? ` (${p.address})` : ''}`;
      if (p.error && !p.summary) {
        lines.push(`${who}: ${p.error.message}`);
        continue;
      }
      const s = p.summary;
      if (this.measurement === 'ping') lines.push(...this.#pingText(who, p, s));
      else if (this.measurement === 'traceroute') lines.push(...this.#traceText(who, p, s));
      else lines.push(...this.#probeText(who, p, s));
      if (p.error) lines.push(`  error: ${p.error.message}`);
    }
    for (const e of this.#errors) {
      if (e.agent !== undefined && e.target !== undefined && this.#parts.has(key(e.agent, e.target))) continue;
      lines.push(`error: ${e.message}`);
    }
    if (!lines.length) lines.push('no agent×target part ran');
    if (this.#done && this.#parts.size > 0) {
      const t = this.#totals;
      let icmp = 0;
      for (const p of this.#parts.values()) icmp += p.icmpErrorCount;
      lines.push(`total: ${t.parts} part${t.parts === 1 ? '' : 's'}, ${t.sent} sent, ${t.received} received` +
        `${icmp ? `, ${icmp} ICMP error${icmp === 1 ? '' : 's'}` : ''}, ${t.errors} failed, ${Math.round(t.durationMs)} ms`);
    }
    return lines.join('\n');
  }

  #pingText(who: string, p: Part, s: SummaryEvent | null): string[] {
    const out: string[] = [];
    if (s) {
      const rtt = s.received > 0 && s.minMs !== null
        ? `; rtt min/avg/max/mdev ${fmt(s.minMs)}/${fmt(s.avgMs)}/${fmt(s.maxMs)}/${fmt(s.mdevMs)} ms, p50/p90/p99 ${fmt(s.p50Ms)}/${fmt(s.p90Ms)}/${fmt(s.p99Ms)} ms`
        : '';
      const errs = p.icmpErrorCount ? `, ${p.icmpErrorCount} ICMP error${p.icmpErrorCount === 1 ? '' : 's'}` : '';
      out.push(`${who}: ${s.sent} sent, ${s.received} received${errs}, ${fmtPct(s.lossPct)}% loss${rtt}`);
    } else out.push(`${who}: no summary (the measurement was interrupted); ${p.replies.length + p.repliesOmitted} replies so far`);
    // ICMP errors grouped by message and responder: `Destination Host Unreachable from 198.18.1.1: seq 1, 2, 3`.
    const groups = new Map<string, number[]>();
    for (const x of p.icmpErrors) {
      const k = `${x.message} from ${x.from}`;
      const seqs = groups.get(k) ?? [];
      seqs.push(x.seq);
      groups.set(k, seqs);
    }
    for (const [k, seqs] of groups) out.push(`  ${k}: seq ${seqList(seqs)}`);
    if (p.timeouts.length) out.push(`  no answer: seq ${seqList(p.timeouts)}`);
    if (p.replies.length) {
      const shown = [...p.replies].sort((a, b) => a.seq - b.seq).slice(0, 100);
      const more = p.replies.length + p.repliesOmitted - shown.length;
      out.push(`  replies (seq:ms): ${shown.map((r) => `${r.seq}:${fmt(r.rttMs)}`).join(' ')}${more > 0 ? ` … ${more} more` : ''}`);
    }
    return out;
  }

  #traceText(who: string, p: Part, s: SummaryEvent | null): string[] {
    const hops = [...p.hops].sort((a, b) => a.ttl - b.ttl);
    const state = !s ? 'interrupted' : s.reached === true ? 'reached' : s.reached === false ? 'not reached' : 'done';
    const out = [`${who}: ${state}, ${hops.length} hop${hops.length === 1 ? '' : 's'}`];
    // traceroute -n's line (shared/render/text-renderer.ts hopLine), then the hop's loss.
    for (const h of hops) out.push(`  ${hopLine({ type: 'hop', agent: p.agent, target: p.target, ...h })}  (loss ${formatLossShort(h.lossPct)})`);
    return out;
  }

  #probeText(who: string, p: Part, s: SummaryEvent | null): string[] {
    const up = s?.hostsUp ?? p.upCount;
    const total = s?.hostsTotal ?? p.hostsSeen;
    const rtt = s && s.avgMs !== null ? `, rtt min/avg/max ${fmt(s.minMs)}/${fmt(s.avgMs)}/${fmt(s.maxMs)} ms` : '';
    const out = [`${who}: ${up} of ${total} hosts up${rtt}${s ? '' : ' (interrupted)'}`];
    if (p.up.length) out.push(...compactAddresses(p.up.map((h) => h.address), 100).map((l) => `  ${l}`));
    const omitted = Math.max(0, p.upCount - p.up.length);
    if (omitted) out.push(`  … and ${omitted} more up (not listed)`);
    return out;
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
        replies: [], repliesOmitted: 0, timeouts: [], icmpErrorCount: 0, icmpErrors: [], hops: [],
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

/** Sequence numbers in order, runs as ranges: `1-3, 7`. */
function seqList(seqs: readonly number[]): string {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function fmtPct(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
