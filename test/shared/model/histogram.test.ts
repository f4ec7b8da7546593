import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketBoundMs, bucketOf, COARSE_BOUNDS_MS, Histogram, MAX_BUCKET, MIN_BUCKET, OVERFLOW_BUCKET } from '../../../shared/model/histogram.ts';

test('bucket k holds (2^((k-1)/10), 2^(k/10)] ms, a value on a bound stays in its bucket', () => {
  assert.equal(bucketOf(1), 0);
  assert.equal(bucketOf(2), 10);
  assert.equal(bucketOf(1.0001), 1);
  assert.equal(bucketOf(0.5), -10);
  for (let k = MIN_BUCKET; k <= MAX_BUCKET; k++) {
    assert.equal(bucketOf(bucketBoundMs(k)), k, `bound of ${k}`);
    assert.equal(bucketOf(bucketBoundMs(k) * 1.000001), Math.min(k + 1, OVERFLOW_BUCKET), `just above ${k}`);
  }
});

test('the grid covers 10 µs to 60 s: LAN round trips keep their detail, the rest is clamped', () => {
  assert.ok(bucketBoundMs(MIN_BUCKET) < 0.01, 'the lowest bound is below 10 µs');
  assert.ok(bucketBoundMs(MAX_BUCKET) > 60_000, 'the highest finite bound is above 60 s');
  assert.notEqual(bucketOf(0.01), bucketOf(0.011), '10 µs and 11 µs fall in different buckets');
  assert.equal(bucketOf(0.001), MIN_BUCKET);
  assert.equal(bucketOf(0), MIN_BUCKET);
  assert.equal(bucketOf(120_000), OVERFLOW_BUCKET);
  assert.equal(bucketBoundMs(OVERFLOW_BUCKET), Number.POSITIVE_INFINITY);
});

test('a known sample set: counts, quantiles, and the coarse octave buckets as exact sums', () => {
  const samples = [0.05, 0.05, 0.3, 1, 1, 1, 2, 3.9, 40, 70_000];
  const h = new Histogram();
  for (const s of samples) h.add(s);
  assert.equal(h.total, 10);
  assert.deepEqual(h.pairs(), [
    [bucketOf(0.05), 2],
    [bucketOf(0.3), 1],
    [0, 3],
    [10, 1],
    [bucketOf(3.9), 1],
    [bucketOf(40), 1],
    [OVERFLOW_BUCKET, 1],
  ]);
  // p50: the 5th of 10 values is 1 ms, which is bucket 0's bound.
  assert.equal(h.quantile(0.5), 1);
  assert.equal(h.quantile(0.1), bucketBoundMs(bucketOf(0.05)));
  const coarse = h.coarseCumulative();
  assert.equal(coarse.length, COARSE_BOUNDS_MS.length + 1);
  for (let i = 0; i < COARSE_BOUNDS_MS.length; i++) {
    const expected = samples.filter((s) => s <= COARSE_BOUNDS_MS[i]!).length;
    assert.equal(coarse[i], expected, `le=${COARSE_BOUNDS_MS[i]} ms`);
  }
  assert.equal(coarse[COARSE_BOUNDS_MS.length], 10);
  for (let i = 1; i < coarse.length; i++) assert.ok(coarse[i]! >= coarse[i - 1]!, 'cumulative');
});

test('merging is adding: two halves merged equal the whole', () => {
  const all = new Histogram();
  const a = new Histogram();
  const b = new Histogram();
  for (let i = 1; i <= 1000; i++) {
    const v = (i * 7919) % 5000 / 10;
    all.add(v);
    (i % 2 ? a : b).add(v);
  }
  const merged = Histogram.from(a.pairs());
  merged.merge(b);
  assert.deepEqual(merged.pairs(), all.pairs());
  assert.equal(merged.total, 1000);
});

test('the coarse bounds are one per octave, 2^-7 ms to 2^16 ms, each a fine bound', () => {
  assert.equal(COARSE_BOUNDS_MS.length, 24);
  assert.equal(COARSE_BOUNDS_MS[0], 2 ** -7);
  assert.equal(COARSE_BOUNDS_MS.at(-1), 2 ** 16);
  for (const b of COARSE_BOUNDS_MS) assert.equal(bucketBoundMs(bucketOf(b)), b);
});
