// Pure-function tests: the clock is a number passed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_KEYS, TokenBuckets } from '../../../shared/model/token-buckets.ts';

test('a bucket allows its burst, then says how long until the next token, per key', () => {
  const b = new TokenBuckets({ burst: 2, refillPerS: 0.5 });
  assert.deepEqual([b.take('a', 0), b.take('a', 0)], [{ ok: true }, { ok: true }]);
  assert.deepEqual(b.take('a', 0), { ok: false, retryAfterMs: 2000 });
  assert.deepEqual(b.take('b', 0), { ok: true }, 'keys are independent');
  assert.deepEqual(b.take('a', 1500), { ok: false, retryAfterMs: 500 });
  assert.deepEqual(b.take('a', 2000), { ok: true }, 'one token back after 2 s at 0.5/s');
});

test('a refusal takes nothing; a cost above the burst never passes', () => {
  const b = new TokenBuckets({ burst: 10, refillPerS: 10 });
  assert.deepEqual(b.take('k', 0, 8), { ok: true });
  assert.deepEqual(b.take('k', 0, 3), { ok: false, retryAfterMs: 100 });
  assert.equal(b.tokens('k', 0), 2);
  assert.equal(b.take('k', 60_000, 11).ok, false);
  assert.equal(b.tokens('k', 60_000), 10, 'refills up to the burst, not beyond');
});

test('a clock that steps back refills nothing and takes nothing back', () => {
  const b = new TokenBuckets({ burst: 1, refillPerS: 1 });
  assert.ok(b.take('k', 10_000).ok);
  assert.equal(b.tokens('k', 5_000), 0);
  assert.equal(b.tokens('k', 10_500), 0.5, 'time is counted from the latest instant seen');
});

test('past maxKeys the least recently used key is forgotten and comes back full', () => {
  const b = new TokenBuckets({ burst: 1, refillPerS: 1e-9, maxKeys: 2 });
  b.take('a', 0);
  b.take('b', 0);
  b.take('a', 1); // a is now more recent than b
  b.take('c', 2); // evicts b
  assert.equal(b.size, 2);
  assert.deepEqual(b.take('b', 3), { ok: true }, 'b was forgotten');
  assert.equal(b.take('c', 3).ok, false, 'c is remembered');
  assert.equal(new TokenBuckets({ burst: 1, refillPerS: 1 }).maxKeys, DEFAULT_MAX_KEYS);
});

test('bad options are refused by name', () => {
  assert.throws(() => new TokenBuckets({ burst: 0, refillPerS: 1 }), /burst must be positive/);
  assert.throws(() => new TokenBuckets({ burst: 1, refillPerS: 0 }), /refillPerS must be positive/);
  assert.throws(() => new TokenBuckets({ burst: 1, refillPerS: 1, maxKeys: 0 }), /maxKeys must be at least 1/);
});
