/**
 * `monitor list` for a phone (Telegram, the text part of email): one block per monitor with its
 * agents as rows — Loss, Avg15m and Last — in at most {@link COMPACT_WIDTH} monospace columns, a
 * symbol beside a loss (! some, !! high, x all lost) since chat text has no colour. Pure, bounded.
 */
import { andMore, bounded, fmtLatency, fmtPct, LOSS_STYLE, lossClass, MonitorRenderLimits, safeMonitor, str } from './monitor-format.ts';

/** Longest line of the compact layout: what a phone shows of monospace text without wrapping. */
export const COMPACT_WIDTH = 36;

/** Options of {@link formatMonitorCompact}. */
export interface MonitorCompactOptions {
  /** Monitors shown before "… and K more monitors" (default 50). */
  maxMonitors?: number;
}

const AGENT = 10;
const LOSS = 8;
const TIME = 8;

/** Cuts `s` to `w` characters, ending in … when cut. */
function cut(s: string, w: number): string {
  return s.length > w ? `${s.slice(0, w - 1)}…` : s;
}

function line(agent: string, loss: string, avg: string, last: string): string {
  return `${cut(agent, AGENT).padEnd(AGENT)}${loss.padStart(LOSS)}${avg.padStart(TIME)}${last.padStart(TIME)}`.replace(/\s+$/, '');
}

/** The monitors (MonitorView[] from the hub), one block each; lines ≤ 36 columns, no final newline. */
export function formatMonitorCompact(monitors: unknown, o: MonitorCompactOptions = {}): string {
  const { items, more } = bounded(monitors, o.maxMonitors ?? MonitorRenderLimits.maxMonitors);
  const list = items.map((m) => safeMonitor(m));
  if (list.length === 0) return more > 0 ? andMore(more, 'monitors') : 'No monitors. Add one: /monitor add TARGET';
  const blocks = list.map((m) => {
    const id = m.id !== null ? `#${m.id} ` : '';
    const where = m.probe && m.probe !== m.name ? ` ${m.probe}` : '';
    const lines = [cut(`${id}${m.name}${where}${m.paused ? ' (paused)' : ''}`, COMPACT_WIDTH)];
    if (m.stats.length === 0) {
      lines.push(m.paused ? '  paused' : '  no agent runs it yet');
      return lines.join('\n');
    }
    lines.push(line('agent', 'loss', 'avg15m', 'last'));
    for (const s of m.stats) {
      const sym = LOSS_STYLE[lossClass(s.lossPct)].symbol;
      lines.push(line(s.agent, `${sym}${fmtPct(s.lossPct)}`, fmtLatency(s.avg15mMs), fmtLatency(s.lastMs)));
      if (s.error) lines.push(cut(`  ${str(s.error)}`, COMPACT_WIDTH));
    }
    if (m.moreStats > 0) lines.push(cut(`  ${andMore(m.moreStats, 'agents')}`, COMPACT_WIDTH));
    return lines.join('\n');
  });
  const tail = ['times in ms'];
  if (more > 0) tail.push(andMore(more, 'monitors'));
  return [...blocks, tail.join('\n')].join('\n\n');
}
