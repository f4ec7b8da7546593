/**
 * The layout of a sweep bitmap: one cell per address of a prefix, row-major, so that for an IPv4
 * /24 the row is the high nibble of the last octet and for a /16 the row is the third octet.
 * The CLI draws it in text (this file), Telegram and MCP draw the same model as a PNG
 * (mcp/sweep-png.ts), colouring answered cells by the RTT kept here.
 *
 * Text rendering uses half blocks, two address rows per character line: `▀` top answered,
 * `▄` bottom answered, `█` both, `·` silent, a blank still pending. Half blocks rather than
 * braille because one column per address keeps the last octet readable across the line; with
 * `ansi: true` every cell shows all three states in colour (foreground = top, background = bottom).
 */
import type { MeasurementEvent } from '../model/events.ts';
import { saneEvent } from '../model/event-guard.ts';
import { addressAt, indexInPrefix, parseCidr, prefixSize, type Prefix } from '../net/cidr.ts';
import { addressBits } from '../net/ip-address.ts';

/** What is known about one address. */
export type CellState = 'pending' | 'reachable' | 'silent';

/** Cell codes in {@link SweepGrid.cells}: compact for PNG encoders. */
export const CELL_PENDING = 0;
export const CELL_REACHABLE = 1;
export const CELL_SILENT = 2;

/** Largest grid this model builds (2^20 cells): far above the /16 sweep bound, far below memory trouble. */
export const MAX_GRID_CELLS = 1 << 20;

/** Options of {@link SweepGrid}. */
export interface SweepGridOptions {
  /**
   * Cells per row, a power of two not above the prefix size. Default: the square-ish layout
   * 2^ceil(bits/2) (16 for a /24, 256 for a /16). A CLI on a narrow terminal may pass less.
   */
  columns?: number;
}

/** Counts of cells per state. */
export interface SweepCounts {
  reachable: number;
  silent: number;
  pending: number;
  total: number;
}

/** Options of {@link SweepGrid.toText}. */
export interface SweepTextOptions {
  /** Colour every half cell with ANSI escapes (green answered, grey silent, default pending). Default false. */
  ansi?: boolean;
}

const STATE_OF: readonly CellState[] = ['pending', 'reachable', 'silent'];
const CODE_OF: Record<CellState, number> = { pending: CELL_PENDING, reachable: CELL_REACHABLE, silent: CELL_SILENT };

/** The grid model of one prefix. Pure: no I/O, no clock; feed it `host` events or set cells. */
export class SweepGrid {
  readonly prefix: Prefix;
  /** Number of addresses (cells). */
  readonly size: number;
  readonly columns: number;
  readonly rows: number;
  #cells: Uint8Array;
  /** RTT in ms of each reachable cell (the PNG colours by it); 0 when set without one. */
  #rtt: Float64Array;
  #reachable = 0;
  #silent = 0;

  /**
   * @param prefix a parsed prefix or its text (`127.1.0.0/24`).
   * @throws RangeError when the text is not a prefix, the prefix has more than
   *   {@link MAX_GRID_CELLS} addresses, or `columns` is not a power of two up to the size.
   */
  constructor(prefix: Prefix | string, o: SweepGridOptions = {}) {
    let p: Prefix;
    if (typeof prefix === 'string') {
      const r = parseCidr(prefix);
      if (!r.ok) throw new RangeError(r.message);
      p = r.prefix;
    } else p = prefix;
    const n = prefixSize(p);
    if (n > BigInt(MAX_GRID_CELLS)) throw new RangeError(`${p.text} has ${n} addresses; a grid holds at most ${MAX_GRID_CELLS}`);
    this.prefix = p;
    this.size = Number(n);
    const hostBits = addressBits(p.family) - p.bits;
    const cols = o.columns ?? 2 ** Math.ceil(hostBits / 2);
    if (!Number.isInteger(cols) || cols < 1 || cols > this.size || (cols & (cols - 1)) !== 0) {
      throw new RangeError(`columns must be a power of two from 1 to ${this.size}, not ${cols}`);
    }
    this.columns = cols;
    this.rows = Math.ceil(this.size / cols);
    this.#cells = new Uint8Array(this.size);
    this.#rtt = new Float64Array(this.size);
  }

  /** Cell codes, row-major ({@link CELL_PENDING}, {@link CELL_REACHABLE}, {@link CELL_SILENT}). Read-only view. */
  get cells(): Readonly<Uint8Array> {
    return this.#cells;
  }

  /** Index of `address` in the grid, -1 when it is outside the prefix. */
  indexOf(address: string): number {
    return indexInPrefix(this.prefix, address);
  }

  /** Row and column of a cell. */
  position(index: number): { row: number; column: number } {
    return { row: Math.floor(index / this.columns), column: index % this.columns };
  }

  /** Index at a row and column, -1 outside the grid. */
  indexAt(row: number, column: number): number {
    if (row < 0 || column < 0 || column >= this.columns) return -1;
    const i = row * this.columns + column;
    return i < this.size ? i : -1;
  }

  /** The address of a cell. */
  addressAt(index: number): string {
    return addressAt(this.prefix, index);
  }

  /** State of a cell (pending outside the grid). */
  state(index: number): CellState {
    return STATE_OF[this.#cells[index] ?? CELL_PENDING]!;
  }

  /**
   * What the PNG draws for a cell: the RTT in ms when it answered (0 when set without one),
   * null when silent, undefined when pending or outside the grid.
   */
  rttMs(index: number): number | null | undefined {
    const code = this.#cells[index];
    if (code === CELL_REACHABLE) return this.#rtt[index]!;
    return code === CELL_SILENT ? null : undefined;
  }

  /**
   * Sets one cell by address or index, with the RTT of a reachable one. Returns false (and
   * changes nothing) outside the prefix.
   */
  set(at: string | number, state: CellState, rttMs?: number): boolean {
    const i = typeof at === 'number' ? at : this.indexOf(at);
    if (!Number.isInteger(i) || i < 0 || i >= this.size) return false;
    const old = this.#cells[i]!;
    const code = CODE_OF[state];
    this.#rtt[i] = code === CELL_REACHABLE ? (rttMs ?? 0) : 0;
    if (old === code) return true;
    if (old === CELL_REACHABLE) this.#reachable--;
    if (old === CELL_SILENT) this.#silent--;
    if (code === CELL_REACHABLE) this.#reachable++;
    if (code === CELL_SILENT) this.#silent++;
    this.#cells[i] = code;
    return true;
  }

  /** Feeds a stream event: a `host` event inside the prefix sets its cell; others are ignored. */
  add(raw: MeasurementEvent): boolean {
    const e = saneEvent(raw);
    if (e?.type !== 'host') return false;
    return e.rttMs === null || e.rttMs === undefined ? this.set(e.address, 'silent') : this.set(e.address, 'reachable', e.rttMs);
  }

  /** How many cells are in each state. */
  counts(): SweepCounts {
    return { reachable: this.#reachable, silent: this.#silent, pending: this.size - this.#reachable - this.#silent, total: this.size };
  }

  /** One line of counts, e.g. `127.1.0.0/24: 253 up, 3 silent, 0 pending (256 addresses)`. */
  caption(): string {
    const c = this.counts();
    return `${this.prefix.text}: ${c.reachable} up, ${c.silent} silent, ${c.pending} pending (${c.total} addresses)`;
  }

  /** The bitmap in half blocks, ceil(rows/2) lines of `columns` characters each, newline-terminated. */
  toText(o: SweepTextOptions = {}): string {
    const out: string[] = [];
    for (let r = 0; r < this.rows; r += 2) {
      let line = '';
      let lastSgr = '';
      for (let c = 0; c < this.columns; c++) {
        const top = this.#code(this.indexAt(r, c));
        const bottom = this.#code(this.indexAt(r + 1, c));
        if (o.ansi) {
          const sgr = `\x1b[${FG[top ?? CELL_PENDING]};${BG[bottom ?? CELL_PENDING]}m`;
          if (sgr !== lastSgr) line += sgr;
          lastSgr = sgr;
          line += '▀';
        } else {
          line += plainGlyph(top, bottom);
        }
      }
      out.push(o.ansi ? `${line}\x1b[0m` : line);
    }
    return out.map((l) => `${l}\n`).join('');
  }

  /**
   * A summary per /24 for a terminal too small for one cell per address (an IPv4 prefix shorter
   * than /24): one character per /24, 16 to a line, labelled by the third octet (`.0.0`, `.16.0`,
   * …), shading by the share of probed addresses that answered: `█` ≥ 75 %, `▓` ≥ 50 %,
   * `▒` ≥ 25 %, `░` some, `·` none, a blank when nothing was probed yet. Undefined for prefixes
   * that have no /24s to summarise.
   */
  toBlockText(o: SweepTextOptions = {}): string | undefined {
    if (this.prefix.family !== 4 || this.prefix.bits >= 24) return undefined;
    const blocks = this.size / 256;
    const perLine = Math.min(16, blocks);
    const first = this.addressAt(0).split('.');
    const label = (b: number) => `.${Number(first[2]) + b}.0`;
    const labelW = Math.max(...Array.from({ length: Math.ceil(blocks / perLine) }, (_, l) => label(l * perLine).length));
    const lines = [`${' '.repeat(labelW)} ${Array.from({ length: perLine }, (_, i) => (i % 4 === 0 ? `+${i}`.padEnd(4) : '')).join('')}`.trimEnd()];
    for (let b0 = 0; b0 < blocks; b0 += perLine) {
      let line = label(b0).padStart(labelW) + ' ';
      for (let b = b0; b < Math.min(blocks, b0 + perLine); b++) {
        let up = 0;
        let probed = 0;
        for (let i = b * 256; i < (b + 1) * 256; i++) {
          const c = this.#cells[i];
          if (c === CELL_REACHABLE) up++;
          if (c !== CELL_PENDING) probed++;
        }
        const share = probed ? up / probed : 0;
        const glyph = probed === 0 ? ' ' : up === 0 ? '·' : share >= 0.75 ? '█' : share >= 0.5 ? '▓' : share >= 0.25 ? '▒' : '░';
        line += o.ansi && up > 0 ? `\x1b[32m${glyph}\x1b[0m` : o.ansi && probed > 0 ? `\x1b[90m${glyph}\x1b[0m` : glyph;
      }
      lines.push(line);
    }
    lines.push('per /24 up: █≥75% ▓≥50% ▒≥25% ░>0 ·0');
    return lines.map((l) => `${l}\n`).join('');
  }

  #code(i: number): number | undefined {
    return i < 0 ? undefined : this.#cells[i];
  }
}

/** ANSI colours per cell code: pending = default, reachable = green, silent = bright black (grey). */
const FG = ['39', '32', '90'] as const;
const BG = ['49', '42', '100'] as const;

function plainGlyph(top: number | undefined, bottom: number | undefined): string {
  const t = top === CELL_REACHABLE;
  const b = bottom === CELL_REACHABLE;
  if (t && b) return '█';
  if (t) return '▀';
  if (b) return '▄';
  if (top === CELL_SILENT || bottom === CELL_SILENT) return '·';
  return ' ';
}
