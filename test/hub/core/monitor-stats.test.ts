// The statistics line of one agent × monitor (issue 13 item 6) from known counts and rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentStats, mergeAggregate, sampleView } from '../../../hub/core/monitor-stats.ts';
import { bucketBoundMs, bucketOf, Histogram } from '../../../shared/model/histogram.ts';

test('sent, received, loss, min/max, quantiles from the histogram, last and EWMAs from the newest row', () => {
  const h = new Histogram();
  // 100 replies: 90 of 1 ms, 9 of 10 ms, 1 of 100 ms.
  for (let i = 0; i < 90; i++) h.add(1);
  for (let i = 0; i < 9; i++) h.add(10);
  h.add(100);
  const t = Date.UTC(2026, 11, 1, 12, 0);
  const s = agentStats('lax1', { sent: 125, recv: 100, min: 1, max: 100, hist: h }, { m: 1, t, sent: 10, recv: 9, sum: 9, hist: [], last: 1.5, lastAt: t + 59_000, ewma: [1.2, 1.4, 1.6], addr: '192.0.2.1' });
  assert.equal(s.sent, 125);
  assert.equal(s.received, 100);
  assert.equal(s.successPct, 80);
  assert.equal(s.lossPct, 20);
  assert.equal(s.minMs, 1);
  assert.equal(s.maxMs, 100);
  assert.equal(s.p50Ms, bucketBoundMs(bucketOf(1)));
  assert.equal(s.p95Ms, bucketBoundMs(bucketOf(10)));
  assert.equal(s.p99Ms, bucketBoundMs(bucketOf(10)));
  assert.deepEqual([s.lastMs, s.avg15mMs, s.avg6hMs, s.avg24hMs], [1.5, 1.2, 1.4, 1.6]);
  assert.equal(s.address, '192.0.2.1');
  assert.equal(s.lastAt, new Date(t + 59_000).toISOString());
});

test('before any probe everything is null, and an agent error is carried', () => {
  const s = agentStats('fra1', undefined, { m: 1, t: 0, sent: 0, recv: 0, sum: 0, hist: [], err: 'example.invalid does not resolve' });
  assert.equal(s.successPct, null);
  assert.equal(s.lossPct, null);
  assert.equal(s.p50Ms, null);
  assert.equal(s.error, 'example.invalid does not resolve');
});

test('merging two spans adds counts exactly; a sample lists buckets by their bounds', () => {
  const a = { t: 60_000, agent: 'x', sent: 3, recv: 2, min: 0.5, max: 2, sum: 2.5, hist: [[bucketOf(0.5), 1], [bucketOf(2), 1]] as [number, number][] };
  const b = { t: 0, agent: 'x', sent: 2, recv: 2, min: 0.4, max: 0.5, sum: 0.9, hist: [[bucketOf(0.4), 1], [bucketOf(0.5), 1]] as [number, number][] };
  const m = mergeAggregate(a, b);
  assert.deepEqual({ t: m.t, sent: m.sent, recv: m.recv, min: m.min, max: m.max }, { t: 0, sent: 5, recv: 4, min: 0.4, max: 2 });
  assert.equal(m.hist.reduce((x, [, c]) => x + c, 0), 4);
  const v = sampleView(m);
  assert.equal(v.lossPct, 20);
  assert.equal(v.avgMs, 0.85);
  assert.deepEqual(v.hist.map(([, c]) => c), [1, 2, 1]);
  assert.ok(v.hist.every(([bound]) => bound !== null && bound > 0));
});
