import assert from 'node:assert/strict';
import { test } from 'node:test';
import { declaredPps, PacketBudget } from '../../../hub/core/packet-budget.ts';
import { RateLimiter } from '../../../hub/core/rate-limiter.ts';
import { pickDiverse } from '../../../hub/core/agent-selection.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../shared/model/spec.ts';
import type { AgentInfo } from '../../../shared/wire/agent-link.ts';

test('the rate limiter allows a burst, then answers how long to wait, then refills', () => {
  let now = 0;
  const rl = new RateLimiter({ ratePerS: 2, burst: 3, now: () => now });
  assert.deepEqual([rl.take('a'), rl.take('a'), rl.take('a')], [0, 0, 0]);
  assert.equal(rl.take('a'), 1);
  assert.equal(rl.take('b'), 0, 'keys are independent');
  now += 500;
  assert.equal(rl.take('a'), 0, 'one token back after 0.5 s at 2/s');
  assert.ok(rl.take('a') >= 1);
});

test('the rate limiter forgets the least recently used keys past its bound', () => {
  const rl = new RateLimiter({ ratePerS: 1, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) rl.take(`k${i}`);
  assert.equal(rl.size, 100);
});

const spec = (s: MeasurementSpecInput) => {
  const r = parseSpec(s);
  assert.ok(r.ok);
  return r.spec;
};

test('declared packet rates follow the spec', () => {
  assert.equal(declaredPps(spec({ type: 'ping', targets: ['a', 'b'], intervalMs: 100 })), 20);
  assert.equal(declaredPps(spec({ type: 'ping', targets: ['a'] })), 1);
  assert.equal(declaredPps(spec({ type: 'probe', targets: ['10.0.0.0/24'], rate: 500 })), 500);
  assert.equal(declaredPps(spec({ type: 'probe', targets: ['10.0.0.0/24'], rate: 0 })), Infinity);
});

test('the packet budget refuses past the limit and frees on release', () => {
  const b = new PacketBudget(100);
  const a = b.reserve('lax1', 60);
  assert.ok(a.ok);
  const c = b.reserve('lax1', 50);
  assert.equal(c.ok, false);
  assert.match(c.ok ? '' : c.reason, /agent lax1 is at its packet budget of 100 packets\/s \(40 free, this needs 50 packets\/s\)/);
  assert.ok(b.reserve('fra1', 50).ok, 'budgets are per agent');
  a.release();
  a.release();
  assert.equal(b.used('lax1'), 0);
  assert.ok(b.reserve('lax1', 100).ok);
  assert.ok(new PacketBudget(0).reserve('x', Infinity).ok, '0 disables the budget');
});

test('limit picks agents spread across ASNs, then cities, deterministically', () => {
  const a = (name: string, asn?: number, city?: string): { info: AgentInfo } => ({ info: { name, capabilities: [], version: '1', ...(asn ? { asn } : {}), ...(city ? { city } : {}) } });
  const list = [a('f1', 1, 'Frankfurt'), a('f2', 1, 'Frankfurt'), a('f3', 1, 'Berlin'), a('l1', 2, 'LA'), a('n1', 3, 'NYC')];
  assert.deepEqual(pickDiverse(list, 3).map((x) => x.info.name), ['f1', 'l1', 'n1']);
  assert.deepEqual(pickDiverse(list, 4).map((x) => x.info.name), ['f1', 'l1', 'n1', 'f3']);
  assert.deepEqual(pickDiverse(list, 9).length, 5);
  assert.deepEqual(pickDiverse([a('x'), a('y')], 1).map((x) => x.info.name), ['x']);
});
