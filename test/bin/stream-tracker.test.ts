import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Exit, StreamTracker } from '../../bin/stream-tracker.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { computeStats } from '../../shared/model/stats.ts';

const start = (target: string): MeasurementEvent => ({ type: 'start', agent: 'local', target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: {} });
const reply = (target: string, seq: number, rttMs = 1): MeasurementEvent => ({ type: 'reply', agent: 'local', target, seq, ttl: 64, rttMs, bytes: 64, from: target });
const summary = (target: string, sent: number, rtts: number[]): MeasurementEvent => ({ type: 'summary', agent: 'local', target, measurement: 'ping', durationMs: 1, ...computeStats(sent, rtts) });
const error = (code: string, target?: string): MeasurementEvent => ({ type: 'error', code, message: 'x', ...(target ? { agent: 'local', target } : {}) });

test('exit status: 0 all answered, 1 a silent target or a failed part, 2 input errors (iputils-compatible)', () => {
  const cases: Array<[string, MeasurementEvent[], number]> = [
    ['all answered', [start('a'), reply('a', 1), summary('a', 1, [1])], Exit.Ok],
    ['one target silent', [start('a'), summary('a', 2, [1]), start('b'), summary('b', 2, [])], Exit.NoReply],
    ['nothing ran', [], Exit.NoReply],
    ['agent lost', [start('a'), error('MP_ERR_AGENT_LOST', 'a')], Exit.NoReply],
    ['name does not resolve', [error('MP_ERR_RESOLVE', 'nx')], Exit.Usage],
    ['unknown agent', [error('MP_ERR_NO_AGENT')], Exit.Usage],
    ['refused by policy', [error('MP_ERR_POLICY', 'a')], Exit.Usage],
  ];
  for (const [name, events, want] of cases) {
    const t = new StreamTracker();
    for (const e of events) t.add(e);
    assert.equal(t.exitCode(), want, name);
  }
});

test('after an interrupt, open parts get summaries from what was seen, and done totals them', () => {
  let now = 0;
  const t = new StreamTracker(() => now);
  for (const e of [start('a'), reply('a', 1, 2), reply('a', 2, 4), { type: 'timeout', agent: 'local', target: 'a', seq: 3 } as MeasurementEvent, start('b'), summary('b', 1, [1])]) t.add(e);
  now = 500;
  const { summaries, done } = t.finishInterrupted(600);
  assert.equal(summaries.length, 1);
  const s = summaries[0]!;
  assert.deepEqual([s.target, s.sent, s.received, s.minMs, s.avgMs, s.maxMs, s.durationMs], ['a', 3, 2, 2, 3, 4, 500]);
  assert.deepEqual(done, { type: 'done', parts: 2, sent: 4, received: 3, errors: 0, durationMs: 600 });
  assert.equal(t.exitCode(), Exit.Ok);
});

test('a duplicate reply for the same seq is counted once', () => {
  const t = new StreamTracker();
  for (const e of [start('a'), reply('a', 1), reply('a', 1)]) t.add(e);
  const { summaries } = t.finishInterrupted(0);
  assert.deepEqual([summaries[0]!.sent, summaries[0]!.received], [1, 1]);
});
