/**
 * `monitor show` as text, in every front-end: the monitor, its statistics per agent over the range
 * (sent, received, loss, min, the three averages, max, last, p50/p95/p99), the alerts holding,
 * route changes (the hops that changed) and address changes, newest first. Lines stay short
 * enough for a phone (≤ 36 columns but for names and addresses longer than that); everything is
 * bounded. Also the short caption that goes beside the heatmap picture. Pure.
 */
import { formatDuration } from '../model/duration.ts';
import type { MonitorAgentStats } from '../model/monitor-types.ts';
import { andMore, fmtCount, fmtLatency, fmtPct, LOSS_STYLE, lossClass, safeDetail, type SafeMonitor } from './monitor-format.ts';

/** Hops listed per route change before "… and K more hops". */
const MAX_CHANGED_HOPS = 5;
/** Telegram's limit of a photo caption, in characters. */
export const CAPTION_LIMIT = 1024;

/** `#7 gw (gw.example.net@192.0.2.1)`: how a monitor is named in answers. */
export function monitorTitle(m: Pick<SafeMonitor, 'id' | 'name' | 'target'>): string {
  const id = m.id !== null ? `#${m.id} ` : '';
  return m.target && m.target !== m.name ? `${id}${m.name} (${m.target})` : `${id}${m.name}`;
}

/** The settings line: what is probed, how often, from where. */
export function monitorSettings(m: SafeMonitor): string[] {
  const every = m.intervalMs !== null ? ` every ${formatDuration(m.intervalMs)}` : '';
  const options = [...(m.legacy ? ['the older protocol (--legacy)'] : []), ...(m.fixedTimeout ? ['a fixed timeout'] : [])];
  const lines = [`probes ${m.probe || '?'}${every}${options.length ? `, ${options.join(', ')}` : ''}`];
  lines.push(`from ${m.from.length ? m.from.join(', ') : 'every capable agent'}${m.agents.length ? ` (now: ${m.agents.join(', ')})` : ''}`);
  if (m.traceMs !== null) lines.push(`route watch every ${formatDuration(m.traceMs)}`);
  for (const a of m.alerts) lines.push(`alert: ${a}`);
  if (m.paused) lines.push('PAUSED (monitor resume to restart it)');
  return lines;
}

function agentBlock(s: MonitorAgentStats): string[] {
  const sym = LOSS_STYLE[lossClass(s.lossPct)].symbol;
  const lines = [
    `from ${s.agent}${s.address ? ` to ${s.address}` : ''}:`,
    `  sent ${fmtCount(s.sent)} recv ${fmtCount(s.received)} loss ${sym}${fmtPct(s.lossPct)}`,
    `  min ${fmtLatency(s.minMs)} max ${fmtLatency(s.maxMs)} last ${fmtLatency(s.lastMs)}`,
    `  avg 15m ${fmtLatency(s.avg15mMs)} 6h ${fmtLatency(s.avg6hMs)} 24h ${fmtLatency(s.avg24hMs)}`,
    `  p50 ${fmtLatency(s.p50Ms)} p95 ${fmtLatency(s.p95Ms)} p99 ${fmtLatency(s.p99Ms)}`,
  ];
  if (s.lastAt) lines.push(`  reported ${shortTime(s.lastAt)}`);
  if (s.error) lines.push(`  problem: ${s.error}`);
  return lines;
}

/** `2025-06-01 12:34Z` from an ISO time; the input when it is not one. */
export function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}

function routeLines(from: (string | null)[], to: (string | null)[]): string[] {
  const changed: string[] = [];
  const n = Math.max(from.length, to.length);
  let more = 0;
  for (let i = 0; i < n; i++) {
    const a = from[i] ?? null;
    const b = to[i] ?? null;
    if (a === b) continue;
    if (changed.length >= MAX_CHANGED_HOPS) more++;
    else changed.push(`    hop ${i + 1}: ${i < from.length ? (a ?? '*') : '-'} → ${i < to.length ? (b ?? '*') : '-'}`);
  }
  if (more) changed.push(`    ${andMore(more, 'hops')}`);
  return changed;
}

/** The whole answer to `monitor show` (a MonitorDetail from the hub), newline-terminated. */
export function formatMonitorDetail(detail: unknown): string {
  const d = safeDetail(detail);
  const out = [`monitor ${monitorTitle(d)}`, ...monitorSettings(d)];
  if (d.alerting.length) out.push(...d.alerting.map((a) => `ALERTING: ${a}`));
  out.push('', `over the last ${d.rangeMs !== null ? formatDuration(d.rangeMs) : '24h'} (times in ms):`);
  if (d.stats.length === 0) out.push(d.paused ? '  paused: no agent runs it' : '  no agent has reported yet');
  for (const s of d.stats) out.push(...agentBlock(s));
  if (d.moreStats) out.push(`  ${andMore(d.moreStats, 'agents')}`);
  if (d.routeChanges.length) {
    out.push('', 'route changes, newest first:');
    for (const r of d.routeChanges) out.push(`  ${shortTime(r.at)} from ${r.agent}:`, ...routeLines(r.from, r.to));
    if (d.moreRouteChanges) out.push(`  ${andMore(d.moreRouteChanges, 'route changes')}`);
  }
  if (d.addressChanges.length) {
    out.push('', 'address changes, newest first:');
    for (const a of d.addressChanges) out.push(`  ${shortTime(a.at)} ${a.agent}: ${a.from ?? '-'} → ${a.to}`);
    if (d.moreAddressChanges) out.push(`  ${andMore(d.moreAddressChanges, 'address changes')}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The caption beside the heatmap (Telegram's limit: 1024 characters): the title, the alerts
 * holding, and one line per agent with loss and p50/p95. The full text goes in its own message.
 */
export function formatMonitorCaption(detail: unknown): string {
  const d = safeDetail(detail);
  const lines = [`${monitorTitle(d)}${d.paused ? ' (paused)' : ''}, last ${d.rangeMs !== null ? formatDuration(d.rangeMs) : '24h'}`];
  for (const a of d.alerting) lines.push(`ALERTING: ${a}`);
  for (const s of d.stats) {
    const sym = LOSS_STYLE[lossClass(s.lossPct)].symbol;
    lines.push(`${s.agent}: loss ${sym}${fmtPct(s.lossPct)} p50 ${fmtLatency(s.p50Ms)} p95 ${fmtLatency(s.p95Ms)} ms`);
  }
  let text = lines.join('\n');
  if (text.length > CAPTION_LIMIT) text = `${text.slice(0, CAPTION_LIMIT - 1)}…`;
  return text;
}
