/**
 * A small RGBA canvas for the pictures meshprobe draws (sweep and path pictures, heatmaps):
 * filled rectangles, lines, and text in a built-in 5×7 pixel font, scaled by whole pixels. Pure
 * and runtime-neutral (no canvas library, no fonts to load), so Telegram, email, MCP and the web
 * draw the same pixels; {@link encodePng} (png.ts) turns the result into a PNG.
 */
import type { Rgb, RgbaBitmap } from './sweep-bitmap.ts';

/** Glyph width and height of the font, in font pixels; one column of spacing follows each glyph. */
export const GLYPH_W = 5;
export const GLYPH_H = 7;
/** Advance per character and line height, in font pixels (at scale 1). */
export const ADVANCE = GLYPH_W + 1;
export const LINE_H = GLYPH_H + 3;

/** Rows of each glyph, top to bottom, bit 4 the leftmost pixel. */
const FONT: Record<string, readonly number[]> = {
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14], '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8], '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17], B: [30, 17, 17, 30, 17, 17, 30], C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28], E: [31, 16, 16, 30, 16, 16, 31], F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15], H: [17, 17, 17, 31, 17, 17, 17], I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12], K: [17, 18, 20, 24, 20, 18, 17], L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17], N: [17, 17, 25, 21, 19, 17, 17], O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16], Q: [14, 17, 17, 17, 21, 18, 13], R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30], T: [31, 4, 4, 4, 4, 4, 4], U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4], W: [17, 17, 17, 21, 21, 21, 10], X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4], Z: [31, 1, 2, 4, 8, 16, 31],
  a: [0, 0, 14, 1, 15, 17, 15], b: [16, 16, 22, 25, 17, 17, 30], c: [0, 0, 14, 16, 16, 17, 14],
  d: [1, 1, 13, 19, 17, 17, 15], e: [0, 0, 14, 17, 31, 16, 14], f: [6, 9, 8, 28, 8, 8, 8],
  g: [0, 15, 17, 17, 15, 1, 14], h: [16, 16, 22, 25, 17, 17, 17], i: [4, 0, 12, 4, 4, 4, 14],
  j: [2, 0, 6, 2, 2, 18, 12], k: [16, 16, 18, 20, 24, 20, 18], l: [12, 4, 4, 4, 4, 4, 14],
  m: [0, 0, 26, 21, 21, 17, 17], n: [0, 0, 22, 25, 17, 17, 17], o: [0, 0, 14, 17, 17, 17, 14],
  p: [0, 0, 30, 17, 30, 16, 16], q: [0, 0, 15, 17, 15, 1, 1], r: [0, 0, 22, 25, 16, 16, 16],
  s: [0, 0, 15, 16, 14, 1, 30], t: [8, 8, 28, 8, 8, 9, 6], u: [0, 0, 17, 17, 17, 19, 13],
  v: [0, 0, 17, 17, 17, 10, 4], w: [0, 0, 17, 17, 21, 21, 10], x: [0, 0, 17, 10, 4, 10, 17],
  y: [0, 17, 17, 17, 15, 1, 14], z: [0, 0, 31, 2, 4, 8, 31],
  '.': [0, 0, 0, 0, 0, 12, 12], ',': [0, 0, 0, 0, 12, 4, 8], ':': [0, 12, 12, 0, 12, 12, 0],
  '-': [0, 0, 0, 14, 0, 0, 0], '–': [0, 0, 0, 31, 0, 0, 0], '—': [0, 0, 0, 31, 0, 0, 0],
  '/': [0, 1, 2, 4, 8, 16, 0], '(': [2, 4, 8, 8, 8, 4, 2], ')': [8, 4, 2, 2, 2, 4, 8],
  '[': [14, 8, 8, 8, 8, 8, 14], ']': [14, 2, 2, 2, 2, 2, 14], '%': [24, 25, 2, 4, 8, 19, 3],
  _: [0, 0, 0, 0, 0, 0, 31], '=': [0, 0, 31, 0, 31, 0, 0], '+': [0, 4, 4, 31, 4, 4, 0],
  '*': [0, 4, 21, 14, 21, 4, 0], '#': [10, 10, 31, 10, 31, 10, 10], '<': [2, 4, 8, 16, 8, 4, 2],
  '>': [8, 4, 2, 1, 2, 4, 8], '→': [0, 4, 2, 31, 2, 4, 0], '×': [0, 17, 10, 4, 10, 17, 0],
  '?': [14, 17, 1, 2, 4, 0, 4], '!': [4, 4, 4, 4, 4, 0, 4], "'": [4, 4, 8, 0, 0, 0, 0],
  'µ': [0, 0, 17, 17, 19, 29, 16], '·': [0, 0, 0, 12, 12, 0, 0], '≥': [8, 4, 2, 4, 8, 0, 31],
  '≤': [2, 4, 8, 4, 2, 0, 31], '@': [14, 17, 23, 21, 23, 16, 14], '&': [12, 18, 20, 8, 21, 18, 13],
  '~': [0, 0, 8, 21, 2, 0, 0], '|': [4, 4, 4, 4, 4, 4, 4], '"': [10, 10, 0, 0, 0, 0, 0],
  '✓': [0, 1, 2, 20, 8, 0, 0], '✗': [0, 17, 10, 4, 10, 17, 0],
};
const UNKNOWN = FONT['?']!;

/** Width in pixels of `text` drawn at `scale` (no trailing spacing column). */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

/** An RGBA canvas, opaque, filled with `background` at first. */
export class Raster implements RgbaBitmap {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;

  /** @throws RangeError when a side is not a positive integer or the image would exceed 16 Mpx. */
  constructor(width: number, height: number, background: Rgb = [255, 255, 255]) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width * height > 1 << 24) {
      throw new RangeError(`a picture is 1 to 16,777,216 pixels, not ${width}×${height}`);
    }
    this.width = width;
    this.height = height;
    this.rgba = new Uint8Array(width * height * 4);
    this.fill(0, 0, width, height, background);
  }

  /** Sets one pixel (outside the canvas: nothing). */
  dot(x: number, y: number, c: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.rgba[o] = c[0];
    this.rgba[o + 1] = c[1];
    this.rgba[o + 2] = c[2];
    this.rgba[o + 3] = 255;
  }

  /** The colour of one pixel. */
  at(x: number, y: number): Rgb {
    const o = (y * this.width + x) * 4;
    return [this.rgba[o]!, this.rgba[o + 1]!, this.rgba[o + 2]!];
  }

  /** Fills a rectangle, clipped to the canvas. */
  fill(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.dot(xx, yy, c);
  }

  /** A rectangle's outline, 1 px. */
  frame(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.fill(x, y, w, 1, c);
    this.fill(x, y + h - 1, w, 1, c);
    this.fill(x, y, 1, h, c);
    this.fill(x + w - 1, y, 1, h, c);
  }

  /** A straight line `thick` pixels wide (Bresenham, squares at each step). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, thick = 1): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    const half = Math.floor(thick / 2);
    // Bounded: each step moves one pixel closer along the major axis.
    for (let steps = dx - dy + 1; steps > 0; steps--) {
      this.fill(x0 - half, y0 - half, thick, thick, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /**
   * Draws `text` with its top-left corner at (x, y), `scale` pixels per font pixel; characters
   * outside the font draw as `?`. Returns the x just after the text.
   */
  text(x: number, y: number, text: string, c: Rgb, scale = 1): number {
    let cx = Math.round(x);
    for (const ch of text) {
      const g = FONT[ch] ?? UNKNOWN;
      for (let r = 0; r < GLYPH_H; r++) {
        const bits = g[r]!;
        for (let col = 0; col < GLYPH_W; col++) if (bits & (1 << (GLYPH_W - 1 - col))) this.fill(cx + col * scale, y + r * scale, scale, scale, c);
      }
      cx += ADVANCE * scale;
    }
    return cx;
  }
}
