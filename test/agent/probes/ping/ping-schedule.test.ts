// The schedule ICMP and TCP/UDP ping share, driven by a scripted send(): which events come out,
// in which order, and that every probe is settled once. Real timers, short intervals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runPingSchedule, type PingAnswer, type PingScheduleOptions, type SentProbe } from '../../../../agent/probes/ping/ping-schedule.ts';
import type { MeasurementEvent, StartEvent } from '../../../../shared/model/events.ts';

const start: StartEvent = { type: 'start', agent: 'a', target: 't', measurement: 'ping', address: '127.0.0.1', family: 4, protocol: 'icmp', params: {} };

function run(o: Partial<PingScheduleOptions> & Pick<PingScheduleOptions, 'send'>, signal = new AbortController().signal) {
  const events: MeasurementEvent[] = [];
  const done = runPingSchedule({ agent: 'a', target: 't', emit: (e) => events.push(e), signal }, { count: 3, intervalMs: 5, timeoutMs: 60, start, ...o });
  return { events, done };
}

test('each probe ends in a reply, an icmp-error or a timeout; the summary counts them', async () => {
  const settled: number[] = [];
  const { events, done } = run({
    send: (seq, answer) => {
      const a: PingAnswer | undefined =
        seq === 1 ? { type: 'reply', rttMs: 1.5, ttl: 64, bytes: 64, from: '127.0.0.1', kind: 'syn-ack' }
        : seq === 2 ? { type: 'icmp-error', rttMs: 2, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '127.0.0.9', message: 'Destination Host Unreachable' }
        : undefined;
      if (a) setTimeout(() => { answer(a); answer(a); }, 1);
      return { done: () => settled.push(seq) };
    },
  });
  await done;
  assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'icmp-error', 'timeout', 'summary']);
  assert.deepEqual(events[1], { type: 'reply', agent: 'a', target: 't', seq: 1, ttl: 64, rttMs: 1.5, bytes: 64, from: '127.0.0.1', kind: 'syn-ack' });
  const s = events.at(-1) as Extract<MeasurementEvent, { type: 'summary' }>;
  assert.equal(s.address, '127.0.0.1');
  assert.deepEqual([s.sent, s.received], [3, 1]);
  assert.deepEqual(settled.sort(), [1, 2, 3], 'every probe settled exactly once; the duplicate answer is dropped');
});

test('a refused send stops the run with an error naming the address, and no summary', async () => {
  const { events, done } = run({ send: (seq): SentProbe | { refused: string } => (seq === 2 ? { refused: 'Network is unreachable' } : {}) });
  await done;
  assert.deepEqual(events.map((e) => e.type), ['start', 'error']);
  assert.equal((events[1] as { message: string }).message, 'cannot send to 127.0.0.1: Network is unreachable');
});

test('abort ends the run with the summary so far; a late answer is dropped', async () => {
  const ac = new AbortController();
  let late: ((a: PingAnswer) => void) | undefined;
  const { events, done } = run({ count: 100, send: (_seq, answer) => ((late ??= answer), {}) }, ac.signal);
  setTimeout(() => ac.abort(), 20);
  await done;
  late!({ type: 'reply', rttMs: 1, ttl: 64, bytes: 64, from: '127.0.0.1' });
  const s = events.at(-1) as Extract<MeasurementEvent, { type: 'summary' }>;
  assert.equal(s.type, 'summary');
  assert.ok(s.sent >= 2 && s.sent < 100, `sent ${s.sent} before the abort`);
  assert.equal(s.received, 0);
  assert.equal(events.filter((e) => e.type === 'reply').length, 0);
});

test('a deadline (iputils -w) ends the run with the summary however many probes are left; those in flight count as lost', async () => {
  const { events, done } = run({
    count: 10_000,
    intervalMs: 5,
    timeoutMs: 60_000,
    deadlineMs: 100,
    // Every other probe is answered; the rest stay in flight until the deadline.
    send: (seq, answer) => {
      if (seq % 2 === 1) setTimeout(() => { answer({ type: 'reply', rttMs: 0.5, ttl: 64, bytes: 64, from: '127.0.0.1' }); }, 1);
      return {};
    },
  });
  await done;
  assert.equal(events.at(-1)?.type, 'summary', 'the deadline ends the run with a summary, not a hang until count or timeout');
  const s = events.at(-1) as Extract<MeasurementEvent, { type: 'summary' }>;
  assert.ok(s.sent >= 1 && s.sent < 10_000, `stopped sending at the deadline (sent ${s.sent})`);
  assert.equal(s.received, events.filter((e) => e.type === 'reply').length);
  assert.ok(s.received < s.sent, 'the unanswered probes in flight at the deadline count as lost');
  assert.equal(events.filter((e) => e.type === 'timeout').length, 0, 'nothing timed out: the 60 s timeout never came');
});
