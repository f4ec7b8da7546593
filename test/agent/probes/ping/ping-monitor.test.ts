import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PingMonitorEngine } from '../../../../agent/probes/ping/ping-monitor.ts';
import { bucketOf, Histogram, MIN_BUCKET } from '../../../../shared/model/histogram.ts';
import { rawSkipReason } from '../../../helpers/raw-capability.ts';

const skip = rawSkipReason();

test('1,000 loopback targets at 5 Hz: every target probed once per interval, every probe answered, round trips in the loopback buckets', { skip: skip ?? false }, async () => {
  const engine = new PingMonitorEngine({ mode: 'raw' });
  const n = 1000;
  const results = Array.from({ length: n }, () => ({ sent: 0, recv: 0, errors: new Set<string>() }));
  const hist = new Histogram();
  try {
    for (let i = 0; i < n; i++) {
      const r = results[i]!;
      engine.add({ id: i + 1, address: `127.1.${1 + (i >> 8)}.${i & 255}`, family: 4, intervalMs: 200, timeoutMs: 1000 }, (rtt, error) => {
        r.sent++;
        if (rtt !== undefined) {
          r.recv++;
          hist.add(rtt);
        }
        if (error) r.errors.add(error);
      });
    }
    assert.equal(engine.size, n);
    await sleep(3000);
    for (let i = 0; i < n; i += 2) engine.remove(i + 1);
    const atRemoval = results.map((r) => r.sent);
    await sleep(1500);
    // The removed ones stop (an answer in flight is dropped); the others go on.
    for (let i = 0; i < n; i += 2) assert.equal(results[i]!.sent, atRemoval[i], `target ${i} went on after remove`);
    assert.equal(engine.size, n / 2);
  } finally {
    engine.close();
  }
  const sent = results.map((r) => r.sent);
  // 3 s at 200 ms, with outcomes known up to one timeout later: 14 to 16 per removed target.
  for (let i = 0; i < n; i += 2) assert.ok(sent[i]! >= 14 && sent[i]! <= 16, `target ${i}: ${sent[i]} outcomes in 3 s at 5 Hz`);
  for (let i = 1; i < n; i += 2) assert.ok(sent[i]! >= 21 && sent[i]! <= 24, `target ${i}: ${sent[i]} outcomes in 4.5 s at 5 Hz`);
  const total = sent.reduce((a, b) => a + b, 0);
  const recv = results.reduce((a, r) => a + r.recv, 0);
  assert.ok(recv >= total * 0.999, `${total - recv} of ${total} probes lost on loopback`);
  assert.deepEqual([...new Set(results.flatMap((r) => [...r.errors]))], []);
  assert.equal(hist.total, recv);
  // Loopback answers within microseconds; a loaded 2-core box may add a few milliseconds.
  const pairs = hist.pairs();
  assert.ok(pairs[0]![0] >= MIN_BUCKET);
  assert.ok(pairs.at(-1)![0] <= bucketOf(20), `slowest bucket ${pairs.at(-1)![0]} (${2 ** (pairs.at(-1)![0] / 10)} ms)`);
  assert.ok(hist.quantile(0.5)! < 1, `median ${hist.quantile(0.5)} ms`);
});

test('a closed engine reports nothing more', { skip: skip ?? false }, async () => {
  const engine = new PingMonitorEngine({ mode: 'raw' });
  const outcomes: (number | undefined)[] = [];
  try {
    engine.add({ id: 7, address: '127.0.0.1', family: 4, intervalMs: 100, timeoutMs: 50 }, (rtt) => outcomes.push(rtt));
    await sleep(550);
  } finally {
    engine.close();
  }
  const count = outcomes.length;
  assert.ok(count >= 4 && count <= 6, `${count} outcomes in 550 ms at 10 Hz`);
  await sleep(300);
  assert.equal(outcomes.length, count);
});

test('a lone target is probed every interval: its timer sleeps a whole interval, and waking late does not skip a probe', { skip: skip ?? false }, async () => {
  // Its probes' timeouts fall on its later probes' due times, so each wake-up comes just after
  // an interval; counting a stall from the last wake-up skipped about one probe in ten.
  const engine = new PingMonitorEngine({ mode: 'raw' });
  const outcomes: (number | undefined)[] = [];
  try {
    engine.add({ id: 3, address: '127.0.0.3', family: 4, intervalMs: 500, timeoutMs: 1000 }, (rtt) => outcomes.push(rtt));
    await sleep(10_200);
  } finally {
    engine.close();
  }
  // 20 or 21 probes, the first within one interval.
  assert.ok(outcomes.length >= 20, `${outcomes.length} outcomes in 10.2 s at 2 Hz`);
  assert.ok(outcomes.every((rtt) => rtt !== undefined), 'every probe answered');
});
