/**
 * Acceptance: measured values against the lab's ground truth — random loss on the path and a
 * responder that answers after a known delay. The agent runs inside the client namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailable } from './lab.ts';
import type { MeasurementEvent, SummaryEvent } from '../../shared/model/events.ts';

const skip = labUnavailable();
const summary = (ev: MeasurementEvent[]) => {
  const s = ev.find((e): e is SummaryEvent => e.type === 'summary');
  assert.ok(s, `no summary in ${JSON.stringify(ev.filter((e) => e.type === 'error'))}`);
  return s;
};

describe('ping through 10 % random loss', { skip }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ lossPct: 10 });
  });
  after(() => lab?.destroy());

  test('500 pings at a 2 ms interval measure between 5 % and 15 % loss', async () => {
    const ev = await lab.runAgent({ type: 'ping', targets: [lab.target.v4], count: 500, intervalMs: 2, timeoutMs: 1000 });
    const s = summary(ev);
    assert.equal(s.sent, 500);
    assert.ok(s.lossPct >= 5 && s.lossPct <= 15, `measured loss ${s.lossPct} %`);
    assert.equal(ev.filter((e) => e.type === 'timeout').length, s.sent - s.received, 'every lost probe has its timeout event');
  });

  test('TCP ping sees the same loss (SYNs dropped on the way)', async () => {
    const ev = await lab.runAgent({ type: 'ping', targets: [lab.target.v6], protocol: 'tcp', port: 7, count: 300, intervalMs: 2, timeoutMs: 1000 });
    const s = summary(ev);
    assert.ok(s.lossPct >= 4 && s.lossPct <= 17, `measured loss ${s.lossPct} %`);
    assert.ok(ev.some((e) => e.type === 'reply' && e.kind === 'rst'), 'the closed port answers with RST');
  });
});

describe('ping a responder that answers after 20 ms', { skip }, () => {
  let lab: Lab;
  let stop: (() => Promise<void>) | undefined;
  before(async () => {
    lab = await Lab.create({});
    stop = (await lab.startDelayedResponder(20)).stop;
  });
  after(async () => {
    await stop?.();
    lab?.destroy();
  });

  for (const family of [4, 6] as const) {
    test(`IPv${family}: the median RTT is within 1 ms of 20 ms`, async (t) => {
      const dst = family === 4 ? lab.target.v4 : lab.target.v6;
      const ev = await lab.runAgent({ type: 'ping', targets: [dst], count: 50, intervalMs: 10, timeoutMs: 1000 });
      const s = summary(ev);
      assert.equal(s.received, 50);
      t.diagnostic(`median ${s.p50Ms} ms, min ${s.minMs} ms, max ${s.maxMs} ms`);
      assert.ok(Math.abs(s.p50Ms! - 20) <= 1, `median ${s.p50Ms} ms`);
      assert.ok(s.minMs! >= 19.9, `nothing faster than the delay: min ${s.minMs} ms`);
    });
  }
});
