/**
 * Collects a sweep's `host` events per agent×prefix and turns each into a grid for the PNG.
 * The grid is square-ish: 2^k cells laid out 2^ceil(k/2) wide, so a /24 is 16×16 and a /16
 * is 256×256, and an address sits at the same place in every picture of that prefix.
 */
import { indexInPrefix, parseCidr, prefixSize } from '../shared/cidr.ts';
import type { Prefix } from '../shared/cidr.ts';
import type { MeasurementEvent } from '../shared/events.ts';
import { renderSweepPng } from './sweep-png.ts';
import type { SweepGridModel } from './sweep-png.ts';

/** Largest prefix drawn (cells); a bigger one would make a PNG no client wants to show. */
const MAX_CELLS = 1 << 16;

interface Sweep {
  agent: string;
  target: string;
  prefix: Prefix;
  cells: (number | null | undefined)[];
}

/** Feed it every event of a probe measurement; ask for the images at the end. */
export class SweepCollector {
  readonly #sweeps = new Map<string, Sweep>();

  add(e: MeasurementEvent): void {
    if (e.type === 'start') this.#sweep(e.agent, e.target, e.address);
    else if (e.type === 'host') {
      const s = this.#sweep(e.agent, e.target, undefined);
      if (!s) return;
      const i = indexInPrefix(s.prefix, e.address);
      if (i >= 0 && i < s.cells.length) s.cells[i] = e.rttMs;
    }
  }

  /** The grids, one per agent×prefix that had hosts. */
  grids(): (SweepGridModel & { agent: string; target: string; prefix: string })[] {
    return [...this.#sweeps.values()]
      .filter((s) => s.cells.some((c) => c !== undefined))
      .map((s) => {
        const k = Math.log2(s.cells.length);
        const columns = 2 ** Math.ceil(k / 2);
        return { agent: s.agent, target: s.target, prefix: s.prefix.text, columns, rows: s.cells.length / columns, cells: s.cells };
      });
  }

  /** One PNG per grid. */
  images(): { agent: string; prefix: string; data: Uint8Array }[] {
    return this.grids().map((g) => ({ agent: g.agent, prefix: g.prefix, data: renderSweepPng(g) }));
  }

  #sweep(agent: string, target: string, address: string | undefined): Sweep | undefined {
    const key = `${agent}\u0000${target}`;
    const have = this.#sweeps.get(key);
    if (have) return have;
    const parsed = parseCidr(address && address.includes('/') ? address : target);
    if (!parsed.ok) return undefined;
    const size = prefixSize(parsed.prefix);
    if (size > BigInt(MAX_CELLS)) return undefined;
    const s: Sweep = { agent, target, prefix: parsed.prefix, cells: new Array<number | null | undefined>(Number(size)).fill(undefined) };
    this.#sweeps.set(key, s);
    return s;
  }
}
