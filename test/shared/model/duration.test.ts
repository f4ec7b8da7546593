import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDurationMs } from '../../../shared/model/duration.ts';

test('a bare number is seconds, as -i takes it; units ms, s, m, h, d', () => {
  assert.equal(parseDurationMs('1'), 1000);
  assert.equal(parseDurationMs('0.2'), 200);
  assert.equal(parseDurationMs(2), 2000);
  assert.equal(parseDurationMs('500ms'), 500);
  assert.equal(parseDurationMs('10m'), 600_000);
  assert.equal(parseDurationMs('3d'), 259_200_000);
  assert.equal(parseDurationMs('1.5h'), 5_400_000);
  assert.equal(parseDurationMs(' 2S '), 2000);
});

test('anything else is not a duration', () => {
  for (const bad of ['', '0', '-1', '1w', '1 2', 'abc', '1e3', '10mm', '0.0001']) assert.equal(parseDurationMs(bad), undefined, bad);
  assert.equal(parseDurationMs(Number.NaN), undefined);
  assert.equal(parseDurationMs(-3), undefined);
});

test('formatDuration spells it back shortest', () => {
  assert.equal(formatDuration(1000), '1s');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(600_000), '10m');
  assert.equal(formatDuration(5_400_000), '1h30m');
  assert.equal(formatDuration(259_200_000), '3d');
});
