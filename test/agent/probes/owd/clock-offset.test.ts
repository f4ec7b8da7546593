import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateOffset, offsetOf } from '../../../../agent/probes/owd/clock-offset.ts';

test('theta and delta as NTP computes them from the one-way differences', () => {
  // Peer clock 5 ms ahead, 1 ms each way: t2 − t1 = 6, t4 − t3 = −4.
  assert.deepEqual(offsetOf({ forwardMs: 6, reverseMs: -4 }), { offsetMs: 5, delayMs: 2 });
});

test('the least-delayed exchange gives the offset, within half its round trip', () => {
  const xs = [
    { forwardMs: 6, reverseMs: -4 },
    { forwardMs: 9, reverseMs: -4 },
    { forwardMs: 6.2, reverseMs: -3.8 },
    { forwardMs: 6.1, reverseMs: -3.9 },
  ];
  const e = estimateOffset(xs)!;
  assert.equal(e.offsetMs, 5);
  assert.equal(e.uncertaintyMs, 1);
  assert.equal(e.reliable, true);
});

test('an offset that moves more than a round trip is flagged unreliable', () => {
  const xs = [0, 10, 20, 30].map((step) => ({ forwardMs: 1 + step, reverseMs: 1 - step }));
  const e = estimateOffset(xs)!;
  assert.equal(e.reliable, false);
  assert.match(e.why!, /moved by/);
});

test('too few exchanges cannot be judged', () => {
  assert.equal(estimateOffset([{ forwardMs: 1, reverseMs: 1 }])?.reliable, false);
  assert.equal(estimateOffset([]), undefined);
});
