/**
 * The sweep as PNG bytes for a tool result: the bare cell bitmap (shared/render/sweep-bitmap.ts)
 * and the picture that explains itself (shared/render/probe-picture.ts). Encoded by the shared
 * encoder (shared/render/png.ts) with node:zlib's compressor, the one Node-only piece.
 */
import { deflateSync } from 'node:zlib';
import { encodePng } from '../shared/render/png.ts';
import { probePicture, type ProbePictureOptions } from '../shared/render/probe-picture.ts';
import { sweepBitmap, type SweepBitmapOptions, type SweepGridModel } from '../shared/render/sweep-bitmap.ts';
import type { SweepGrid } from '../shared/render/sweep-grid.ts';

export { drawableGrid, MAX_PNG_CELLS, rttColour, type SweepGridModel } from '../shared/render/sweep-bitmap.ts';

const deflate = (b: Uint8Array) => new Uint8Array(deflateSync(b));

/** Encodes the bare grid as PNG bytes. */
export function renderSweepPng(grid: SweepGrid | SweepGridModel, options: SweepBitmapOptions = {}): Uint8Array {
  return encodePng(sweepBitmap(grid, options), { deflate });
}

/** Encodes the probe picture (title, axes, legend) of `grid` as PNG bytes. */
export function renderProbePng(grid: SweepGrid, options: ProbePictureOptions = {}): Uint8Array {
  return encodePng(probePicture(grid, options).image, { deflate });
}
