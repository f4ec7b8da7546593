/**
 * The sweep picture as pixels: one square per address of the prefix, row by row, dark when the
 * address was silent, purple-red when an ICMP error said it is unreachable, green → yellow → red by RTT when it answered, with a 1 px black line
 * between squares of 4 px or more. The layout (cell index ↔ address) is sweep-grid.ts's, the
 * same as the CLI's text bitmap. Pure RGBA, no encoder: each front-end that sends a picture
 * encodes it itself (PNG with pngjs), so front-ends share this model and never each other.
 */
import { parseCidr, prefixSize } from '../net/cidr.ts';
import { SweepGrid } from './sweep-grid.ts';

/** Largest prefix drawn: 65,536 cells (a /16) makes a 512×512 image; more is unreadable anyway. */
export const MAX_PNG_CELLS = 1 << 16;

/**
 * An empty grid for `cidr` in the layout every front-end draws; undefined when `cidr` is not a
 * prefix or has more than {@link MAX_PNG_CELLS} addresses (too large to draw).
 */
export function drawableGrid(cidr: string): SweepGrid | undefined {
  const parsed = parseCidr(cidr);
  if (!parsed.ok || prefixSize(parsed.prefix) > BigInt(MAX_PNG_CELLS)) return undefined;
  return new SweepGrid(parsed.prefix);
}

/** A grid given cell by cell (tests, one-cell swatches): cells in address order, laid out `columns` wide. */
export interface SweepGridModel {
  columns: number;
  rows: number;
  /** One per cell: RTT in ms when the address answered, null when silent, undefined when not probed. */
  cells: ArrayLike<number | null | undefined>;
}

/** Options of {@link sweepBitmap}. */
export interface SweepBitmapOptions {
  /** Pixels per cell side. Default: as many as keep the image near 512 px wide (1–16). */
  cellPx?: number;
}

/** An image as 8-bit RGBA, row-major, `width × height × 4` bytes (what pngjs and canvases take). */
export interface RgbaBitmap {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** An RGB colour, 0–255 per channel. */
export type Rgb = [number, number, number];

const SILENT: Rgb = [48, 48, 56];
/** An address an ICMP destination unreachable was about: dark red, apart from silence and from RTT reds. */
export const UNREACHABLE_COLOUR: Rgb = [150, 30, 110];
const UNPROBED: Rgb = [16, 16, 16];
/** The line between cells when they are 4 px or more, so a reader can count addresses. */
const GRID: Rgb = [0, 0, 0];

/** Draws the grid as RGBA pixels (alpha always 255). */
export function sweepBitmap(grid: SweepGrid | SweepGridModel, options: SweepBitmapOptions = {}): RgbaBitmap {
  const cellAt = grid instanceof SweepGrid ? (i: number) => grid.rttMs(i) : (i: number) => grid.cells[i];
  const unreachable = grid instanceof SweepGrid ? (i: number) => grid.state(i) === 'unreachable' : () => false;
  const cols = Math.max(1, grid.columns);
  const rows = Math.max(1, grid.rows);
  const px = options.cellPx ?? Math.min(16, Math.max(1, Math.floor(512 / cols)));
  const width = cols * px;
  const height = rows * px;
  const data = new Uint8Array(width * height * 4);
  const gap = px >= 4 ? 1 : 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = cellAt(r * cols + c);
      const rgb = v === undefined ? UNPROBED : v === null ? (unreachable(r * cols + c) ? UNREACHABLE_COLOUR : SILENT) : rttColour(v);
      for (let dy = 0; dy < px; dy++) {
        let o = ((r * px + dy) * width + c * px) * 4;
        for (let dx = 0; dx < px; dx++, o += 4) {
          const ink = dx >= px - gap || dy >= px - gap ? GRID : rgb;
          data[o] = ink[0];
          data[o + 1] = ink[1];
          data[o + 2] = ink[2];
          data[o + 3] = 255;
        }
      }
    }
  }
  return { width, height, rgba: data };
}

/** Green under 1 ms, yellow near 30 ms, red from 300 ms, on a log scale. */
export function rttColour(ms: number): Rgb {
  const t = Math.min(1, Math.max(0, Math.log10(Math.max(ms, 1)) / Math.log10(300)));
  if (t < 0.6) return [Math.round(40 + (t / 0.6) * 200), 200, 60];
  return [240, Math.round(200 - ((t - 0.6) / 0.4) * 170), 50];
}
