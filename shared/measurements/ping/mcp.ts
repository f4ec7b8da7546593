/**
 * A ping as an MCP tool answers it: per part the replies (up to a cap), the seqs that timed
 * out and the ICMP errors; in text the statistics line, the ICMP errors grouped by message and
 * responder, the timeouts and the reply times.
 */
import { z } from 'zod';
import type { IcmpErrorEvent, ReplyEvent, TimeoutEvent } from '../../model/events.ts';
import { fmtMs } from '../../render/fmt-ms.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { McpCaps } from '../../render/measurement-renderers.ts';
import { measurementOutput } from '../../render/mcp-output.ts';

/** structuredContent of the `ping` tool. */
export const PingOutput = measurementOutput('ping', {
  replies: z.array(
    z.object({
      seq: z.number().int(),
      rttMs: z.number(),
      ttl: z.number().int().nullable(),
      bytes: z.number().int(),
      from: z.string(),
    }),
  ),
  repliesOmitted: z.number().int().describe('Replies left out of the list to keep it short (all are counted in summary)'),
  timeouts: z.array(z.number().int()).describe('Sequence numbers that got no answer'),
  icmpErrors: z.array(
    z.object({ seq: z.number().int(), kind: z.string(), from: z.string(), message: z.string() }),
  ),
});
export type PingOutput = z.infer<typeof PingOutput>;

const replies = (p: FoldPart, max: number) => p.lines.filter((e): e is ReplyEvent => e.type === 'reply').slice(0, max);
const timeouts = (p: FoldPart, max: number) => p.lines.filter((e): e is TimeoutEvent => e.type === 'timeout').slice(0, max).map((e) => e.seq);
const icmpErrors = (p: FoldPart, max: number) => p.lines.filter((e): e is IcmpErrorEvent => e.type === 'icmp-error').slice(0, max);

/** The ping fields of a part. */
export function pingMcpFields(p: FoldPart, caps: McpCaps): Record<string, unknown> {
  const listed = replies(p, caps.maxReplies);
  return {
    replies: listed.map((e) => ({ seq: e.seq, rttMs: e.rttMs, ttl: e.ttl, bytes: e.bytes, from: e.from })),
    repliesOmitted: p.replies - listed.length,
    timeouts: timeouts(p, caps.maxReplies),
    icmpErrors: icmpErrors(p, caps.maxReplies).map((e) => ({ seq: e.seq, kind: e.kind, from: e.from, message: e.message })),
  };
}

/** The text of a ping part. */
export function pingMcpText(who: string, p: FoldPart, caps: McpCaps): string[] {
  const out: string[] = [];
  const s = p.summary;
  if (s) {
    const rtt = s.received > 0 && s.minMs !== null
      ? `; rtt min/avg/max/mdev ${fmtMs(s.minMs)}/${fmtMs(s.avgMs)}/${fmtMs(s.maxMs)}/${fmtMs(s.mdevMs)} ms, p50/p90/p99 ${fmtMs(s.p50Ms)}/${fmtMs(s.p90Ms)}/${fmtMs(s.p99Ms)} ms`
      : '';
    const errs = p.icmpErrors ? `, ${p.icmpErrors} ICMP error${p.icmpErrors === 1 ? '' : 's'}` : '';
    out.push(`${who}: ${s.sent} sent, ${s.received} received${errs}, ${fmtPct(s.lossPct)}% loss${rtt}`);
  } else out.push(`${who}: no summary (the measurement was interrupted); ${p.replies} replies so far`);
  // ICMP errors grouped by message and responder: `Destination Host Unreachable from 198.18.1.1: seq 1, 2, 3`.
  const groups = new Map<string, number[]>();
  for (const x of icmpErrors(p, caps.maxReplies)) {
    const k = `${x.message} from ${x.from}`;
    const seqs = groups.get(k) ?? [];
    seqs.push(x.seq);
    groups.set(k, seqs);
  }
  for (const [k, seqs] of groups) out.push(`  ${k}: seq ${seqList(seqs)}`);
  const lost = timeouts(p, caps.maxReplies);
  if (lost.length) out.push(`  no answer: seq ${seqList(lost)}`);
  const listed = replies(p, caps.maxReplies);
  if (listed.length) {
    const shown = [...listed].sort((a, b) => a.seq - b.seq).slice(0, 100);
    const more = p.replies - shown.length;
    out.push(`  replies (seq:ms): ${shown.map((r) => `${r.seq}:${fmtMs(r.rttMs)}`).join(' ')}${more > 0 ? ` … ${more} more` : ''}`);
  }
  return out;
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
