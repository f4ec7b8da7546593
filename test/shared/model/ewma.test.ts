import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ewmaStep, EWMA_TAUS_MS } from '../../../shared/model/ewma.ts';

const TAU = 15 * 60_000;

test('the first sample is the average', () => {
  assert.deepEqual(ewmaStep(undefined, 12, 1000, TAU), { value: 12, at: 1000 });
});

test('two intervals: the closed form 1 − e^(−Δt/τ) per step, whatever the interval', () => {
  // 10 ms at t=0; 20 ms after 1 s; 40 ms after a further 60 s.
  const s0 = ewmaStep(undefined, 10, 0, TAU);
  const s1 = ewmaStep(s0, 20, 1000, TAU);
  const a1 = 1 - Math.exp(-1000 / TAU);
  assert.ok(Math.abs(s1.value - (10 + a1 * 10)) < 1e-12);
  const s2 = ewmaStep(s1, 40, 61_000, TAU);
  const a2 = 1 - Math.exp(-60_000 / TAU);
  const expected = 10 + a1 * 10 + a2 * (40 - (10 + a1 * 10));
  assert.ok(Math.abs(s2.value - expected) < 1e-12);
});

test('the time constant holds at any interval: a step to a new level covers 1 − 1/e after τ', () => {
  for (const intervalMs of [100, 1000, 10_000]) {
    let s = ewmaStep(undefined, 0, 0, TAU);
    for (let t = intervalMs; t <= TAU; t += intervalMs) s = ewmaStep(s, 100, t, TAU);
    assert.ok(Math.abs(s.value - 100 * (1 - Math.exp(-1))) < 1e-6, `interval ${intervalMs} ms: ${s.value}`);
  }
});

test('a sample older than the state does not move time backwards', () => {
  const s = ewmaStep({ value: 5, at: 10_000 }, 50, 5_000, TAU);
  assert.equal(s.value, 5);
  assert.equal(s.at, 10_000);
});

test('the three averages are 15 min, 6 h and 24 h', () => {
  assert.deepEqual([...EWMA_TAUS_MS], [900_000, 21_600_000, 86_400_000]);
});
