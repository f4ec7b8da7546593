/**
 * A ping in an email: the per-probe lines in sequence order, the statistics table, and above
 * every block the agents × targets matrix with cells coloured by latency.
 */
import type { SummaryEvent } from '../../model/events.ts';
import { formatLossShort, formatPingTime } from '../../render/format.ts';
import { escapeHtml, PRE, TABLE, TD, TH } from '../../render/html-style.ts';
import { GRADE_STYLE, GRADES, LATENCY_LIMITS_MS, LOSS_LIMITS_PCT } from '../../render/quality.ts';
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
    out.push(`<pre style="${PRE}">${escapeHtml(lines.join('\n'))}</pre>`);
  }
  if (p.summary) out.push(statsTable(p.summary));
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}

/**
 * The statistics as two short lines that wrap on a phone (a ten-column table would not fit 375 px):
 * counts and loss, then the round trips.
 */
function statsTable(s: SummaryEvent): string {
  const f = (v: number | null) => (v === null ? '–' : formatPingTime(v));
  const rtt = s.received > 0
    ? `<br>rtt min/avg/max/mdev ${f(s.minMs)}/${f(s.avgMs)}/${f(s.maxMs)}/${f(s.mdevMs)} ms · p50/p90/p99 ${f(s.p50Ms)}/${f(s.p90Ms)}/${f(s.p99Ms)} ms`
    : '';
  return `<p style="margin:0 0 8px 0">${s.sent} sent, ${s.received} received, <b>${escapeHtml(formatLossShort(s.lossPct))} loss</b>${escapeHtml(rtt).replace('&lt;br&gt;', '<br>')}</p>`;
}

/** The legend of the grades: symbol, colour and threshold, so a reader knows what a cell means. */
export function gradeLegend(): string {
  const limits: Record<string, string> = {
    good: `< ${LATENCY_LIMITS_MS[0]} ms, no loss`,
    fair: `< ${LATENCY_LIMITS_MS[1]} ms, < ${LOSS_LIMITS_PCT[1]}% loss`,
    poor: `< ${LATENCY_LIMITS_MS[2]} ms, ≤ ${LOSS_LIMITS_PCT[2]}% loss`,
    bad: 'slower or lossier',
    down: 'no answer',
  };
  return GRADES.map((g) => `<span style="background:${GRADE_STYLE[g].background};padding:1px 6px;display:inline-block;margin:1px 0">${escapeHtml(`${GRADE_STYLE[g].symbol} ${GRADE_STYLE[g].word}: ${limits[g]}`)}</span>`).join(' ');
}

/**
 * The matrix over the ping parts, when there are several agents or targets; '' otherwise. Cells
 * carry the grade (the worse of latency and loss) as colour and symbol; below 600 px every agent
 * becomes a card listing its targets.
 */
export function pingHtmlOverview(pings: FoldPart[], kit: HtmlKit): string {
  const agents = [...new Set(pings.map((p) => p.agent))];
  const targets = [...new Set(pings.map((p) => p.target))];
  if (agents.length <= 1 && targets.length <= 1) return '';
  const byKey = new Map(pings.map((p) => [p.key, p]));
  const head = `<tr class="mp-head"><th style="${TH}">agent \\ target</th>${targets.map((t) => `<th style="${TH}">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const rows = agents.map((a) => {
    const cells = targets.map((t) => {
      const p = byKey.get(partKey(a, t));
      const label = ` data-label="${escapeHtml(t)}"`;
      if (!p) return `<td style="${TD}"${label}>…</td>`;
      const s = kit.summary(p);
      const title = s.error ? ` title="${escapeHtml(s.error)}"` : '';
      const text = kit.cell(s);
      // The full figures beside the headline figure: the average and the loss, both.
      const more = s.avgMs !== null && s.lossPct > 0 ? ` (${formatPingTime(s.avgMs)} ms)` : '';
      return `<td style="${TD};background:${GRADE_STYLE[s.grade].background}"${label}${title}>${escapeHtml(text + more)}</td>`;
    });
    return `<tr><th style="${TH}">${escapeHtml(a)}</th>${cells.join('')}</tr>`;
  });
  return `<p style="margin:8px 0 2px 0"><b>agents × targets: average round trip or loss</b></p>` +
    `<table style="${TABLE}" class="meshprobe-matrix mp-cards">${head}${rows.join('')}</table>` +
    `<p style="margin:0 0 12px 0;font-size:11px">${gradeLegend()}</p>`;
}
