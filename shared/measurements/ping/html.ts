/**
 * A ping in an email: the per-probe lines in sequence order, the statistics table, and above
 * every block the agents × targets matrix with cells coloured by latency.
 */
import type { SummaryEvent } from '../../model/events.ts';
import { formatLossShort, formatMs3, formatPingTime } from '../../render/format.ts';
import { escapeHtml, FONT, LATENCY_BANDS, latencyColour, NO_ANSWER_BACKGROUND, TABLE, TDR, TH } from '../../render/html-style.ts';
import { linesBySeq, partKey, type FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit } from '../../render/measurement-renderers.ts';

/** The HTML block of one ping part. */
export function pingHtml(p: FoldPart, _o: unknown, kit: HtmlKit): string {
  const out = [kit.heading(p, 'PING')];
  if (p.lines.length) {
    // In sequence order: a timeout is only known after later replies may have arrived.
    const lines = linesBySeq(p).map((e) => {
      if (e.type === 'reply') {
        return `${e.bytes} bytes from ${e.from}: seq=${e.seq}${e.ttl !== null ? ` ttl=${e.ttl}` : ''} time=${formatPingTime(e.rttMs)} ms${e.kind ? ` (${e.kind})` : ''}`;
      }
      if (e.type === 'timeout') return `no answer for seq=${e.seq}`;
      return `From ${e.from} seq=${e.seq} ${e.message}`;
    });
    out.push(`<pre style="${FONT};margin:0 0 4px 0">${escapeHtml(lines.join('\n'))}</pre>`);
  }
  if (p.summary) out.push(statsTable(p.summary));
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}

function statsTable(s: SummaryEvent): string {
  const cell = (v: number | null) => (v === null ? '–' : formatMs3(v));
  const head = ['sent', 'received', 'loss', 'min', 'avg', 'max', 'mdev', 'p50', 'p90', 'p99'];
  const row = [String(s.sent), String(s.received), formatLossShort(s.lossPct), cell(s.minMs), cell(s.avgMs), cell(s.maxMs), cell(s.mdevMs), cell(s.p50Ms), cell(s.p90Ms), cell(s.p99Ms)];
  return `<table style="${TABLE}"><tr>${head.map((h) => `<th style="${TH}">${h}</th>`).join('')}</tr>` +
    `<tr>${row.map((c) => `<td style="${TDR}">${escapeHtml(c)}</td>`).join('')}</tr></table>` +
    '<p style="margin:0 0 8px 0;color:#666;font-size:11px">times in ms</p>';
}

/** The matrix over the ping parts, when there are several agents or targets; '' otherwise. */
export function pingHtmlOverview(pings: FoldPart[]): string {
  const agents = [...new Set(pings.map((p) => p.agent))];
  const targets = [...new Set(pings.map((p) => p.target))];
  if (agents.length <= 1 && targets.length <= 1) return '';
  const byKey = new Map(pings.map((p) => [p.key, p]));
  const head = `<tr><th style="${TH}">agent \\ target</th>${targets.map((t) => `<th style="${TH}">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const rows = agents.map((a) => {
    const cells = targets.map((t) => {
      const p = byKey.get(partKey(a, t));
      const s = p?.summary;
      if (!p || (!s && p.errors.length === 0)) return `<td style="${TDR}">…</td>`;
      if (!s) return `<td style="${TDR};background:${NO_ANSWER_BACKGROUND}" title="${escapeHtml(p.errors[0]!.message)}">error</td>`;
      const text = s.avgMs === null ? 'no answer' : `${formatPingTime(s.avgMs)} ms`;
      const loss = s.lossPct > 0 && s.avgMs !== null ? ` <span style="color:#b00020">(${escapeHtml(formatLossShort(s.lossPct))} loss)</span>` : '';
      return `<td style="${TDR};background:${latencyColour(s.avgMs)}">${escapeHtml(text)}${loss}</td>`;
    });
    return `<tr><th style="${TH}">${escapeHtml(a)}</th>${cells.join('')}</tr>`;
  });
  const legend = LATENCY_BANDS.map((b) => `<span style="background:${b.background};padding:1px 6px">${escapeHtml(b.label)}</span>`).join(' ') +
    ` <span style="background:${NO_ANSWER_BACKGROUND};padding:1px 6px">no answer</span>`;
  return `<p style="margin:8px 0 2px 0"><b>average round trip, agents × targets</b></p>` +
    `<table style="${TABLE}" class="meshprobe-matrix">${head}${rows.join('')}</table>` +
    `<p style="margin:0 0 12px 0;font-size:11px">${legend}</p>`;
}
