/**
 * Monitors as HTML for email: `monitor list` as meshping's table per agent with the Loss cell
 * coloured (and a symbol beside it, for readers without colour), `monitor show` as the statistics
 * table with percentiles, the changes, and the heatmap shown inline when the mail carries it.
 * Inline styles only (mail clients drop `<style>`), every value escaped, bounded. Pure.
 */
import type { MonitorAgentStats } from '../model/monitor-types.ts';
import { escapeHtml, FONT, TABLE, TD, TDR, TH } from './html-style.ts';
import { formatMonitorDetail, monitorSettings, monitorTitle } from './monitor-detail.ts';
import { andMore, bounded, fmtCount, fmtLatency, fmtPct, LOSS_STYLE, lossClass, MonitorRenderLimits, safeDetail, safeMonitor, type SafeMonitor } from './monitor-format.ts';
import { MONITOR_TABLE_COLUMNS } from './monitor-table.ts';

function doc(line: string, body: string): string {
  const head = line ? `<p style="margin:0 0 8px 0"><b>${escapeHtml(line)}</b></p>\n` : '';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head><body><div style="${FONT}">\n${head}${body}</div></body></html>\n`;
}

function lossCell(p: number | null): string {
  const st = LOSS_STYLE[lossClass(p)];
  return `<td style="${TDR};color:${st.html};font-weight:bold">${escapeHtml(`${st.symbol ? `${st.symbol} ` : ''}${fmtPct(p)}`)}</td>`;
}

function statsRow(m: SafeMonitor, s: MonitorAgentStats): string {
  const num = (t: string) => `<td style="${TDR}">${escapeHtml(t)}</td>`;
  return `<tr><td style="${TD}">${escapeHtml(m.name)}${m.paused ? ' <i>(paused)</i>' : ''}</td><td style="${TD}">${escapeHtml(s.address ?? m.probe ?? '-')}</td>` +
    num(fmtCount(s.sent)) + num(fmtCount(s.received)) + num(fmtPct(s.successPct)) + lossCell(s.lossPct) +
    [s.minMs, s.avg15mMs, s.avg6hMs, s.avg24hMs, s.maxMs, s.lastMs].map((v) => num(fmtLatency(v))).join('') + '</tr>';
}

const WRAP = 'overflow-x:auto;max-width:100%';

/** `monitor list` as an HTML document headed by the command line: one table per agent. */
export function formatMonitorListHtml(monitors: unknown, line: string, o: { maxMonitors?: number } = {}): string {
  const { items, more } = bounded(monitors, o.maxMonitors ?? MonitorRenderLimits.maxMonitors);
  const list = items.map((m) => safeMonitor(m));
  if (list.length === 0) return doc(line, `<p>${more ? escapeHtml(andMore(more, 'monitors')) : 'No monitors. Add one with <code>monitor add TARGET</code>.'}</p>`);
  const byAgent = new Map<string, string[]>();
  const idle: string[] = [];
  for (const m of list) {
    if (m.stats.length === 0) idle.push(`<li>${escapeHtml(monitorTitle(m))}: ${m.paused ? 'paused' : 'no agent runs it yet'}</li>`);
    for (const s of m.stats) {
      let rows = byAgent.get(s.agent);
      if (!rows) byAgent.set(s.agent, (rows = []));
      rows.push(statsRow(m, s));
    }
  }
  const head = `<tr>${MONITOR_TABLE_COLUMNS.map((c) => `<th style="${TH}">${c}</th>`).join('')}</tr>`;
  const parts: string[] = [];
  for (const [agent, rows] of byAgent) {
    parts.push(`<p style="margin:8px 0 0 0">from <b>${escapeHtml(agent)}</b></p><div style="${WRAP}"><table style="${TABLE}">${head}${rows.join('')}</table></div>`);
  }
  if (idle.length) parts.push(`<p style="margin:8px 0 0 0">Not running:</p><ul>${idle.join('')}</ul>`);
  parts.push(`<p style="color:#555">Times in ms. Loss: ${(['low', 'high', 'down'] as const).map((c) => `<span style="color:${LOSS_STYLE[c].html}">${LOSS_STYLE[c].symbol}</span>`).join(' ')} = some, much, all lost.${more ? ` ${escapeHtml(andMore(more, 'monitors'))}.` : ''}</p>`);
  return doc(line, parts.join('\n'));
}

/**
 * `monitor show` as an HTML document: settings, statistics per agent (percentiles included),
 * changes as text, and the heatmap as `<img src="cid:…">` when `imageCid` is given (the email
 * carries the PNG as an inline attachment with that Content-ID).
 */
export function formatMonitorDetailHtml(detail: unknown, line: string, o: { imageCid?: string } = {}): string {
  const d = safeDetail(detail);
  const parts = [`<p><b>${escapeHtml(`monitor ${monitorTitle(d)}`)}</b><br>${monitorSettings(d).map(escapeHtml).join('<br>')}</p>`];
  for (const a of d.alerting) parts.push(`<p style="color:${LOSS_STYLE.high.html};font-weight:bold">ALERTING: ${escapeHtml(a)}</p>`);
  if (o.imageCid) parts.push(`<p><img src="cid:${escapeHtml(o.imageCid)}" alt="heatmap of ${escapeHtml(d.name)}" style="max-width:100%;height:auto"></p>`);
  if (d.stats.length) {
    const cols = ['Agent', 'Sent', 'Recv', 'Loss', 'Min', 'p50', 'p95', 'p99', 'Avg15m', 'Max', 'Last'];
    const rows = d.stats.map((s) => {
      const num = (t: string) => `<td style="${TDR}">${escapeHtml(t)}</td>`;
      return `<tr><td style="${TD}">${escapeHtml(s.agent)}</td>${num(fmtCount(s.sent))}${num(fmtCount(s.received))}${lossCell(s.lossPct)}` +
        [s.minMs, s.p50Ms, s.p95Ms, s.p99Ms, s.avg15mMs, s.maxMs, s.lastMs].map((v) => num(fmtLatency(v))).join('') + '</tr>';
    });
    parts.push(`<div style="${WRAP}"><table style="${TABLE}"><tr>${cols.map((c) => `<th style="${TH}">${c}</th>`).join('')}</tr>${rows.join('')}</table></div>`);
  }
  // The changes read best as the text answer has them.
  const text = formatMonitorDetail(detail);
  const changes = text.indexOf('\nroute changes') >= 0 ? text.slice(text.indexOf('\nroute changes')) : text.indexOf('\naddress changes') >= 0 ? text.slice(text.indexOf('\naddress changes')) : '';
  if (changes.trim()) parts.push(`<pre style="${FONT};white-space:pre-wrap;margin:0">${escapeHtml(changes.trim())}</pre>`);
  return doc(line, parts.join('\n'));
}
