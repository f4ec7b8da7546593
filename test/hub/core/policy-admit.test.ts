import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicyAdmit, PUBLIC_LIMITS } from '../../../hub/core/policy-admit.ts';
import { isRefusal, type Principal } from '../../../hub/core/principal.ts';
import { parseSpec, type MeasurementSpec, type MeasurementSpecInput } from '../../../shared/model/spec.ts';

const ctx = { principal: { subject: 'test', scopes: ['measure'] } as Principal, req: {} as never };
const spec = (s: MeasurementSpecInput): MeasurementSpec => {
  const r = parseSpec(s);
  assert.ok(r.ok);
  return r.spec;
};

test('public mode refuses non-public literal targets with 403 MP_ERR_POLICY (pure: no traffic)', async () => {
  const admit = createPolicyAdmit({ mode: 'public' });
  for (const target of ['10.0.0.1', '192.168.1.1', '::1', '[fe80::1]:80', '::ffff:10.0.0.1', '198.18.0.1:443']) {
    const v = await admit(spec({ type: 'ping', targets: ['8.8.8.8', target] }), ctx);
    assert.ok(isRefusal(v), target);
    assert.equal(v.status, 403);
    assert.equal(v.code, 'MP_ERR_POLICY');
    assert.match(v.message, /refused by the public policy$/);
  }
  const ok = await admit(spec({ type: 'ping', targets: ['8.8.8.8', 'example.com', '[2606:4700::1]:443'] }), ctx);
  assert.ok(!isRefusal(ok));
});

test('lan mode admits private and loopback targets', async () => {
  const admit = createPolicyAdmit({ mode: 'lan' });
  const v = await admit(spec({ type: 'ping', targets: ['127.0.0.1', '10.0.0.1', '::1'] }), ctx);
  assert.ok(!isRefusal(v));
});

test('clamps: count lowered, interval raised, sweep rate capped; oversize sweeps refused naming the bound', async () => {
  const admit = createPolicyAdmit({ mode: 'public' });
  const v = await admit(spec({ type: 'ping', targets: ['8.8.8.8'], count: 5000, intervalMs: 1 }), ctx);
  assert.ok(!isRefusal(v));
  assert.equal(v.count, PUBLIC_LIMITS.maxCount);
  assert.equal(v.intervalMs, PUBLIC_LIMITS.minIntervalMs);
  const sweep = await admit(spec({ type: 'probe', targets: ['8.8.8.0/24'], rate: 50_000 }), ctx);
  assert.ok(!isRefusal(sweep));
  assert.equal(sweep.rate, PUBLIC_LIMITS.maxRate);
  // Rate 0 ("as fast as allowed") is resolved per agent by the AgentGate: the lower of this
  // limit and the agent's free packet budget (test/hub/core/rate-zero.test.ts).
  const fast = await admit(spec({ type: 'probe', targets: ['8.8.8.0/24'], rate: 0 }), ctx);
  assert.ok(!isRefusal(fast));
  assert.equal(fast.rate, 0);
  const unset = await admit(spec({ type: 'probe', targets: ['8.8.8.0/24'] }), ctx);
  assert.ok(!isRefusal(unset));
  assert.equal(unset.rate, undefined, 'the default 1000 is within the public limit');
  // ping -w without -c would send until the deadline: the public count limit still holds.
  const deadline = await admit(spec({ type: 'ping', targets: ['8.8.8.8'], deadlineMs: 600_000 }), ctx);
  assert.ok(!isRefusal(deadline));
  assert.equal(deadline.count, PUBLIC_LIMITS.maxCount);
  const big = await admit(spec({ type: 'probe', targets: ['8.8.0.0/16'] }), ctx);
  assert.ok(isRefusal(big));
  assert.equal(big.status, 400);
  assert.equal(big.message, 'probe: 8.8.0.0/16 covers 65,536 addresses; this hub sweeps at most 256');
  const lan = createPolicyAdmit({ mode: 'lan', limits: { maxCount: 10 } });
  const c = await lan(spec({ type: 'ping', targets: ['127.0.0.1'], count: 11 }), ctx);
  assert.ok(!isRefusal(c));
  assert.equal(c.count, 10);
  const untouched = await lan(spec({ type: 'ping', targets: ['127.0.0.1'], count: 3, intervalMs: 5 }), ctx);
  assert.ok(!isRefusal(untouched));
  assert.equal(untouched.intervalMs, 5);
});
