import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ewmaMove, ewmaMoveAll, ewmaStep, EWMA_TAUS_MS } from '../../../shared/model/ewma.ts';

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

test('the three averages side by side in a Float64Array move as three ewmaMove states, an older sample included', () => {
  const v = new Float64Array(4).fill(Number.NaN);
  const states = EWMA_TAUS_MS.map(() => undefined as { value: number; at: number } | undefined);
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let at = 1_700_000_000_000;
  for (let i = 0; i < 500; i++) {
    // Mostly forward in time, now and then a sample a little older than the last.
    at += i % 50 === 49 ? -300 : rand() * 120_000;
    const value = rand() * 80;
    ewmaMoveAll(v, 0, value, at);
    for (let k = 0; k < 3; k++) {
      if (states[k]) ewmaMove(states[k]!, value, at, EWMA_TAUS_MS[k]!);
      else states[k] = { value, at };
    }
  }
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(v[k]! - states[k]!.value) < 1e-9, `average ${k}: ${v[k]} vs ${states[k]!.value}`);
  assert.equal(v[3], Math.max(...states.map((s) => s!.at)));
});
