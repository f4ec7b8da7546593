/**
 * `monitor list` for terminals (the CLI, POST /v1/cli): meshping's status table — Target,
 * Address, Sent, Recv, Succ, Loss, Min, Avg15m, Avg6h, Avg24h, Max, Last — one table per agent,
 * since every agent watches from its own point of view. Aligned columns, times in ms, the Loss
 * column coloured with ANSI escapes when asked (a terminal), bounded whatever it is given. Pure.
 */
import type { MonitorAgentStats } from '../model/monitor-types.ts';
import { andMore, bounded, fmtCount, fmtLatency, fmtPct, LOSS_STYLE, lossClass, MonitorRenderLimits, safeMonitor, type SafeMonitor } from './monitor-format.ts';

/** Options of {@link formatMonitorTable}. */
export interface MonitorTableOptions {
  /** Monitors shown before "… and K more monitors" (default 50). */
  maxMonitors?: number;
  /** Colour the Loss column with ANSI SGR escapes (a terminal that wants colour). Default false. */
  ansi?: boolean;
}

/** meshping's column headings, in its order. */
export const MONITOR_TABLE_COLUMNS = ['Target', 'Address', 'Sent', 'Recv', 'Succ', 'Loss', 'Min', 'Avg15m', 'Avg6h', 'Avg24h', 'Max', 'Last'] as const;

interface Row {
  cells: string[];
  loss: number | null;
}

function row(m: SafeMonitor, s: MonitorAgentStats): Row {
  return {
    cells: [
      m.paused ? `${m.name}*` : m.name,
      s.address ?? m.probe ?? '-',
      fmtCount(s.sent),
      fmtCount(s.received),
      fmtPct(s.successPct),
      fmtPct(s.lossPct),
      fmtLatency(s.minMs),
      fmtLatency(s.avg15mMs),
      fmtLatency(s.avg6hMs),
      fmtLatency(s.avg24hMs),
      fmtLatency(s.maxMs),
      fmtLatency(s.lastMs),
    ],
    loss: s.lossPct,
  };
}

function table(rows: Row[], ansi: boolean): string[] {
  const header = [...MONITOR_TABLE_COLUMNS] as string[];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i]!.length)));
  const lossCol = header.indexOf('Loss');
  // Target and Address left-aligned, numbers right-aligned, as meshping's page shows them.
  const pad = (c: string, i: number) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!));
  const line = (cells: string[], loss?: number | null) =>
    cells
      .map((c, i) => {
        const p = pad(c, i);
        if (!ansi || loss === undefined || i !== lossCol) return p;
        return `\u001b[${LOSS_STYLE[lossClass(loss)].ansi}m${p}\u001b[0m`;
      })
      .join('  ')
      .replace(/\s+$/, '');
  return [line(header), ...rows.map((r) => line(r.cells, r.loss))];
}

/** The monitors (MonitorView[] from the hub) as meshping's table, one per agent; newline-terminated. */
export function formatMonitorTable(monitors: unknown, o: MonitorTableOptions = {}): string {
  const { items, more } = bounded(monitors, o.maxMonitors ?? MonitorRenderLimits.maxMonitors);
  const list = items.map((m) => safeMonitor(m));
  if (list.length === 0) return more > 0 ? `${andMore(more, 'monitors')}\n` : 'no monitors; add one with: monitor add TARGET\n';
  const byAgent = new Map<string, Row[]>();
  const idle: string[] = [];
  const problems: string[] = [];
  for (const m of list) {
    if (m.stats.length === 0) idle.push(`  ${m.name}  ${m.target}  (${m.paused ? 'paused' : 'no agent runs it yet'})`);
    for (const s of m.stats) {
      let rows = byAgent.get(s.agent);
      if (!rows) byAgent.set(s.agent, (rows = []));
      rows.push(row(m, s));
      if (s.error) problems.push(`  ${m.name} from ${s.agent}: ${s.error}`);
    }
    if (m.moreStats > 0) problems.push(`  ${m.name}: ${andMore(m.moreStats, 'agents')}`);
  }
  const out: string[] = [];
  for (const [agent, rows] of byAgent) {
    if (out.length) out.push('');
    out.push(`from ${agent}:`, ...table(rows, o.ansi === true));
  }
  if (idle.length) out.push(...(out.length ? [''] : []), 'not running:', ...idle);
  if (problems.length) out.push('', 'problems:', ...problems);
  const notes = ['times in ms'];
  if (list.some((m) => m.paused && m.stats.length > 0)) notes.push('* paused');
  out.push('', notes.join('; '));
  if (more > 0) out.push(andMore(more, 'monitors'));
  return `${out.join('\n')}\n`;
}
