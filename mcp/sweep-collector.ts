/**
 * Collects a sweep's `host` events per agent×prefix into a SweepGrid (shared/measurements/probe/sweep-grid.ts) and
 * draws each as a PNG. The layout is the grid's, so an address sits at the same cell here, in
 * the Telegram photo and in the CLI bitmap (a /24 is 16×16, a /16 is 256×256).
 */
import type { MeasurementEvent } from '../shared/model/events.ts';
import { saneEvent } from '../shared/model/event-guard.ts';
import type { SweepGrid } from '../shared/measurements/probe/sweep-grid.ts';
import { drawableGrid, renderSweepPng } from './sweep-png.ts';
import type { SweepGridModel } from './sweep-png.ts';

interface Sweep {
  agent: string;
  target: string;
  grid: SweepGrid;
}

/** Feed it every event of a probe measurement; ask for the images at the end. */
export class SweepCollector {
  readonly #sweeps = new Map<string, Sweep>();

  add(raw: MeasurementEvent): void {
    const e = saneEvent(raw);
    if (!e) return;
    if (e.type === 'start') this.#sweep(e.agent, e.target, e.address);
    else if (e.type === 'host') this.#sweep(e.agent, e.target, undefined)?.grid.add(e);
  }

  /** The grids, one per agent×prefix that had hosts, cell by cell (RTT, null silent, undefined pending). */
  grids(): (SweepGridModel & { agent: string; target: string; prefix: string })[] {
    return this.#drawn().map(({ agent, target, grid }) => ({
      agent,
      target,
      prefix: grid.prefix.text,
      columns: grid.columns,
      rows: grid.rows,
      cells: Array.from({ length: grid.size }, (_, i) => grid.rttMs(i)),
    }));
  }

  /** One PNG per grid. */
  images(): { agent: string; prefix: string; data: Uint8Array }[] {
    return this.#drawn().map(({ agent, grid }) => ({ agent, prefix: grid.prefix.text, data: renderSweepPng(grid) }));
  }

  #drawn(): Sweep[] {
    return [...this.#sweeps.values()].filter((s) => s.grid.counts().pending < s.grid.size);
  }

  #sweep(agent: string, target: string, address: string | undefined): Sweep | undefined {
    const key = `${agent}\u0000${target}`;
    const have = this.#sweeps.get(key);
    if (have) return have;
    const grid = drawableGrid(address && address.includes('/') ? address : target);
    if (!grid) return undefined;
    const s: Sweep = { agent, target, grid };
    this.#sweeps.set(key, s);
    return s;
  }
}
