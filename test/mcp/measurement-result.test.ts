// The fold from hub events to a tool result: structuredContent that fits each outputSchema,
// and the text summary a model reads. Pure; the events are what the hub streams.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { MeasurementResult } from '../../mcp/measurement-result.ts';
import { PingOutput } from '../../shared/measurements/ping/mcp.ts';
import { ProbeOutput } from '../../shared/measurements/probe/mcp.ts';
import { TracerouteOutput } from '../../shared/measurements/traceroute/mcp.ts';

const stats = { minMs: 1, avgMs: 2, maxMs: 3, mdevMs: 0.5, p50Ms: 2, p90Ms: 3, p99Ms: 3 };

function fold(type: 'ping' | 'traceroute' | 'probe', events: MeasurementEvent[], o = {}): MeasurementResult {
  const r = new MeasurementResult(type, o);
  for (const e of events) r.add(e);
  return r;
}

test('ping: replies, timeouts and the summary per agent×target; text has the statistics, timeouts and replies', () => {
  const r = fold('ping', [
    { type: 'start', agent: 'lax1', target: 'a.test', measurement: 'ping', address: '127.0.0.2', family: 4, protocol: 'icmp', params: {} },
    { type: 'reply', agent: 'lax1', target: 'a.test', seq: 1, ttl: 64, rttMs: 1, bytes: 64, from: '127.0.0.2' },
    { type: 'timeout', agent: 'lax1', target: 'a.test', seq: 2 },
    { type: 'summary', agent: 'lax1', target: 'a.test', measurement: 'ping', sent: 2, received: 1, lossPct: 50, durationMs: 2000, ...stats },
    { type: 'error', agent: 'fra1', target: 'a.test', code: 'MP_ERR_AGENT_LOST', message: 'agent fra1 went away' },
    { type: 'done', parts: 1, sent: 2, received: 1, errors: 1, durationMs: 2100 },
  ]);
  const out = PingOutput.parse(r.structured());
  assert.equal(out.parts.length, 2);
  assert.deepEqual(out.parts[0]!.timeouts, [2]);
  assert.equal(out.parts[1]!.error?.message, 'agent fra1 went away');
  assert.equal(out.totals.errors, 1);
  assert.equal(r.text(), [
    'lax1 → a.test (127.0.0.2): 2 sent, 1 received, 50% loss; rtt min/avg/max/mdev 1.000/2.000/3.000/0.500 ms, p50/p90/p99 2.000/3.000/3.000 ms',
    '  no answer: seq 2',
    '  replies (seq:ms): 1:1.000',
    'fra1 → a.test: agent fra1 went away',
    'total: 1 part, 2 sent, 1 received, 1 failed, 2100 ms',
  ].join('\n'));
  assert.equal(r.anySucceeded, true);
});

test('ping: replies past maxReplies are counted, not listed', () => {
  const events: MeasurementEvent[] = [];
  for (let seq = 1; seq <= 5; seq++) events.push({ type: 'reply', agent: 'l', target: 't', seq, ttl: 64, rttMs: 1, bytes: 64, from: '127.0.0.1' });
  const out = PingOutput.parse(fold('ping', events, { maxReplies: 3 }).structured());
  assert.equal(out.parts[0]!.replies.length, 3);
  assert.equal(out.parts[0]!.repliesOmitted, 2);
});

test('traceroute: hops in TTL order with responders; text has every hop with address, name, RTTs and loss', () => {
  const r = fold('traceroute', [
    { type: 'start', agent: 'l', target: 'x.test', measurement: 'traceroute', address: '198.18.3.2', family: 4, protocol: 'udp', params: {} },
    { type: 'hop', agent: 'l', target: 'x.test', ttl: 2, responders: [{ address: '198.18.3.2', rttsMs: [0.4, 0.5], name: 'x.test' }], sent: 3, received: 2, lossPct: 33.3 },
    { type: 'hop', agent: 'l', target: 'x.test', ttl: 1, responders: [{ address: '198.18.1.1', rttsMs: [0.2] }], sent: 3, received: 1, lossPct: 66.7 },
    { type: 'summary', agent: 'l', target: 'x.test', measurement: 'traceroute', sent: 6, received: 3, lossPct: 50, durationMs: 10, reached: true, hops: 2, ...stats },
    { type: 'done', parts: 1, sent: 6, received: 3, errors: 0, durationMs: 11 },
  ]);
  const out = TracerouteOutput.parse(r.structured());
  assert.deepEqual(out.parts[0]!.hops.map((h) => h.ttl), [1, 2]);
  assert.equal(out.parts[0]!.reached, true);
  assert.equal(out.parts[0]!.hops[1]!.responders[0]!.name, 'x.test');
  assert.equal(r.text(), [
    'l → x.test (198.18.3.2): reached, 2 hops',
    '   1  198.18.1.1  0.200 ms * *  (loss 67%)',
    '   2  x.test (198.18.3.2)  0.400 ms  0.500 ms *  (loss 33%)',
    'total: 1 part, 6 sent, 3 received, 0 failed, 11 ms',
  ].join('\n'));
});

test('probe: hosts up listed up to maxHosts, counts from the summary', () => {
  const events: MeasurementEvent[] = [
    { type: 'start', agent: 'l', target: '127.3.0.0/30', measurement: 'probe', address: '127.3.0.0/30', family: 4, protocol: 'icmp', params: {} },
    { type: 'host', agent: 'l', target: '127.3.0.0/30', address: '127.3.0.0', rttMs: 0.1 },
    { type: 'host', agent: 'l', target: '127.3.0.0/30', address: '127.3.0.1', rttMs: null },
    { type: 'host', agent: 'l', target: '127.3.0.0/30', address: '127.3.0.2', rttMs: 0.2 },
    { type: 'host', agent: 'l', target: '127.3.0.0/30', address: '127.3.0.3', rttMs: 0.3 },
    { type: 'summary', agent: 'l', target: '127.3.0.0/30', measurement: 'probe', sent: 4, received: 3, lossPct: 25, durationMs: 5, hostsUp: 3, hostsTotal: 4, ...stats },
  ];
  const r = fold('probe', events, { maxHosts: 2 });
  const out = ProbeOutput.parse(r.structured());
  assert.equal(out.parts[0]!.hostsUp, 3);
  assert.equal(out.parts[0]!.hostsTotal, 4);
  assert.deepEqual(out.parts[0]!.up.map((h) => h.address), ['127.3.0.0', '127.3.0.2']);
  assert.equal(out.parts[0]!.upOmitted, 1);
  assert.equal(r.text(), 'l → 127.3.0.0/30: 3 of 4 hosts up, rtt min/avg/max 1.000/2.000/3.000 ms\n  127.3.0.0, 127.3.0.2\n  … and 1 more up (not listed)');
});

test('a request-wide error (no agent, no target) shows in the text and nothing succeeded', () => {
  const r = fold('ping', [
    { type: 'error', code: 'MP_ERR_NO_AGENT', message: "no agent matches 'lax9'" },
    { type: 'done', parts: 0, sent: 0, received: 0, errors: 1, durationMs: 1 },
  ]);
  assert.equal(r.anySucceeded, false);
  assert.equal(r.text(), "error: no agent matches 'lax9'");
  PingOutput.parse(r.structured());
});

test('two targets × ICMP errors: the text names each part and lists its errors by message, responder and seq', () => {
  const targets = ['198.18.1.9', '198.18.1.10'];
  const events: MeasurementEvent[] = targets.map((target) => ({ type: 'start', agent: 'lax1', target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: {} }));
  for (const seq of [1, 2, 3]) {
    for (const target of targets) {
      events.push({ type: 'icmp-error', agent: 'lax1', target, seq, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.1.1', message: 'Destination Host Unreachable' });
    }
  }
  for (const target of targets) events.push({ type: 'summary', agent: 'lax1', target, measurement: 'ping', sent: 3, received: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null, durationMs: 2000 });
  events.push({ type: 'done', parts: 2, sent: 6, received: 0, errors: 0, durationMs: 2100 });
  const r = fold('ping', events);
  assert.equal(r.text(), [
    'lax1 → 198.18.1.9: 3 sent, 0 received, 3 ICMP errors, 100% loss',
    '  Destination Host Unreachable from 198.18.1.1: seq 1-3',
    'lax1 → 198.18.1.10: 3 sent, 0 received, 3 ICMP errors, 100% loss',
    '  Destination Host Unreachable from 198.18.1.1: seq 1-3',
    'total: 2 parts, 6 sent, 0 received, 6 ICMP errors, 0 failed, 2100 ms',
  ].join('\n'));
  // Progress notifications interleave too: each names its agent and target.
  assert.equal(MeasurementResult.progressLine(events[3]!), 'lax1 → 198.18.1.10: from 198.18.1.1 seq=1 Destination Host Unreachable');
});
