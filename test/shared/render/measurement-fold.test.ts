// The one event fold: parts per agent×target in order of first appearance, per-probe lines in
// seq order, hops by TTL, bounded by its caps, and the regrouping an email answer reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { linesBySeq, MeasurementFold } from '../../../shared/render/measurement-fold.ts';

const reply = (agent: string, target: string, seq: number): MeasurementEvent =>
  ({ type: 'reply', agent, target, seq, ttl: 64, rttMs: seq, bytes: 64, from: '127.0.0.1' });
const timeout = (agent: string, target: string, seq: number): MeasurementEvent => ({ type: 'timeout', agent, target, seq });

test('parts are keyed by agent×target, in order of first appearance', () => {
  const f = new MeasurementFold();
  for (const e of [reply('a', 'x', 1), reply('b', 'x', 1), reply('a', 'y', 1), reply('a', 'x', 2)]) f.add(e);
  assert.deepEqual([...f.parts].map((p) => `${p.agent}/${p.target}`), ['a/x', 'b/x', 'a/y']);
  assert.equal(f.part('a', 'x')!.replies, 2);
  assert.equal(f.part('c', 'x'), undefined);
});

test('per-probe lines are kept in arrival order and read in seq order, equal seqs in arrival order', () => {
  const f = new MeasurementFold();
  for (const e of [reply('a', 'x', 3), timeout('a', 'x', 1), reply('a', 'x', 2), reply('a', 'x', 1)]) f.add(e);
  const p = f.part('a', 'x')!;
  assert.deepEqual(p.lines.map((e) => `${e.type}:${e.seq}`), ['reply:3', 'timeout:1', 'reply:2', 'reply:1']);
  assert.deepEqual(linesBySeq(p).map((e) => `${e.type}:${e.seq}`), ['timeout:1', 'reply:1', 'reply:2', 'reply:3']);
});

test('add returns the checked event and its part; what is not an event is dropped', () => {
  const f = new MeasurementFold();
  assert.equal(f.add({ type: 'nonsense' }), undefined);
  assert.equal(f.add(42), undefined);
  const c = f.add({ type: 'hop', agent: 'a', target: 'x', ttl: 1e300, responders: 'no' });
  assert.equal(c!.part!.hops.get(255)!.ttl, 255, 'TTL clamped to 1..255 by the event guard');
  const general = f.add({ type: 'error', code: 'MP_ERR_INTERNAL', message: 'boom' });
  assert.equal(general!.part, undefined);
  assert.deepEqual(f.generalErrors.map((e) => e.message), ['boom']);
});

test('hops are kept by TTL, a repeated TTL replacing the earlier one', () => {
  const f = new MeasurementFold();
  const hop = (ttl: number, address: string): MeasurementEvent => ({ type: 'hop', agent: 'a', target: 'x', ttl, responders: [{ address, rttsMs: [1] }], sent: 1, received: 1, lossPct: 0 });
  for (const e of [hop(2, 'r2'), hop(1, 'r1'), hop(2, 'r2b')]) f.add(e);
  const hops = f.part('a', 'x')!.hops;
  assert.deepEqual([...hops.keys()].sort(), [1, 2]);
  assert.equal(hops.get(2)!.responders[0]!.address, 'r2b');
  assert.deepEqual(f.part('a', 'x')!.hopEvents.map((h) => h.responders[0]!.address), ['r2', 'r1', 'r2b'], 'every hop event, in arrival order');
});

test('memory is bounded: lines (per kind), hosts, parts and errors past their caps are counted, not kept', () => {
  const f = new MeasurementFold({ maxLines: 3, maxHosts: 2, maxParts: 2, maxErrors: 1 });
  for (let i = 0; i < 10; i++) f.add(reply('a', 'x', i));
  for (let i = 0; i < 4; i++) f.add(timeout('a', 'x', 20 + i));
  for (let i = 0; i < 5; i++) f.add({ type: 'host', agent: 'a', target: 'x', address: `127.0.0.${i}`, rttMs: 1 });
  f.add({ type: 'host', agent: 'a', target: 'x', address: '127.0.0.9', rttMs: null });
  for (let i = 0; i < 3; i++) f.add({ type: 'error', agent: 'a', target: 'x', code: 'MP_ERR_INTERNAL', message: `e${i}` });
  const p = f.part('a', 'x')!;
  assert.deepEqual(p.lines.map((e) => `${e.type}:${e.seq}`), ['reply:0', 'reply:1', 'reply:2', 'timeout:20', 'timeout:21', 'timeout:22'], 'the first 3 of each kind');
  assert.equal(p.linesOmitted, 8);
  assert.equal(p.timeouts, 4);
  assert.equal(p.replies, 10);
  assert.equal(p.up.length, 2);
  assert.equal(p.upCount, 5);
  assert.equal(p.hostsSeen, 6);
  assert.equal(p.errors.length, 1);
  assert.equal(f.errorCount, 3);
  f.add(reply('b', 'x', 1));
  assert.equal(f.add(reply('c', 'x', 1))!.part, undefined, 'a third part is past maxParts');
  assert.equal(f.size, 2);
});

test('grouped(): each part as one block, its per-probe lines in seq order in their slots, done last', () => {
  const f = new MeasurementFold({ keepEvents: true });
  const done: MeasurementEvent = { type: 'done', parts: 2, sent: 4, received: 4, errors: 0, durationMs: 1 };
  for (const e of [reply('a', 'x', 2), reply('b', 'x', 1), reply('a', 'x', 1), done, reply('b', 'x', 2)]) f.add(e);
  assert.deepEqual(f.grouped().map((e) => (e.type === 'reply' ? `${e.agent}${e.seq}` : e.type)), ['a1', 'a2', 'b1', 'b2', 'done']);
});

test('settled says whether a summary or an error came last', () => {
  const f = new MeasurementFold();
  f.add({ type: 'error', agent: 'a', target: 'x', code: 'MP_ERR_INTERNAL', message: 'lost' });
  assert.equal(f.part('a', 'x')!.settled, 'error');
  f.add({ type: 'summary', agent: 'a', target: 'x', measurement: 'ping', durationMs: 1, sent: 1, received: 1, lossPct: 0, minMs: 1, avgMs: 1, maxMs: 1, mdevMs: 0, p50Ms: 1, p90Ms: 1, p99Ms: 1 });
  assert.equal(f.part('a', 'x')!.settled, 'summary');
});
