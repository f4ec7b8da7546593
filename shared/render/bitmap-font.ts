/**
 * A 5×8 bitmap font for labels on pictures (the heatmap's title, axes and legend): printable
 * ASCII, the classic 5×7 LCD glyph set with descenders, one byte per pixel column (bit 0 at the
 * top). Pure pixels, so every medium draws the same labels; anything outside printable ASCII is
 * drawn as `?`.
 */
import type { Rgb, RgbaBitmap } from './sweep-bitmap.ts';

/** Glyph width in pixels (one column of spacing follows each glyph). */
export const GLYPH_WIDTH = 5;
/** Glyph height in pixels, descenders included. */
export const GLYPH_HEIGHT = 8;
/** Horizontal distance from one character to the next, at scale 1. */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

// 95 glyphs (space … `~`) × 5 column bytes, in hex.
const FONT_HEX =
  '000000000000005F00000007000700147F147F14242A7F2A12231308646236495620500008070300001C2241000041221C00' +
  '2A1C7F1C2A08083E080800807030000808080808000060600020100804023E5149453E00427F400072494949462141494D33' +
  '1814127F1027454545393C4A49493141211109073649494936464949291E0000140000004034000000081422411414141414' +
  '004122140802015909063E415D594E7C1211127C7F494949363E414141227F4141413E7F494949417F090909013E41415173' +
  '7F0808087F00417F41002040413F017F081422417F404040407F021C027F7F0408107F3E4141413E7F090909063E4151215E' +
  '7F09192946264949493203017F01033F4040403F1F2040201F3F4038403F631408146303047804036159494D43007F414141' +
  '0204081020004141417F04020102044040404040000307080020545478407F284444383844444428384444287F3854545418' +
  '00087E090218A4A49C787F0804047800447D40002040403D007F1028440000417F40007C047804787C080404783844444438' +
  'FC1824241818242418FC7C08040408485454542404043F44243C4040207C1C2040201C3C4030403C44281028444C9090907C' +
  '4464544C440008364100000077000000413608000201020402';

const FONT = Uint8Array.from({ length: FONT_HEX.length / 2 }, (_, i) => Number.parseInt(FONT_HEX.slice(2 * i, 2 * i + 2), 16));

/** Width in pixels of `text` drawn at `scale` (no trailing spacing). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * GLYPH_ADVANCE - 1) * scale;
}

/** Sets one pixel, ignoring coordinates outside the image. */
export function setPixel(img: RgbaBitmap, x: number, y: number, rgb: Rgb): void {
  if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
  const o = (y * img.width + x) * 4;
  img.rgba[o] = rgb[0];
  img.rgba[o + 1] = rgb[1];
  img.rgba[o + 2] = rgb[2];
  img.rgba[o + 3] = 255;
}

/** Fills the rectangle [x, x+w) × [y, y+h), clipped to the image. */
export function fillRect(img: RgbaBitmap, x: number, y: number, w: number, h: number, rgb: Rgb): void {
  for (let yy = Math.max(0, y); yy < Math.min(img.height, y + h); yy++) {
    for (let xx = Math.max(0, x); xx < Math.min(img.width, x + w); xx++) setPixel(img, xx, yy, rgb);
  }
}

/** Draws `text` with its top-left corner at (x, y), each font pixel a `scale`×`scale` square. */
export function drawText(img: RgbaBitmap, x: number, y: number, text: string, rgb: Rgb, scale = 1): void {
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 32 || code > 126) code = 63;
    const base = (code - 32) * GLYPH_WIDTH;
    const gx = x + i * GLYPH_ADVANCE * scale;
    for (let c = 0; c < GLYPH_WIDTH; c++) {
      const bits = FONT[base + c]!;
      for (let r = 0; r < GLYPH_HEIGHT; r++) {
        if ((bits >> r) & 1) fillRect(img, gx + c * scale, y + r * scale, scale, scale, rgb);
      }
    }
  }
}
