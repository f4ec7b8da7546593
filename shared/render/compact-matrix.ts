/**
 * The compact matrix of a multi-agent or multi-target run, for a phone (Telegram, the top of an
 * email's text part): rows are agents, columns targets, each cell a grade symbol and the one
 * figure that matters (`✓ 12.3 ms`, `! 40% loss`). Fits {@link PHONE_COLUMNS} monospace columns:
 * when the table would be wider it becomes one block per target with a line per agent, and long
 * names are shortened with `…`. Pure.
 */
import { padLeft, padRight } from './format.ts';
import { cellText, type PartSummary } from './run-summary.ts';

/** Monospace columns a phone shows without wrapping (375 px, Telegram's code font). */
export const PHONE_COLUMNS = 36;

/** Options of {@link compactMatrix}. */
export interface CompactMatrixOptions {
  /** Most columns (default {@link PHONE_COLUMNS}). */
  width?: number;
  /** Agents and targets known from the request, so that their rows show before anything arrived. */
  agents?: readonly string[];
  targets?: readonly string[];
}

/** `s` cut to `n` code points, the last one `…` when cut. */
export function shorten(s: string, n: number): string {
  const cps = [...s];
  return cps.length <= n ? s : cps.slice(0, Math.max(1, n - 1)).join('') + '…';
}

/** The matrix lines, none wider than `width` code points. */
export function compactMatrix(parts: readonly PartSummary[], o: CompactMatrixOptions = {}): string[] {
  const width = o.width ?? PHONE_COLUMNS;
  const agents = [...new Set([...parts.map((p) => p.agent), ...(o.agents ?? [])])];
  const targets = [...new Set([...parts.map((p) => p.target), ...(o.targets ?? [])])];
  const by = new Map(parts.map((p) => [`${p.agent}\u0000${p.target}`, p]));
  const cell = (a: string, t: string) => cellText(by.get(`${a}\u0000${t}`));
  const len = (s: string) => [...s].length;
  const agentW = Math.min(12, Math.max(5, ...agents.map(len)));
  if (targets.length > 1) {
    const cells = agents.map((a) => targets.map((t) => cell(a, t)));
    const colW = targets.map((t, i) => Math.max(len(t), ...cells.map((r) => len(r[i]!))));
    const tableW = agentW + colW.reduce((n, w) => n + 2 + w, 0);
    if (tableW <= width) {
      const head = padRight('', agentW) + targets.map((t, i) => '  ' + padRight(t, colW[i]!)).join('');
      const rows = agents.map((a, r) => padRight(shorten(a, agentW), agentW) + cells[r]!.map((c, i) => '  ' + padRight(c, colW[i]!)).join(''));
      return [head, ...rows].map((l) => l.replace(/\s+$/, ''));
    }
  }
  // One block per target: its name, then `agent  cell` lines.
  const out: string[] = [];
  for (const t of targets) {
    if (targets.length > 1 || agents.length > 1) out.push(shorten(t, width));
    for (const a of agents) {
      const c = cell(a, t);
      const aw = Math.min(agentW, width - 2 - len(c) - 2);
      out.push(`  ${padRight(shorten(a, Math.max(3, aw)), Math.max(3, aw))}  ${padLeft(c, 0)}`.replace(/\s+$/, ''));
    }
  }
  return out.map((l) => shorten(l, width));
}
