/**
 * The one summary model of a measurement: what a reader wants first (reachable? how fast? how
 * lossy? did the path arrive?), per agent×target and for the whole run, derived from the one
 * event fold (measurement-fold.ts). Every medium shapes it its own way: the Telegram compact
 * matrix, the email subject and matrix cards, the picture titles. Pure.
 */
import { formatLossShort, formatPingTime } from './format.ts';
import type { FoldPart, MeasurementFold } from './measurement-fold.ts';
import { gradeOf, GRADE_STYLE, type Grade } from './quality.ts';
import { typeOfPart } from './renderers-by-type.ts';
import { compactAddresses } from './compact-addresses.ts';

/** What is known of one agent×target. */
export interface PartSummary {
  agent: string;
  target: string;
  /** The measurement type's name. */
  type: string;
  /**
   * What the part holds, read from its events rather than its type's name (a type's behaviour is
   * a property of what it produces): per-probe echoes, a path of hops, or a sweep of hosts.
   */
  shape: 'echo' | 'path' | 'sweep';
  /** running: no summary or error yet. */
  state: 'running' | 'done' | 'failed';
  /** Probes sent and answered so far (echoes; a path: the probes of its last hop). */
  sent: number;
  received: number;
  lossPct: number;
  /** Average RTT in ms (for a path: the destination's), null when nothing answered. */
  avgMs: number | null;
  minMs: number | null;
  maxMs: number | null;
  grade: Grade;
  /** The last error of a failed part. */
  error?: string;
  /** A path: whether the destination answered, and the hop count. */
  reached?: boolean;
  hops?: number;
  /** A sweep: hosts up of hosts probed, and the live hosts as ranges. */
  hostsUp?: number;
  hostsTotal?: number;
  ranges?: string[];
}

/** Summarises one part. */
export function summarizePart(p: FoldPart): PartSummary {
  const type = typeOfPart(p);
  const s = p.summary;
  const failed = p.settled === 'error';
  const state: PartSummary['state'] = failed ? 'failed' : s ? 'done' : 'running';
  let sent = s?.sent ?? p.replies + p.timeouts + p.icmpErrors;
  let received = s?.received ?? p.replies;
  let avgMs = s?.avgMs ?? null;
  let minMs = s?.minMs ?? null;
  let maxMs = s?.maxMs ?? null;
  if (!s && p.lines.length) {
    // While running: the figures of the lines kept so far.
    const rtts = p.lines.flatMap((e) => (e.type === 'reply' ? [e.rttMs] : []));
    if (rtts.length) {
      avgMs = rtts.reduce((a, b) => a + b, 0) / rtts.length;
      minMs = Math.min(...rtts);
      maxMs = Math.max(...rtts);
    }
  }
  const shape: PartSummary['shape'] = p.hops.size > 0 || s?.reached !== undefined ? 'path' : p.hostsSeen > 0 || s?.hostsTotal !== undefined ? 'sweep' : 'echo';
  const out: PartSummary = { agent: p.agent, target: p.target, type, shape, state, sent, received, lossPct: 0, avgMs, minMs, maxMs, grade: 'good' };
  if (shape === 'path') {
    const hops = [...p.hops.values()].sort((a, b) => a.ttl - b.ttl);
    const last = hops[hops.length - 1];
    const reached = s?.reached ?? hops.some((h) => h.responders.some((r) => r.address === p.start?.address));
    const dest = last?.responders.flatMap((r) => r.rttsMs) ?? [];
    out.reached = reached;
    out.hops = s?.hops ?? last?.ttl ?? 0;
    sent = last?.sent ?? 0;
    received = last?.received ?? 0;
    out.sent = sent;
    out.received = received;
    out.avgMs = reached && dest.length ? dest.reduce((a, b) => a + b, 0) / dest.length : null;
    out.minMs = reached && dest.length ? Math.min(...dest) : null;
    out.maxMs = reached && dest.length ? Math.max(...dest) : null;
    out.lossPct = reached ? (last?.lossPct ?? 0) : 100;
  } else if (shape === 'sweep') {
    out.hostsUp = s?.hostsUp ?? p.upCount;
    out.hostsTotal = s?.hostsTotal ?? p.hostsSeen;
    out.ranges = compactAddresses(p.up.map((h) => h.address));
    const rtts = p.up.map((h) => h.rttMs);
    out.avgMs = rtts.length ? rtts.reduce((a, b) => a + b, 0) / rtts.length : null;
    out.lossPct = out.hostsUp ? 0 : 100;
  } else {
    out.lossPct = s?.lossPct ?? (sent ? (100 * (sent - received)) / sent : 0);
  }
  if (failed) out.error = p.errors[p.errors.length - 1]?.message ?? 'failed';
  out.grade = failed && out.received === 0 ? 'down' : state === 'running' && sent === 0 && shape !== 'sweep' ? 'good' : gradeOf(out.avgMs, out.lossPct);
  return out;
}

/** The parts of a fold, summarised, in order of first appearance. */
export function summarizeParts(fold: MeasurementFold): PartSummary[] {
  return [...fold.parts].map(summarizePart);
}

/**
 * A cell of a compact matrix: the symbol and the one figure that matters, e.g. `✓ 12.3 ms`,
 * `! 40% loss`, `✗ no answer`, `✗ error`, `… ` while nothing is known.
 */
export function cellText(s: PartSummary | undefined): string {
  if (!s) return '…';
  const sym = GRADE_STYLE[s.grade].symbol;
  if (s.state === 'failed' && s.received === 0) return `${sym} error`;
  if (s.state === 'running' && s.sent === 0 && s.shape !== 'sweep') return '…';
  if (s.shape === 'sweep') return `${sym} ${s.hostsUp ?? 0}/${s.hostsTotal ?? 0} up`;
  if (s.shape === 'path' && !s.reached) return s.state === 'running' ? `… ${s.hops ?? 0} hops` : `✗ not reached`;
  if (s.avgMs === null) return `${sym} no answer`;
  // Loss is the news when there is any: it is what makes the grade worse than the latency.
  if (s.lossPct > 0) return `${sym} ${formatLossShort(s.lossPct)} loss`;
  return `${sym} ${formatPingTime(s.avgMs)} ms`;
}

/** A range of numbers as `12–48`, or one number when both ends read alike. */
function span(lo: number, hi: number): string {
  const a = formatPingTime(lo);
  const b = formatPingTime(hi);
  return a === b ? a : `${a}–${b}`;
}

/**
 * The run in one line, answer first: `ping a.example from 3 agents: 12–48 ms, 0% loss`,
 * a path's `… from lax1: reached in 9 hops, 23.1 ms`, a sweep's `… 198.18.0.0/24 from lax1:
 * 37 of 256 up`. Used as the email subject and the Telegram matrix title.
 */
export function headline(parts: readonly PartSummary[], o: { type?: string; targets?: readonly string[] } = {}): string {
  const type = parts[0]?.type ?? o.type ?? 'measurement';
  const shape = parts[0]?.shape ?? 'echo';
  const targets = [...new Set(parts.map((p) => p.target))];
  const agents = [...new Set(parts.map((p) => p.agent))];
  const named = targets.length ? targets : [...(o.targets ?? [])];
  // Named while short (a phone's line), counted beyond.
  const tgt = named.join(' ').length <= 32 ? named.join(' ') : `${named.length} targets`;
  const from = agents.length === 1 ? ` from ${agents[0]}` : agents.length > 1 ? ` from ${agents.length} agents` : '';
  const head = `${type} ${tgt}${from}`;
  if (parts.length === 0) return head;
  const failed = parts.filter((p) => p.state === 'failed' && p.received === 0);
  if (failed.length === parts.length) return `${head}: failed${parts.length === 1 ? `: ${failed[0]!.error}` : ''}`;
  const ok = parts.filter((p) => !(p.state === 'failed' && p.received === 0));
  const failNote = failed.length ? `, ${failed.length} failed` : '';
  if (shape === 'sweep') {
    const up = ok.reduce((n, p) => n + (p.hostsUp ?? 0), 0);
    const total = ok.reduce((n, p) => n + (p.hostsTotal ?? 0), 0);
    return `${head}: ${up} of ${total} up${failNote}`;
  }
  if (shape === 'path') {
    const reached = ok.filter((p) => p.reached);
    const hops = ok.map((p) => p.hops ?? 0);
    const lo = Math.min(...hops);
    const hi = Math.max(...hops);
    const hopText = lo === hi ? `${lo} hop${lo === 1 ? '' : 's'}` : `${lo}–${hi} hops`;
    const rtts = reached.flatMap((p) => (p.avgMs === null ? [] : [p.avgMs]));
    const rtt = rtts.length ? `, ${span(Math.min(...rtts), Math.max(...rtts))} ms` : '';
    if (ok.length === 1) return `${head}: ${reached.length ? `reached in ${hopText}${rtt}` : `not reached after ${hopText}`}${failNote}`;
    return `${head}: reached by ${reached.length} of ${ok.length}, ${hopText}${rtt}${failNote}`;
  }
  const rtts = ok.flatMap((p) => (p.avgMs === null ? [] : [p.avgMs]));
  const sent = ok.reduce((n, p) => n + p.sent, 0);
  const received = ok.reduce((n, p) => n + p.received, 0);
  const loss = sent ? (100 * (sent - received)) / sent : 0;
  const rtt = rtts.length ? `${span(Math.min(...rtts), Math.max(...rtts))} ms` : 'no answer';
  return `${head}: ${rtt}, ${formatLossShort(loss)} loss${failNote}`;
}
