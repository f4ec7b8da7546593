// The varint form of stored histograms: lossless across the whole grid and for counts past 2^32,
// smaller than JSON, and a malformed blob is an error rather than a wrong histogram.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHistogram, encodeHistogram } from '../../../hub/store/histogram-blob.ts';
import { type HistogramPairs, MIN_BUCKET, OVERFLOW_BUCKET } from '../../../shared/model/histogram.ts';

test('every bucket of the grid and counts up to 2^40 survive a round trip', () => {
  const pairs: HistogramPairs = [];
  for (let k = MIN_BUCKET; k <= OVERFLOW_BUCKET; k++) pairs.push([k, 1 + ((k - MIN_BUCKET) * 2 ** 33) % 2 ** 40]);
  assert.deepEqual(decodeHistogram(encodeHistogram(pairs)), pairs);
  assert.deepEqual(decodeHistogram(encodeHistogram([])), []);
  assert.deepEqual(decodeHistogram(encodeHistogram([[MIN_BUCKET, 1]])), [[MIN_BUCKET, 1]]);
});

test('a minute of 1 Hz pings over ten buckets takes two bytes a bucket, a quarter of its JSON', () => {
  const pairs: HistogramPairs = Array.from({ length: 10 }, (_, i): [number, number] => [-40 + i, 6]);
  assert.equal(encodeHistogram(pairs).length, 20);
  assert.ok(JSON.stringify(pairs).length >= 4 * 20);
});

test('a truncated blob or one past the overflow bucket is refused', () => {
  assert.throws(() => decodeHistogram(Uint8Array.from([5, 0x80])), /malformed/);
  assert.throws(() => decodeHistogram(Uint8Array.from([5])), /malformed/);
  assert.throws(() => decodeHistogram(Uint8Array.from([OVERFLOW_BUCKET - MIN_BUCKET + 1, 1])), /malformed/);
});
