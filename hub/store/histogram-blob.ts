/**
 * The stored form of a sparse histogram (shared/model/histogram.ts): a BLOB of unsigned LEB128
 * varints, `[bucket step, count]` per non-empty bucket, the first step counted from MIN_BUCKET
 * and each next one from the bucket before. A minute row of 1 Hz pings over ~10 buckets takes
 * ~20 bytes this way against ~80 as JSON text (bench/store-size.ts measures both).
 */
import { MIN_BUCKET, OVERFLOW_BUCKET, type HistogramPairs } from '../../shared/model/histogram.ts';

/** Encodes pairs (bucket ascending, counts > 0: as stored rows hold them). */
export function encodeHistogram(pairs: HistogramPairs): Uint8Array {
  const out: number[] = [];
  let prev = MIN_BUCKET;
  for (const [k, c] of pairs) {
    if (!(c > 0)) continue;
    pushVarint(out, k - prev);
    pushVarint(out, c);
    prev = k;
  }
  return Uint8Array.from(out);
}

/** Decodes a BLOB written by encodeHistogram; throws on a malformed one (a corrupt database). */
export function decodeHistogram(blob: Uint8Array): HistogramPairs {
  const pairs: HistogramPairs = [];
  let k = MIN_BUCKET;
  let i = 0;
  while (i < blob.length) {
    const [step, i2] = readVarint(blob, i);
    const [count, i3] = readVarint(blob, i2);
    k += step;
    if (k > OVERFLOW_BUCKET || (pairs.length > 0 && step === 0)) throw new Error('malformed histogram blob');
    pairs.push([k, count]);
    i = i3;
  }
  return pairs;
}

// Arithmetic rather than bit operations: cumulative counts pass 2^31 over a year.
function pushVarint(out: number[], n: number): void {
  let v = Math.max(0, Math.trunc(n));
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function readVarint(blob: Uint8Array, at: number): [number, number] {
  let v = 0;
  let scale = 1;
  for (let i = at; i < blob.length && i < at + 8; i++) {
    const b = blob[i]!;
    v += (b & 127) * scale;
    if (b < 128) return [v, i + 1];
    scale *= 128;
  }
  throw new Error('malformed histogram blob');
}
