import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHubFrame } from '../../../agent/runtime/decode-hub-frame.ts';
import { probeRunner } from '../../../agent/probes/registry.ts';
import { decodeHubMessage } from '../../../shared/wire/agent-protocol.ts';
import { MAX_TOKEN_CHARS } from '../../../shared/wire/agent-protocol-constants.ts';
import { Limits } from '../../../shared/model/limits.ts';
import { MonitorLimits } from '../../../shared/model/monitor-types.ts';
import { MeasurementType } from '../../../shared/registry.ts';

/** mulberry32: a small seeded generator, so that a failure replays. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BOUNDS: Record<string, [number, number]> = {
  limit: [1, Limits.maxFrom],
  count: [1, Limits.maxCount],
  intervalMs: [Limits.minIntervalMs, Limits.maxIntervalMs],
  timeoutMs: [Limits.minTimeoutMs, Limits.maxTimeoutMs],
  port: [1, 65_535],
  size: [0, Limits.maxSize],
  ttl: [1, Limits.maxTtl],
  maxHops: [1, Limits.maxHops],
  queriesPerHop: [1, Limits.maxQueriesPerHop],
  rate: [0, Limits.maxRate],
  deadlineMs: [Limits.minDeadlineMs, Limits.maxDeadlineMs],
};
const JWT = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZ2VudDphMSJ9.c2ln';

function frames(random: () => number, n: number): unknown[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const junk = (): unknown =>
    pick([undefined, null, true, false, 0, -1, 1, 1.5, -0, 4, 6, 1e20, 2 ** 53, 2 ** 53 - 1, 'x', '', '  ', ' a ', 'lan', 'public', 'tcp', 'ping', [], ['a'], [''], [1], {}, { a: 1 }, 'x'.repeat(254), 'x'.repeat(65), JWT, `${JWT}.x`, 'a.b.c', 'a'.repeat(MAX_TOKEN_CHARS) + '.b.c']);
  const near = (lo: number, hi: number): number => pick([lo - 1, lo, hi, hi + 1, lo + Math.floor(random() * (hi - lo + 1)), lo + 0.5]);
  const list = (item: () => unknown, maxItems: number): unknown[] => Array.from({ length: pick([0, 1, 2, 3, maxItems, maxItems + 1]) }, item);
  const spec = (): Record<string, unknown> => {
    const s: Record<string, unknown> = { type: pick(MeasurementType.options), targets: list(() => pick(['127.0.0.1', ' example.com ', '10.0.0.0/24', '', ' ', 'x'.repeat(253), ' ' + 'x'.repeat(253)]), Limits.maxTargets) };
    if (random() < 0.5) s.from = list(() => pick(['lax1', 'country=DE', ' ', 'x'.repeat(201)]), Limits.maxFrom);
    for (const [field, [lo, hi]] of Object.entries(BOUNDS)) if (random() < 0.2) s[field] = near(lo, hi);
    if (random() < 0.2) s.ipVersion = pick([4, 6, 5]);
    if (random() < 0.2) s.protocol = pick(['icmp', 'udp', 'tcp', 'sctp']);
    if (random() < 0.2) s.numeric = pick([true, false, 'yes']);
    return s;
  };
  const assignment = (): Record<string, unknown> => {
    const a: Record<string, unknown> = { id: near(1, 1e6), type: pick(['ping', 'ping', 'tcpping']), target: pick(['127.0.0.1', 'example.com', '', 'x'.repeat(253), 'x'.repeat(254)]), intervalMs: near(MonitorLimits.minIntervalMs, MonitorLimits.maxIntervalMs), timeoutMs: near(1, 60_000), rev: near(0, 1e6) };
    if (random() < 0.5) a.traceMs = near(MonitorLimits.minTraceMs, MonitorLimits.maxTraceMs);
    if (random() < 0.3) a.family = pick([4, 6, 5]);
    if (random() < 0.2) a.legacy = pick([true, true, false, 1]);
    if (random() < 0.2) a.fixedTimeout = pick([true, true, false, 'yes']);
    // Mutate one assignment in four: a field set to junk, removed, or an unknown one.
    const r = random();
    if (r < 0.1) a[pick(Object.keys(a))] = junk();
    else if (r < 0.17) delete a[pick(Object.keys(a))];
    else if (r < 0.25) a[pick(['extra', 'spec'])] = junk();
    return a;
  };
  const valid = (): Record<string, unknown> => {
    switch (pick(['welcome', 'run', 'run', 'run', 'cancel', 'token', 'monitors', 'monitors', 'monitors', 'monitor-changes', 'monitor-changes', 'ack'])) {
      case 'welcome':
        return { t: 'welcome', v: 1, heartbeatMs: near(1, 60_000), policy: pick(['lan', 'public']) };
      case 'run': {
        const m: Record<string, unknown> = { t: 'run', id: near(0, 1e9), spec: spec(), policy: pick(['lan', 'public']) };
        if (random() < 0.3) m.allowedRanges = list(() => pick(['10.0.0.0/8', 'x'.repeat(65)]), 256);
        return m;
      }
      case 'cancel':
        return { t: 'cancel', id: near(0, 1e9) };
      case 'ack':
        return { t: 'ack', seq: near(0, 1e9) };
      case 'monitors': {
        const m: Record<string, unknown> = { t: 'monitors', list: list(assignment, 3), policy: pick(['lan', 'public']) };
        if (random() < 0.3) m.allowedRanges = list(() => pick(['10.0.0.0/8', 'x'.repeat(65)]), 256);
        return m;
      }
      case 'monitor-changes':
        return { t: 'monitor-changes', set: list(assignment, 3), drop: list(() => pick([near(1, 1e6), near(1, 1e6), junk()]), 3) };
      default:
        return { t: 'token', token: pick([JWT, 'a.b.c', 'a.b', 'a.b.c.d', 'a b.c.d', 'a'.repeat(MAX_TOKEN_CHARS - 4) + '.b.c']) };
    }
  };
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const m = valid();
    // Mutations: a field set to junk or removed, an unknown field, in the frame or in its spec.
    const target = m.spec && random() < 0.5 ? (m.spec as Record<string, unknown>) : m;
    const r = random();
    if (r < 0.3) target[pick(Object.keys(target))] = junk();
    else if (r < 0.4) delete target[pick(Object.keys(target))];
    else if (r < 0.5) target[pick(['extra', '__proto__', 'constructor', 'e'])] = junk();
    out.push(random() < 0.02 ? junk() : m);
  }
  return out;
}

test('every registered measurement type has a runner (the decoder accepts the types the schema does)', () => {
  for (const type of MeasurementType.options) assert.ok(probeRunner(type), type);
});

test('the hand-written decoder accepts and refuses exactly what the zod schema does, on a seeded stream of frames', () => {
  const reasonPath = (reason: string) => /^bad frame at (\S+):/.exec(reason)?.[1] ?? '';
  let accepted = 0;
  for (const frame of frames(seeded(12), 20_000)) {
    const text = JSON.stringify(frame) ?? 'undefined';
    const want = decodeHubMessage(text);
    const got = decodeHubFrame(text);
    assert.equal(got.ok, want.ok, `${text.slice(0, 300)}\nzod: ${want.ok ? 'ok' : want.reason}\nhand: ${got.ok ? 'ok' : got.reason}`);
    if (want.ok && got.ok) {
      accepted++;
      assert.deepEqual(got.message, want.message, text.slice(0, 300));
    } else if (!want.ok && !got.ok) {
      assert.ok(!got.reason.includes('\n'));
      // Zod names no field for a frame that is not an object or has no known `t`.
      if (want.reason.includes(' at ') && !want.reason.startsWith('bad frame at t:')) assert.equal(reasonPath(got.reason), reasonPath(want.reason), `${text.slice(0, 300)}\nzod: ${want.reason}\nhand: ${got.reason}`);
    }
  }
  assert.ok(accepted > 2000, `only ${accepted} of the frames were valid: the generator should make many`);
});

test('the refusals the agent logs read as before', () => {
  assert.deepEqual(decodeHubFrame('{'), { ok: false, reason: 'frame is not JSON' });
  assert.deepEqual(decodeHubFrame('{"t":"token","token":"nope"}'), { ok: false, reason: 'bad frame at token: token: not a compact JWT' });
  assert.deepEqual(decodeHubFrame('{"t":"run","id":1,"spec":{"type":"ping","targets":["a"],"count":0},"policy":"lan"}'), { ok: false, reason: 'bad frame at spec.count: count must be at least 1' });
  assert.deepEqual(decodeHubFrame('{"t":"monitors","list":[{"id":1,"type":"ping","target":"a","intervalMs":10,"timeoutMs":1000,"rev":0}],"policy":"lan"}'), { ok: false, reason: `bad frame at list.0.intervalMs: intervalMs must be at least ${MonitorLimits.minIntervalMs}` });
});
