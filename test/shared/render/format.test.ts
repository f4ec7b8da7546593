import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPingTime, formatMs3, formatLossPct, formatLatency, formatLossShort, formatDurationMs, formatTable } from '../../../shared/render/format.ts';

// iputils ping_common.c: <1 ms: 3 decimals (truncated µs); <~10 ms: 2; <~100 ms: 1; else none (rounded).
const times: [number, string][] = [
  [0, '0.000'],
  [0.0314, '0.031'],
  [0.999, '0.999'],
  [1, '1.00'],
  [1.234, '1.23'],
  [1.235, '1.24'],
  [9.994, '9.99'],
  [9.995, '10.0'],
  [10.04, '10.0'],
  [12.36, '12.4'],
  [99.949, '99.9'],
  [99.95, '100'],
  [123.4, '123'],
  [123.5, '124'],
  [2000, '2000'],
];
for (const [ms, want] of times) test(`formatPingTime(${ms}) = ${want}`, () => assert.equal(formatPingTime(ms), want));

const ms3: [number, string][] = [[0.0314, '0.031'], [0.0315, '0.032'], [12, '12.000'], [1234.5678, '1234.568'], [-0.5, '-0.500']];
for (const [ms, want] of ms3) test(`formatMs3(${ms}) = ${want}`, () => assert.equal(formatMs3(ms), want));

const loss: [number, string][] = [[0, '0'], [100, '100'], [50, '50'], [12.5, '12.5'], [100 / 3, '33.3333'], [200 / 3, '66.6667'], [1 / 7, '0.142857'], [0.0001, '0.0001'], [0.00001, '1e-05']];
for (const [pct, want] of loss) test(`formatLossPct(${pct}) = ${want} like C %g`, () => assert.equal(formatLossPct(pct), want));

test('formatLatency, formatLossShort and formatDurationMs', () => {
  assert.equal(formatLatency(0.04), '0.040 ms');
  assert.equal(formatLatency(null), '-');
  assert.equal(formatLossShort(0), '0%');
  assert.equal(formatLossShort(100 / 3), '33%');
  assert.equal(formatLossShort(0.4), '0.4%');
  assert.equal(formatLossShort(0.01), '0.1%', 'a tiny loss is never shown as 0%');
  assert.equal(formatDurationMs(2003.4), '2003ms');
});

test('formatTable aligns columns and trims trailing blanks', () => {
  assert.deepEqual(formatTable([['a', 'bb', 'c'], ['ddd', 'e', '']]), ['a    bb  c', 'ddd  e']);
  assert.deepEqual(formatTable([['x', '1'], ['y', '100']], ['left', 'right']), ['x    1', 'y  100']);
});
