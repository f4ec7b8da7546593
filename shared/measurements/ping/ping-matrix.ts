/**
 * The agents × targets matrix of a ping (design §6: "several sources × several targets render as
 * a matrix"). A view over the one event fold (shared/render/measurement-fold.ts); the text
 * renderer and Telegram draw from it so they agree on what a cell holds.
 */
import type { MeasurementEvent } from '../../model/events.ts';
import { formatLatency, formatLossShort, formatTable } from '../../render/format.ts';
import { MeasurementFold, type FoldPart } from '../../render/measurement-fold.ts';

/** One agent×target cell. */
export interface MatrixCell {
  /** Average RTT in ms; null when nothing answered. */
  avgMs: number | null;
  lossPct: number;
  sent: number;
  received: number;
  /** Set when that agent×target failed (resolve failure, agent lost …). */
  error?: string;
}

/**
 * Most rows (agents) and columns (targets) a matrix keeps: far above what a request selects
 * (64 targets), so a stream of made-up names cannot grow it without bound.
 */
export const MAX_MATRIX_SIDE = 256;

/** Rows are agents, columns are targets, both in order of first appearance. */
export class PingMatrix {
  readonly #fold: MeasurementFold;

  /** A matrix over `fold` (read when asked), or over its own fold fed by {@link add}. */
  constructor(fold?: MeasurementFold) {
    this.#fold = fold ?? new MeasurementFold({ maxLines: 0, maxHosts: 0 });
  }

  /** Feeds one event to the matrix's own fold; only start, summary and error matter. */
  add(raw: MeasurementEvent): void {
    this.#fold.add(raw);
  }

  /** The parts that have a row and a column: reported (start, summary or error), within {@link MAX_MATRIX_SIDE}. */
  #parts(): { agents: string[]; targets: string[] } {
    const agents: string[] = [];
    const targets: string[] = [];
    const seenA = new Set<string>();
    const seenT = new Set<string>();
    for (const p of this.#fold.parts) {
      if (!p.start && !p.summary && p.errors.length === 0) continue;
      const newA = !seenA.has(p.agent);
      const newT = !seenT.has(p.target);
      if ((newA && agents.length >= MAX_MATRIX_SIDE) || (newT && targets.length >= MAX_MATRIX_SIDE)) continue;
      if (newA) { seenA.add(p.agent); agents.push(p.agent); }
      if (newT) { seenT.add(p.target); targets.push(p.target); }
    }
    return { agents, targets };
  }

  /** Agents (rows) in order of first appearance. */
  get agents(): string[] {
    return this.#parts().agents;
  }

  /** Targets (columns) in order of first appearance. */
  get targets(): string[] {
    return this.#parts().targets;
  }

  /** The cell of agent×target, undefined when nothing was reported for it. */
  cell(agent: string, target: string): MatrixCell | undefined {
    const p = this.#fold.part(agent, target);
    return p ? cellOf(p) : undefined;
  }

  /** True when there is more than one agent or more than one target: a matrix says something. */
  get interesting(): boolean {
    const { agents, targets } = this.#parts();
    return agents.length > 1 || targets.length > 1;
  }

  /**
   * Monospace text: a header row of targets, one row per agent; a cell reads `0.040 ms 0%`,
   * `- 100%` when nothing answered, `error` on failure, `n/a` when never reported.
   */
  toLines(): string[] {
    const { agents, targets } = this.#parts();
    const rows: string[][] = [['agent', ...targets]];
    for (const a of agents) rows.push([a, ...targets.map((t) => cellText(this.cell(a, t)))]);
    return formatTable(rows);
  }
}

/** A part as a cell: its summary's figures, and its error when an error came after them. */
function cellOf(p: FoldPart): MatrixCell | undefined {
  const s = p.summary;
  if (p.settled === 'error') {
    const e = p.errors[p.errors.length - 1]!;
    return { avgMs: s?.avgMs ?? null, lossPct: s?.lossPct ?? 100, sent: s?.sent ?? 0, received: s?.received ?? 0, error: e.message };
  }
  return s ? { avgMs: s.avgMs, lossPct: s.lossPct, sent: s.sent, received: s.received } : undefined;
}

/** The text of one cell, as {@link PingMatrix.toLines} prints it. */
export function cellText(c: MatrixCell | undefined): string {
  if (!c) return 'n/a';
  if (c.error !== undefined && c.received === 0) return 'error';
  if (c.avgMs === null) return `- ${formatLossShort(c.lossPct)}`;
  return `${formatLatency(c.avgMs)} ${formatLossShort(c.lossPct)}`;
}
