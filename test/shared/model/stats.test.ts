import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeStats, percentile } from '../../../shared/model/stats.ts';

type Row = {
  name: string;
  sent: number;
  rtts: number[];
  want: Partial<Record<'received' | 'lossPct' | 'minMs' | 'avgMs' | 'maxMs' | 'mdevMs' | 'p50Ms' | 'p90Ms' | 'p99Ms', number | null>>;
};

const rows: Row[] = [
  { name: 'nothing sent', sent: 0, rtts: [], want: { received: 0, lossPct: 0, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null } },
  { name: 'all lost', sent: 5, rtts: [], want: { received: 0, lossPct: 100, minMs: null, avgMs: null, mdevMs: null, p99Ms: null } },
  { name: 'one reply', sent: 1, rtts: [0.5], want: { received: 1, lossPct: 0, minMs: 0.5, avgMs: 0.5, maxMs: 0.5, mdevMs: 0, p50Ms: 0.5, p90Ms: 0.5, p99Ms: 0.5 } },
  // The iputils example: min/avg/max/mdev = 0.031/0.040/0.050/0.008 (mdev = sqrt(mean(x²) − mean²)).
  { name: 'iputils example', sent: 3, rtts: [0.031, 0.04, 0.05], want: { minMs: 0.031, maxMs: 0.05, p50Ms: 0.04, p90Ms: 0.05, p99Ms: 0.05 } },
  { name: 'unsorted input', sent: 4, rtts: [4, 1, 3, 2], want: { minMs: 1, maxMs: 4, avgMs: 2.5, p50Ms: 2, p90Ms: 4 } },
  { name: 'one in three lost', sent: 3, rtts: [1, 2], want: { received: 2, lossPct: 100 / 3, avgMs: 1.5, mdevMs: 0.5 } },
  { name: 'half lost', sent: 4, rtts: [10, 10], want: { lossPct: 50, mdevMs: 0 } },
  { name: 'more replies than sent (duplicates) never give negative loss', sent: 2, rtts: [1, 1, 1], want: { received: 3, lossPct: 0 } },
  { name: 'mdev of 2 and 4 is 1', sent: 2, rtts: [2, 4], want: { avgMs: 3, mdevMs: 1 } },
];

for (const r of rows) {
  test(`computeStats: ${r.name}`, () => {
    const s = computeStats(r.sent, r.rtts);
    assert.equal(s.sent, r.sent);
    for (const [k, v] of Object.entries(r.want)) {
      const got = s[k as keyof typeof s];
      if (v === null) assert.equal(got, null, k);
      else assert.ok(typeof got === 'number' && Math.abs(got - v) < 1e-9, `${k}: got ${got}, want ${v}`);
    }
  });
}

test('computeStats: the iputils example has mdev 0.008 to the microsecond', () => {
  const s = computeStats(3, [0.031, 0.04, 0.05]);
  assert.equal(s.mdevMs!.toFixed(3), '0.008');
  assert.equal(s.avgMs!.toFixed(3), '0.040');
});

test('computeStats does not reorder the caller’s array', () => {
  const rtts = [3, 1, 2];
  computeStats(3, rtts);
  assert.deepEqual(rtts, [3, 1, 2]);
});

const pct: [number[], number, number][] = [
  [[1], 50, 1],
  [[1, 2], 50, 1],
  [[1, 2, 3, 4], 50, 2],
  [[1, 2, 3, 4], 75, 3],
  [[1, 2, 3, 4], 100, 4],
  [[1, 2, 3, 4], 0, 1],
  [Array.from({ length: 100 }, (_, i) => i + 1), 90, 90],
  [Array.from({ length: 100 }, (_, i) => i + 1), 99, 99],
  [Array.from({ length: 200 }, (_, i) => i + 1), 99, 198],
  [Array.from({ length: 10 }, (_, i) => i + 1), 99, 10],
];
for (const [arr, p, want] of pct) {
  test(`percentile (nearest rank) p${p} of ${arr.length} values is ${want}`, () => assert.equal(percentile(arr, p), want));
}

test('percentile of an empty set is a RangeError', () => {
  assert.throws(() => percentile([], 50), RangeError);
});
