/**
 * Collects a sweep's `host` events per agent×prefix into a SweepGrid
 * (shared/render/sweep-grid.ts) and draws each as a PNG. The parts are the event
 * fold's (shared/render/measurement-fold.ts); each part that names a drawable prefix gets a grid.
 * The layout is the grid's, so an address sits at the same cell here, in the Telegram photo and
 * in the CLI bitmap (a /24 is 16×16, a /16 is 256×256).
 */
import type { MeasurementEvent } from '../shared/model/events.ts';
import type { SweepGrid } from '../shared/render/sweep-grid.ts';
import { MeasurementFold, type FoldPart } from '../shared/render/measurement-fold.ts';
import { drawableGrid, renderProbePng } from './sweep-png.ts';
import type { SweepGridModel } from './sweep-png.ts';

/** Feed it every event of a sweep; ask for the images at the end. */
export class SweepCollector {
  /** Hosts live in the grids, not in the fold. */
  readonly #fold = new MeasurementFold({ maxLines: 0, maxHosts: 0 });
  /** Each part's grid, in order of first appearance (parts whose prefix cannot be drawn have none). */
  readonly #grids = new Map<FoldPart, SweepGrid>();

  add(raw: MeasurementEvent): void {
    const change = this.#fold.add(raw);
    const p = change?.part;
    if (!p) return;
    const e = change.event;
    if (e.type === 'start') this.#grid(p, e.address);
    else if (e.type === 'host') this.#grid(p, undefined)?.add(e);
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

  /** One PNG per grid: the probe picture (title, axes, legend with counts). */
  images(): { agent: string; prefix: string; data: Uint8Array }[] {
    return this.#drawn().map(({ agent, grid }) => ({ agent, prefix: grid.prefix.text, data: renderProbePng(grid, { agent }) }));
  }

  #drawn(): { agent: string; target: string; grid: SweepGrid }[] {
    const out: { agent: string; target: string; grid: SweepGrid }[] = [];
    for (const [p, grid] of this.#grids) if (grid.counts().pending < grid.size) out.push({ agent: p.agent, target: p.target, grid });
    return out;
  }

  /** The part's grid, made on its first event from the start's prefix (or the target). */
  #grid(p: FoldPart, address: string | undefined): SweepGrid | undefined {
    const have = this.#grids.get(p);
    if (have) return have;
    const grid = drawableGrid(address?.includes('/') ? address : p.target);
    // An undrawable prefix is not remembered as such: a later start may name a drawable one.
    if (grid) this.#grids.set(p, grid);
    return grid;
  }
}
