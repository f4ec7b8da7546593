/**
 * Renderers of the types whose run is a series of timed round trips over a transport (a TCP
 * echo, a one-way-delay exchange, a connect): header and statistics in text, a block in email,
 * replies and timeouts in MCP, plus the type's own report lines (adaptive timeout, clock offset,
 * …) from its summary's `report`. Each such type builds its renderers here with its words.
 */
import { z } from 'zod';
import type { ReplyEvent, SummaryEvent, TimeoutEvent, ToolReport } from '../model/events.ts';
import { fmtMs } from './fmt-ms.ts';
import { formatDurationMs, formatLossPct, formatLossShort, formatMs3, formatPingTime } from './format.ts';
import { escapeHtml, FONT, TABLE, TDR, TH } from './html-style.ts';
import { measurementOutput } from './mcp-output.ts';
import { directions } from './reply-directions.ts';
import { linesBySeq, type FoldPart } from './measurement-fold.ts';
import type { MeasurementRenderers } from './measurement-renderers.ts';

/** What a type says about its series. */
export interface EchoSeriesWords<T extends string> {
  /** The type's name (the MCP output's `measurement`). */
  type: T;
  /** The header word (`TCPPING`). */
  verb: string;
  /** What one probe is called in the statistics line (`probes`, `connects`). */
  unit: string;
  /** Lines that describe the summary's report (adaptive timeout, offset), text and email. */
  reportLines?: (report: ToolReport, s: SummaryEvent) => string[];
}

/** The renderers of a series type. */
export function echoSeriesRenderers<T extends string>(w: EchoSeriesWords<T>): MeasurementRenderers {
  const output = measurementOutput(w.type, {
    replies: z.array(
      z.object({ seq: z.number().int(), rttMs: z.number(), from: z.string(), forwardMs: z.number().optional(), reverseMs: z.number().optional() }),
    ),
    repliesOmitted: z.number().int().describe('Replies left out of the list to keep it short (all are counted in summary)'),
    timeouts: z.array(z.number().int()).describe('Sequence numbers that got no answer'),
    report: z.record(z.string(), z.unknown()).nullable().describe("The type's own figures (timeouts, reconnects, clock offset, …)"),
  });
  const replies = (p: FoldPart, max: number) => p.lines.filter((e): e is ReplyEvent => e.type === 'reply').slice(0, max);
  const timeouts = (p: FoldPart, max: number) => p.lines.filter((e): e is TimeoutEvent => e.type === 'timeout').slice(0, max).map((e) => e.seq);
  const reportOf = (s: SummaryEvent | undefined) => (s?.report && w.reportLines ? w.reportLines(s.report, s) : []);
  return {
    text: () => ({
      start: (e) => {
        const port = e.params['port'];
        return [`${w.verb} ${e.target} (${e.address}${port !== undefined ? ` port ${port}` : ''}) ${e.protocol.toUpperCase()}${e.note ? `: ${e.note}` : ''}.`];
      },
      summary: (e) => {
        const lines = [
          '',
          `--- ${e.target} ${w.verb.toLowerCase()} statistics ---`,
          `${e.sent} ${w.unit} sent, ${e.received} answered, ${formatLossPct(e.lossPct)}% loss, time ${formatDurationMs(e.durationMs)}`,
        ];
        if (e.received > 0 && e.minMs !== null && e.avgMs !== null && e.maxMs !== null && e.mdevMs !== null) {
          lines.push(`rtt min/avg/max/mdev = ${formatMs3(e.minMs)}/${formatMs3(e.avgMs)}/${formatMs3(e.maxMs)}/${formatMs3(e.mdevMs)} ms`);
          if (e.p50Ms !== null && e.p90Ms !== null && e.p99Ms !== null) lines.push(`rtt p50/p90/p99 = ${formatMs3(e.p50Ms)}/${formatMs3(e.p90Ms)}/${formatMs3(e.p99Ms)} ms`);
        }
        return [...lines, ...reportOf(e)];
      },
    }),
    html: (p, _o, kit) => {
      const out = [kit.heading(p, w.verb)];
      if (p.lines.length) {
        const lines = linesBySeq(p).map((e) => {
          if (e.type === 'reply') return `seq=${e.seq} time=${formatPingTime(e.rttMs)} ms${directions(e)}`;
          if (e.type === 'timeout') return `no answer for seq=${e.seq}`;
          return `seq=${e.seq} ${e.message}`;
        });
        out.push(`<pre style="${FONT};margin:0 0 4px 0">${escapeHtml(lines.join('\n'))}</pre>`);
      }
      const s = p.summary;
      if (s) {
        const cell = (v: number | null) => (v === null ? '–' : formatMs3(v));
        const head = ['sent', 'answered', 'loss', 'min', 'avg', 'max', 'mdev', 'p50', 'p90', 'p99'];
        const row = [String(s.sent), String(s.received), formatLossShort(s.lossPct), cell(s.minMs), cell(s.avgMs), cell(s.maxMs), cell(s.mdevMs), cell(s.p50Ms), cell(s.p90Ms), cell(s.p99Ms)];
        out.push(`<table style="${TABLE}"><tr>${head.map((h) => `<th style="${TH}">${h}</th>`).join('')}</tr><tr>${row.map((c) => `<td style="${TDR}">${escapeHtml(c)}</td>`).join('')}</tr></table>`);
        const extra = reportOf(s);
        if (extra.length) out.push(`<pre style="${FONT};margin:0 0 8px 0">${escapeHtml(extra.join('\n'))}</pre>`);
      }
      for (const e of p.errors) out.push(kit.errorLine(e));
      return out.join('\n');
    },
    outputSchema: output,
    mcpFields: (p, caps) => {
      const listed = replies(p, caps.maxReplies);
      return {
        replies: listed.map((e) => ({ seq: e.seq, rttMs: e.rttMs, from: e.from, ...(e.forwardMs !== undefined ? { forwardMs: e.forwardMs } : {}), ...(e.reverseMs !== undefined ? { reverseMs: e.reverseMs } : {}) })),
        repliesOmitted: p.replies - listed.length,
        timeouts: timeouts(p, caps.maxReplies),
        report: p.summary?.report ?? null,
      };
    },
    mcpText: (who, p, caps) => {
      const s = p.summary;
      const out: string[] = [];
      if (s) {
        const rtt = s.received > 0 && s.minMs !== null ? `; rtt min/avg/max/mdev ${fmtMs(s.minMs)}/${fmtMs(s.avgMs)}/${fmtMs(s.maxMs)}/${fmtMs(s.mdevMs)} ms` : '';
        out.push(`${who}: ${s.sent} ${w.unit} sent, ${s.received} answered, ${formatLossShort(s.lossPct)} loss${rtt}`);
        for (const l of reportOf(s)) out.push(`  ${l}`);
      } else out.push(`${who}: no summary (the measurement was interrupted); ${p.replies} replies so far`);
      const lost = timeouts(p, caps.maxReplies);
      if (lost.length) out.push(`  no answer: seq ${lost.join(', ')}`);
      const listed = replies(p, Math.min(caps.maxReplies, 100));
      if (listed.length) out.push(`  replies (seq:ms): ${listed.map((r) => `${r.seq}:${fmtMs(r.rttMs)}`).join(' ')}${p.replies > listed.length ? ` … ${p.replies - listed.length} more` : ''}`);
      return out;
    },
  };
}
