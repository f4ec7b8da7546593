/**
 * The agents × targets matrix of a ping (design §6: "several sources × several targets render as
 * a matrix"). A pure model fed events; the text renderer, email (coloured cells) and Telegram
 * all draw from it so they agree on what a cell holds.
 */
import type { MeasurementEvent } from '../model/events.ts';
import { formatLatency, formatLossShort, formatTable } from './format.ts';
import { saneEvent } from '../model/event-guard.ts';

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
  readonly agents: string[] = [];
  readonly targets: string[] = [];
  #cells = new Map<string, MatrixCell>();

  #key(agent: string, target: string): string {
    return `${agent}\u0000${target}`;
  }

  /** Whether agent×target has (or now gets) a row and a column; false past {@link MAX_MATRIX_SIDE}. */
  #see(agent: string, target: string): boolean {
    if (!this.agents.includes(agent)) {
      if (this.agents.length >= MAX_MATRIX_SIDE) return false;
      this.agents.push(agent);
    }
    if (!this.targets.includes(target)) {
      if (this.targets.length >= MAX_MATRIX_SIDE) return false;
      this.targets.push(target);
    }
    return true;
  }

  /** Feeds one event; only start, summary and error matter. Anything malformed is skipped or bounded. */
  add(raw: MeasurementEvent): void {
    const e = saneEvent(raw);
    if (!e) return;
    if (e.type === 'start') this.#see(e.agent, e.target);
    else if (e.type === 'summary') {
      if (!this.#see(e.agent, e.target)) return;
      this.#cells.set(this.#key(e.agent, e.target), { avgMs: e.avgMs, lossPct: e.lossPct, sent: e.sent, received: e.received });
    } else if (e.type === 'error' && e.agent !== undefined && e.target !== undefined) {
      if (!this.#see(e.agent, e.target)) return;
      const prev = this.#cells.get(this.#key(e.agent, e.target));
      this.#cells.set(this.#key(e.agent, e.target), { avgMs: prev?.avgMs ?? null, lossPct: prev?.lossPct ?? 100, sent: prev?.sent ?? 0, received: prev?.received ?? 0, error: e.message });
    }
  }

  /** The cell of agent×target, undefined when nothing was reported for it. */
  cell(agent: string, target: string): MatrixCell | undefined {
    return this.#cells.get(this.#key(agent, target));
  }

  /** True when there is more than one agent or more than one target: a matrix says something. */
  get interesting(): boolean {
    return this.agents.length > 1 || this.targets.length > 1;
  }

  /**
   * Monospace text: a header row of targets, one row per agent; a cell reads `0.040 ms 0%`,
   * `- 100%` when nothing answered, `error` on failure, `n/a` when never reported.
   */
  toLines(): string[] {
    const rows: string[][] = [['agent', ...this.targets]];
    for (const a of this.agents) {
      rows.push([a, ...this.targets.map((t) => cellText(this.cell(a, t)))]);
    }
    return formatTable(rows);
  }
}

/** The text of one cell, as {@link PingMatrix.toLines} prints it. */
export function cellText(c: MatrixCell | undefined): string {
  if (!c) return 'n/a';
  if (c.error !== undefined && c.received === 0) return 'error';
  if (c.avgMs === null) return `- ${formatLossShort(c.lossPct)}`;
  return `${formatLatency(c.avgMs)} ${formatLossShort(c.lossPct)}`;
}
