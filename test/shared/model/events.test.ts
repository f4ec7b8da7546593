import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEvent } from '../../../shared/model/events.ts';

const scoped = { agent: 'lax1', target: '127.0.0.1' };
const good = [
  { type: 'start', ...scoped, measurement: 'traceroute', address: '127.0.0.1', family: 4, protocol: 'icmp', params: { maxHops: 30, size: 60 } },
  { type: 'reply', ...scoped, seq: 1, ttl: 64, rttMs: 0.05, bytes: 64, from: '127.0.0.1' },
  { type: 'reply', ...scoped, seq: 1, ttl: null, rttMs: 0.05, bytes: 64, from: '127.0.0.1', kind: 'syn-ack' },
  { type: 'timeout', ...scoped, seq: 0 },
  { type: 'icmp-error', ...scoped, seq: 2, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.1.1', message: 'Destination Host Unreachable' },
  { type: 'hop', ...scoped, ttl: 2, responders: [{ address: '198.18.1.1', rttsMs: [0.1, 0.2], kind: 'time-exceeded' }], sent: 3, received: 2, lossPct: 33.3 },
  { type: 'host', ...scoped, address: '127.0.0.2', rttMs: null },
  { type: 'summary', ...scoped, measurement: 'ping', durationMs: 10, sent: 1, received: 1, lossPct: 0, minMs: 0.1, avgMs: 0.1, maxMs: 0.1, mdevMs: 0, p50Ms: 0.1, p90Ms: 0.1, p99Ms: 0.1 },
  { type: 'error', code: 'MP_ERR_RESOLVE', message: 'cannot resolve x' },
];

test('parseEvent accepts every event type the agents send', () => {
  for (const e of good) {
    const p = parseEvent(e);
    assert.ok(p.ok, `${e.type}: ${p.ok ? '' : p.reason}`);
    assert.deepEqual(p.event, e);
  }
  const extra = parseEvent({ ...good[1], from_a_newer_agent: 1 });
  assert.ok(extra.ok && !('from_a_newer_agent' in extra.event), 'unknown fields are dropped, not relayed');
});

test('parseEvent refuses bad values with a one-line reason naming the field', () => {
  const [, reply, , , , hop] = good as Record<string, unknown>[];
  const cases: Array<[unknown, RegExp]> = [
    [{ ...hop, ttl: '2' }, /bad hop event: "ttl"/],
    [{ ...hop, ttl: 0 }, /"ttl"/],
    [{ ...hop, ttl: 256 }, /"ttl"/],
    [{ ...hop, responders: Array.from({ length: 100_000 }, () => ({ address: '1.1.1.1', rttsMs: [] })) }, /"responders"/],
    [{ ...hop, responders: [{ address: '1.1.1.1', rttsMs: [1, -1] }] }, /"responders\.0\.rttsMs\.1"/],
    [{ ...reply, seq: -1 }, /"seq"/],
    [{ ...reply, seq: 1.5 }, /"seq"/],
    [{ ...reply, rttMs: null }, /"rttMs"/],
    [{ ...reply, rttMs: 1e308 * 10 }, /"rttMs"/],
    [{ ...reply, from: 'x'.repeat(10_000) }, /"from"/],
    [{ ...reply, target: undefined }, /"target"/],
    [{ type: 'x'.repeat(1000) }, /^unknown event type "x{32}…"$/],
    [{ type: 7 }, /without a string type/],
    [null, /not an object/],
    ['reply', /not an object/],
    [{ type: 'error', code: 'anything\nelse', message: 'm' }, /"code"/],
  ];
  for (const [e, reason] of cases) {
    const p = parseEvent(e);
    assert.equal(p.ok, false, JSON.stringify(e)?.slice(0, 80));
    const r = p.ok ? '' : p.reason;
    assert.match(r, reason);
    assert.ok(!r.includes('\n') && r.length < 200, r);
  }
});
