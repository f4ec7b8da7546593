/**
 * The sweep picture (shared/render/sweep-bitmap.ts) encoded as a PNG for a tool
 * result. Node-only (pngjs), so the encoding lives here, at the front-end.
 */
import { PNG } from 'pngjs';
import { sweepBitmap, type SweepBitmapOptions, type SweepGridModel } from '../shared/render/sweep-bitmap.ts';
import type { SweepGrid } from '../shared/render/sweep-grid.ts';

export { drawableGrid, MAX_PNG_CELLS, rttColour, type SweepGridModel } from '../shared/render/sweep-bitmap.ts';

/** Encodes the grid as PNG bytes (RGB, no alpha). */
export function renderSweepPng(grid: SweepGrid | SweepGridModel, options: SweepBitmapOptions = {}): Uint8Array {
  const b = sweepBitmap(grid, options);
  const png = new PNG({ width: b.width, height: b.height, colorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(b.rgba.buffer, b.rgba.byteOffset, b.rgba.byteLength);
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}
