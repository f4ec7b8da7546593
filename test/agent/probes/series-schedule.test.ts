import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSeries, type SeriesOptions } from '../../../agent/probes/series-schedule.ts';
import type { MeasurementEvent, StartEvent } from '../../../shared/model/events.ts';

const start: StartEvent = { type: 'start', agent: 'a', target: 't', measurement: 'tcpping', address: '127.0.0.1', family: 4, protocol: 'tcp', params: {} };

async function series(o: Omit<SeriesOptions, 'start'>, signal = new AbortController().signal): Promise<MeasurementEvent[]> {
  const events: MeasurementEvent[] = [];
  await runSeries({ agent: 'a', target: 't', emit: (e) => events.push(e), signal }, { start, ...o });
  return events;
}
const seqs = (events: MeasurementEvent[], type: 'reply' | 'timeout') => events.flatMap((e) => (e.type === type ? [e.seq] : []));

test('each probe is settled once: answers are replies, the others time out, an answer after the timeout is ignored', async () => {
  const timedOut: number[] = [];
  const events = await series({
    count: 4,
    intervalMs: 5,
    timeoutMs: () => 40,
    send(seq, answer) {
      if (seq === 1 || seq === 3) setImmediate(() => answer({ rttMs: 0.5, from: '127.0.0.1', bytes: 24 }));
      if (seq === 4) setTimeout(() => answer({ rttMs: 80, from: '127.0.0.1', bytes: 24 }), 80);
      return true;
    },
    onTimeout: (seq) => timedOut.push(seq),
  });
  assert.deepEqual(seqs(events, 'reply'), [1, 3]);
  assert.deepEqual(seqs(events, 'timeout'), [2, 4]);
  assert.deepEqual(timedOut, [2, 4]);
  const summary = events.at(-1);
  assert.equal(summary?.type, 'summary');
  assert.equal(summary.type === 'summary' && summary.sent, 4);
  assert.equal(summary.type === 'summary' && summary.received, 2);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(events.at(-1), summary, 'nothing after the summary, not even the late answer');
});

test('a later probe with a shorter timeout times out first (one sweep timer, re-armed for the earliest deadline)', async () => {
  const events = await series({
    count: 2,
    intervalMs: 5,
    timeoutMs: (() => {
      const timeouts = [300, 20];
      return () => timeouts.shift() ?? 20;
    })(),
    send: () => true,
  });
  assert.deepEqual(seqs(events, 'timeout'), [2, 1]);
});

test('a probe that cannot leave is lost at once, before the next one is sent', async () => {
  const order: string[] = [];
  const events = await series({
    count: 3,
    intervalMs: 5,
    timeoutMs: () => 1000,
    send(seq, answer) {
      if (seq === 2) return false;
      setImmediate(() => answer({ rttMs: 0.1, from: '127.0.0.1', bytes: 24 }));
      return true;
    },
    onSend: (seq) => order.push(`send ${seq}`),
    onTimeout: (seq) => order.push(`lost ${seq}`),
  });
  assert.deepEqual(order, ['send 1', 'send 2', 'lost 2', 'send 3']);
  assert.deepEqual(seqs(events, 'reply'), [1, 3]);
});

test('an abort ends the run with the summary so far', async () => {
  const ac = new AbortController();
  const events = await series({
    count: 1000,
    intervalMs: 2,
    timeoutMs: () => 1000,
    send(seq, answer) {
      setImmediate(() => answer({ rttMs: 0.1, from: '127.0.0.1', bytes: 24 }));
      if (seq === 3) ac.abort();
      return true;
    },
  }, ac.signal);
  const summary = events.at(-1);
  assert.equal(summary?.type, 'summary');
  assert.ok(summary.type === 'summary' && summary.sent >= 3 && summary.sent < 1000);
});
