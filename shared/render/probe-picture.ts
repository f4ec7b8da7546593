/**
 * The probe (sweep) picture that explains itself: a title (prefix, agent, time), the cell grid of
 * sweep-bitmap.ts with axis labels (for an IPv4 /24 the rows are `.0 .16 … .240` and the columns
 * the host offset `+0 … +15`; for a /16 the rows are the /24s, `x.y.0.0 … x.y.255.0`, and the
 * columns the host octet), and a legend with the count of each state and the RTT colour scale.
 * The counts in the legend are the grid's, which are the `host` events': a reader can trust them.
 * The alive ranges go beside the picture as text in every medium ({@link aliveRanges}). Pure.
 */
import { compactAddresses } from './compact-addresses.ts';
import { Raster, textWidth, LINE_H, GLYPH_H } from './raster.ts';
import { rttColour, sweepBitmap, type Rgb } from './sweep-bitmap.ts';
import type { SweepGrid } from './sweep-grid.ts';

/** What the title says besides the prefix. */
export interface ProbePictureOptions {
  /** The agent that swept. */
  agent?: string;
  /** When, as the reader should see it (e.g. `2026-05-01 12:00 UTC`); the caller owns the clock. */
  time?: string;
  /** `running…`, `done in 1.2 s`, `cancelled`. */
  state?: string;
}

/** A rectangle of the picture. */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One legend entry: its swatch colour, its words and its count, and where its text is drawn. */
export interface LegendEntry {
  label: string;
  count: number;
  colour: Rgb;
  /** The text drawn (`alive 37`) and its top-left corner. */
  text: string;
  at: { x: number; y: number };
}

/** The picture and where its parts are, so that a test (or an image map) can find them. */
export interface ProbePicture {
  image: Raster;
  title: Region;
  grid: Region & { cellPx: number; columns: number; rows: number };
  legend: Region & { entries: LegendEntry[] };
}

export const INK: Rgb = [20, 20, 20];
export const PAPER: Rgb = [255, 255, 255];
const MUTED: Rgb = [110, 110, 110];
/** Colours of the states, as sweep-bitmap.ts draws the cells. */
export const SILENT_COLOUR: Rgb = [48, 48, 56];
export const PENDING_COLOUR: Rgb = [16, 16, 16];

const PAD = 8;

/** The live hosts of a grid as compact ranges (`198.18.3.1–40, .42–.90`). */
export function aliveRanges(grid: SweepGrid): string[] {
  const up: string[] = [];
  for (let i = 0; i < grid.size; i++) if (grid.state(i) === 'reachable') up.push(grid.addressAt(i));
  return compactAddresses(up);
}

/** Draws the picture of `grid`. */
export function probePicture(grid: SweepGrid, o: ProbePictureOptions = {}): ProbePicture {
  const cellPx = Math.min(16, Math.max(1, Math.floor(512 / grid.columns)));
  const cells = sweepBitmap(grid, { cellPx });
  const rowLabels = rowAxis(grid, cellPx);
  const colLabels = columnAxis(grid, cellPx);
  const labelW = Math.max(0, ...rowLabels.map((l) => textWidth(l.text)));
  const gridX = PAD + labelW + 4;
  const titleLines = [`probe ${grid.prefix.text}${o.agent ? ` from ${o.agent}` : ''}`, [o.time, o.state].filter(Boolean).join(' · '), axisNote(grid)].filter(Boolean);
  const titleH = titleLines.length ? LINE_H * 2 + (titleLines.length - 1) * LINE_H + 2 : 0;
  const gridY = PAD + titleH + LINE_H;
  const counts = grid.counts();
  const entries: Omit<LegendEntry, 'at'>[] = [
    { label: 'alive', count: counts.reachable, colour: rttColour(1), text: `alive ${counts.reachable}` },
    { label: 'no answer', count: counts.silent, colour: SILENT_COLOUR, text: `no answer ${counts.silent}` },
    { label: 'not probed', count: counts.pending, colour: PENDING_COLOUR, text: `not probed ${counts.pending}` },
  ];
  const legendY = gridY + cells.height + PAD;
  const legendH = LINE_H * 2 + 4;
  const titleW = Math.max(0, ...titleLines.map((l, i) => textWidth(l, i === 0 ? 2 : 1)));
  const legendW = entries.reduce((n, e) => n + 14 + textWidth(e.text) + 12, 0);
  const width = Math.max(gridX + cells.width + PAD, PAD * 2 + titleW, PAD * 2 + legendW, 260);
  const height = legendY + legendH + PAD;
  const img = new Raster(width, height, PAPER);

  // Title: the prefix and agent large, the time and state below.
  let ty = PAD;
  titleLines.forEach((l, i) => {
    img.text(PAD, ty, l, i === 0 ? INK : MUTED, i === 0 ? 2 : 1);
    ty += i === 0 ? LINE_H * 2 : LINE_H;
  });
  // Axes.
  for (const l of colLabels) img.text(gridX + l.offset, gridY - LINE_H, l.text, MUTED);
  for (const l of rowLabels) img.text(gridX - 4 - textWidth(l.text), gridY + l.offset, l.text, MUTED);
  // The cells.
  for (let y = 0; y < cells.height; y++) {
    for (let x = 0; x < cells.width; x++) {
      const s = (y * cells.width + x) * 4;
      img.dot(gridX + x, gridY + y, [cells.rgba[s]!, cells.rgba[s + 1]!, cells.rgba[s + 2]!]);
    }
  }
  // Legend: a swatch and `state count` per state, then the RTT scale.
  let lx = PAD;
  const placed: LegendEntry[] = [];
  for (const e of entries) {
    img.fill(lx, legendY, 10, 10, e.colour);
    img.frame(lx, legendY, 10, 10, MUTED);
    const at = { x: lx + 14, y: legendY + 2 };
    lx = img.text(at.x, at.y, e.text, INK) + 12;
    placed.push({ ...e, at });
  }
  const scaleY = legendY + LINE_H + 4;
  let sx = img.text(PAD, scaleY + 1, 'rtt 1 ms', MUTED) + 4;
  for (let i = 0; i <= 60; i++) img.fill(sx + i, scaleY, 1, GLYPH_H + 2, rttColour(10 ** ((i / 60) * Math.log10(300))));
  sx += 64;
  img.text(sx, scaleY + 1, '300 ms', MUTED);
  return {
    image: img,
    title: { x: PAD, y: PAD, width: titleW, height: titleH },
    grid: { x: gridX, y: gridY, width: cells.width, height: cells.height, cellPx, columns: grid.columns, rows: grid.rows },
    legend: { x: PAD, y: legendY, width: legendW, height: legendH, entries: placed },
  };
}

/** Row labels: the address each labelled row starts with, in its shortest telling, at least 12 px apart. */
function rowAxis(grid: SweepGrid, cellPx: number): { text: string; offset: number }[] {
  const every = Math.max(1, 2 ** Math.ceil(Math.log2(Math.ceil(12 / cellPx))));
  const out: { text: string; offset: number }[] = [];
  for (let r = 0; r < grid.rows; r += every) out.push({ text: shortAddress(grid, grid.addressAt(r * grid.columns)), offset: r * cellPx + Math.max(0, Math.floor((cellPx - GLYPH_H) / 2)) });
  return out;
}

/** Column labels: the offset within the row (`+0`, `+4`, …), at least 28 px apart. */
function columnAxis(grid: SweepGrid, cellPx: number): { text: string; offset: number }[] {
  const every = Math.max(1, 2 ** Math.ceil(Math.log2(Math.ceil(28 / cellPx))));
  const out: { text: string; offset: number }[] = [];
  for (let c = 0; c < grid.columns; c += every) out.push({ text: `+${c}`, offset: c * cellPx });
  return out;
}

/** What the rows and columns are, in words. */
function axisNote(grid: SweepGrid): string {
  if (grid.prefix.family === 4 && grid.prefix.bits >= 24) return `rows: .N of ${grid.prefix.text} · columns: +offset`;
  if (grid.prefix.family === 4 && grid.prefix.bits >= 16 && grid.columns === 256) return 'rows: the /24s (.N.0) · columns: host octet';
  return `rows: first address · columns: +offset`;
}

/**
 * An address of the grid told by what changes along the rows: for an IPv4 prefix of /24 or
 * longer `.16`; up to /16 `.3.0`; otherwise the whole address.
 */
function shortAddress(grid: SweepGrid, address: string): string {
  if (grid.prefix.family !== 4) return address;
  const octets = address.split('.');
  if (grid.prefix.bits >= 24) return `.${octets[3]}`;
  if (grid.prefix.bits >= 16) return `.${octets[2]}.${octets[3]}`;
  return address;
}
