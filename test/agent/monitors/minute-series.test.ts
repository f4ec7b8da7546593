import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinuteSeries, minuteOf } from '../../../agent/monitors/minute-series.ts';
import { bucketOf } from '../../../shared/model/histogram.ts';
import { EWMA_TAUS_MS } from '../../../shared/model/ewma.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('outcomes fold into the minute they are known in; a row closes when its minute ends', () => {
  const s = new MinuteSeries(3, T0 + 1000);
  s.addr = '127.0.0.1';
  s.record(T0 + 1000, 0.5);
  s.record(T0 + 2000, undefined);
  s.record(T0 + 59_999, 2);
  assert.deepEqual(s.takeClosed(), []);
  const open = s.openRow()!;
  assert.equal(open.t, T0);
  assert.equal(open.sent, 3);
  // The next minute's first outcome closes the first.
  s.record(T0 + 60_000, 1);
  const [row, ...more] = s.takeClosed();
  assert.equal(more.length, 0);
  assert.equal(row!.m, 3);
  assert.equal(row!.t, T0);
  assert.equal(row!.sent, 3);
  assert.equal(row!.recv, 2);
  assert.equal(row!.min, 0.5);
  assert.equal(row!.max, 2);
  assert.equal(row!.sum, 2.5);
  assert.deepEqual(row!.hist, [[bucketOf(0.5), 1], [bucketOf(2), 1]]);
  assert.equal(row!.last, 2);
  assert.equal(row!.lastAt, T0 + 59_999);
  assert.equal(row!.addr, '127.0.0.1');
  // A minute without outcomes and without an error leaves no row; roll() closes on time alone.
  s.roll(T0 + 3 * 60_000 + 5);
  const rows = s.takeClosed();
  assert.deepEqual(rows.map((r) => [r.t, r.sent]), [[T0 + 60_000, 1]]);
  assert.equal(s.openRow(), undefined);
});

test('histogram bounds: round trips on a bucket bound stay in it, and counts are cumulative within a row', () => {
  const s = new MinuteSeries(1, T0);
  const samples = [0.005, 0.0078125, 0.01, 0.0625, 1, 1, 2 ** 0.1, 2 ** 0.1 + 1e-6, 1000, 70_000];
  for (const ms of samples) s.record(T0 + 1, ms);
  s.roll(T0 + 60_000);
  const [row] = s.takeClosed();
  // 0.005 and 2^-7 are in the lowest bucket, 2^-7 ms ≈ 7.8 µs; 10 µs in (2^-6.7, 2^-6.6]; 1 ms is
  // bucket 0; 2^0.1 bucket 1; just above it bucket 2; 70 s overflows. (As on the wire: JSON.)
  assert.deepEqual(JSON.parse(JSON.stringify(row!.hist)), [[-70, 2], [-66, 1], [-40, 1], [0, 2], [1, 1], [2, 1], [100, 1], [161, 1]]);
  assert.equal(row!.hist.reduce((a, [, c]) => a + c, 0), row!.recv);
});

test('EWMA: time-based weights; two intervals give the closed form, and the row carries the three averages', () => {
  const s = new MinuteSeries(1, T0);
  // 10 ms at t0, then 20 ms 1 s later, then 40 ms 10 s after that.
  s.record(T0, 10);
  s.record(T0 + 1000, 20);
  s.record(T0 + 11_000, 40);
  const row = s.openRow()!;
  const expect = EWMA_TAUS_MS.map((tau) => {
    const a1 = 1 - Math.exp(-1000 / tau);
    const v1 = 10 + a1 * (20 - 10);
    const a2 = 1 - Math.exp(-10_000 / tau);
    return v1 + a2 * (40 - v1);
  });
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(row.ewma![i]! - expect[i]!) < 1e-6, `ewma[${i}] ${row.ewma![i]} vs ${expect[i]}`);
  // The 15-minute average moves more than the 24-hour one.
  assert.ok(row.ewma![0]! > row.ewma![2]!);
  // Lost probes do not move the averages.
  s.record(T0 + 12_000, undefined);
  assert.deepEqual(s.openRow()!.ewma, row.ewma);
});

test('an error with nothing sent still makes a row each minute; close() ends the open minute', () => {
  const s = new MinuteSeries(9, T0);
  s.err = 'cannot resolve nowhere.test: Name or service not known';
  s.roll(T0 + 60_000);
  s.roll(T0 + 120_000);
  const rows = s.takeClosed();
  assert.deepEqual(rows.map((r) => [r.t, r.sent, r.recv, r.err]), [[T0, 0, 0, s.err], [T0 + 60_000, 0, 0, s.err]]);
  s.err = undefined;
  s.record(T0 + 130_000, 1);
  s.close();
  assert.deepEqual(s.takeClosed().map((r) => [r.t, r.sent]), [[T0 + 120_000, 1]]);
  assert.equal(minuteOf(T0 + 59_999), T0);
});

test('extras: counters per minute, gauges carried on, one-way delay histograms per minute, none for a series without', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const plain = new MinuteSeries(9, t0);
  plain.record(t0 + 1, 1);
  assert.equal(plain.openRow()?.x, undefined);

  const s = new MinuteSeries(1, t0);
  s.gauge('connected', 1);
  s.count('connects', t0 + 1);
  s.record(t0 + 2, 1.5);
  s.count('timeouts', t0 + 3);
  s.record(t0 + 3, undefined);
  s.gauge('rtoMs', 250);
  s.oneWay(0.7, 0.8, t0 + 4);
  assert.deepEqual(s.openRow()?.x?.connects, 1);
  assert.equal(s.openRow()?.x?.timeouts, 1);
  assert.equal(s.openRow()?.x?.fwdSum, 0.7);
  assert.equal(s.openRow()?.x?.fwd?.reduce((a, [, c]) => a + c, 0), 1);
  // The next minute: counters and histograms start again, gauges go on.
  s.record(t0 + 60_000, 2);
  const [closed] = s.takeClosed();
  assert.deepEqual({ ...closed!.x, fwd: undefined, rev: undefined }, { connected: 1, connects: 1, timeouts: 1, rtoMs: 250, fwd: undefined, fwdSum: 0.7, rev: undefined, revSum: 0.8 });
  const open = s.openRow()!;
  assert.deepEqual({ ...open.x }, { connected: 1, rtoMs: 250 });
});

test('extras: a series resumed from a reported row goes on from its counters and one-way histograms', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const a = new MinuteSeries(1, t0);
  a.count('drops', t0 + 1);
  a.count('drops', t0 + 2);
  a.record(t0 + 3, 1);
  a.oneWay(0.4, 0.6, t0 + 3);
  const reported = a.openRow()!;
  const b = new MinuteSeries(1, t0 + 10);
  b.resume(reported);
  b.count('drops', t0 + 20);
  b.oneWay(0.5, 0.5, t0 + 20);
  const row = b.openRow()!;
  assert.equal(row.x?.drops, 3);
  assert.equal(row.x?.fwd?.reduce((n, [, c]) => n + c, 0), 2);
  assert.equal(row.x?.fwdSum, 0.9);
});
