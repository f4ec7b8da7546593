import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtoEstimator } from '../../../../agent/probes/tcpping/rto-estimator.ts';

test('the first sample sets SRTT = R and RTTVAR = R/2 (RFC 6298 2.2); RTO = SRTT + 4·RTTVAR', () => {
  const r = new RtoEstimator(1000, 1, 3000);
  assert.equal(r.rtoMs, 1000, 'before any sample: the initial timeout');
  r.sample(100);
  assert.equal(r.srttMs, 100);
  assert.equal(r.rttvarMs, 50);
  assert.equal(r.rtoMs, 300);
});

test('later samples use alpha 1/8 and beta 1/4 (RFC 6298 2.3)', () => {
  const r = new RtoEstimator(1000, 1, 3000);
  r.sample(100);
  r.sample(200);
  assert.equal(r.rttvarMs, 0.75 * 50 + 0.25 * 100);
  assert.equal(r.srttMs, 0.875 * 100 + 0.125 * 200);
});

test('the RTO is clamped, and a timeout doubles it up to the clamp', () => {
  const r = new RtoEstimator(1000, 100, 3000);
  r.sample(0.05);
  assert.equal(r.rtoMs, 100, 'a loopback RTT stays at the floor');
  r.backoff();
  assert.equal(r.rtoMs, 200);
  for (let i = 0; i < 10; i++) r.backoff();
  assert.equal(r.rtoMs, 3000);
});
