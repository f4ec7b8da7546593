// How the ping schedule waits between probes: below a 10 ms interval it stays awake, as iputils
// ping does (a CPU that slept for the interval runs the next send cold, which shows in the RTT;
// bench/ping-breakdown.ts measures that); from 10 ms up it sleeps in a timer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { runPingSchedule } from '../../../agent/probes/ping-schedule.ts';
import type { StartEvent } from '../../../shared/events.ts';

const start: StartEvent = { type: 'start', agent: 'a', target: 't', measurement: 'ping', address: '127.0.0.1', family: 4, protocol: 'icmp', params: {} };

/** Share of the run the event loop spent waiting for events (asleep), 0…1. */
async function idleShare(intervalMs: number, count: number): Promise<number> {
  const before = performance.eventLoopUtilization();
  await runPingSchedule(
    { agent: 'a', target: 't', emit: () => {}, signal: new AbortController().signal },
    // Every probe is answered at once (once it is in flight), so only the waits between sends remain.
    { count, intervalMs, timeoutMs: 1000, start, send: (_seq, answer) => (queueMicrotask(() => answer({ type: 'reply', rttMs: 0.01, ttl: 64, bytes: 64, from: '127.0.0.1' })), {}) },
  );
  const u = performance.eventLoopUtilization(before);
  return u.idle / (u.idle + u.active);
}

test('below a 10 ms interval the event loop keeps turning between probes instead of sleeping', async () => {
  const busy = await idleShare(5, 20);
  // Asleep in a timer this share is close to 1; polling every turn it is close to 0.
  assert.ok(busy < 0.5, `the loop slept ${(busy * 100).toFixed(0)} % of a 5 ms-interval run`);
});

test('from a 10 ms interval up the schedule sleeps between probes', async () => {
  const asleep = await idleShare(20, 5);
  assert.ok(asleep > 0.5, `the loop slept only ${(asleep * 100).toFixed(0)} % of a 20 ms-interval run`);
});
