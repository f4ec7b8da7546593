// `--rate 0` through a hub (issue 11, item 19): "as fast as allowed" is the lower of the hub's
// sweep limit and the agent's free packet budget. The sweep runs at that rate instead of being
// refused, and its start event says so. A real hub on 127.0.0.1:0 with a real agent sweeping
// loopback (127.1.0.0/24: every address answers on Linux).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { withTestHub } from '../../helpers/test-hub.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

const skip = rawSkipReason() ?? false;

function startOf(events: MeasurementEvent[]): Extract<MeasurementEvent, { type: 'start' }> {
  const s = events.find((e) => e.type === 'start');
  assert.ok(s && s.type === 'start', `a start event in ${JSON.stringify(events.slice(0, 3))}`);
  return s;
}

test('probe --rate 0 through a hub runs at the agent\'s packet budget and says so in the start event', { skip }, async () => {
  await withTestHub({ agents: [new LocalAgent({ name: 'local' })] }, async (t) => {
    const events = await t.measure({ type: 'probe', targets: ['127.1.0.0/24'], rate: 0, timeoutMs: 500 }, { token: await t.token(['admin']) });
    assert.deepEqual(events.filter((e) => e.type === 'error'), [], 'no refusal: 0 means as fast as allowed, not more than allowed');
    const start = startOf(events);
    assert.equal(start.params['rate'], 20_000);
    assert.equal(start.note, "rate 0 = as fast as allowed: 20000 packets/s, agent local's packet budget (20000 of 20000 packets/s free)");
    const summary = events.find((e) => e.type === 'summary');
    assert.ok(summary && summary.type === 'summary' && summary.hostsUp === 256, 'the sweep ran to the end');
    assert.equal(events.at(-1)?.type, 'done');
  });
});

test('with the budget off, rate 0 is the hub\'s sweep limit; an explicit rate above the budget is still refused', { skip }, async () => {
  await withTestHub({ agents: [new LocalAgent({ name: 'local' })], control: { agentPpsBudget: 0, limits: { maxRate: 30_000 } } }, async (t) => {
    const admin = await t.token(['admin']);
    const start = startOf(await t.measure({ type: 'probe', targets: ['127.1.0.0/28'], rate: 0, timeoutMs: 300 }, { token: admin }));
    assert.equal(start.params['rate'], 30_000);
    assert.equal(start.note, "rate 0 = as fast as allowed: 30000 packets/s, this hub's sweep limit (30000 packets/s)");
  });
  await withTestHub({ agents: [new LocalAgent({ name: 'local' })], control: { agentPpsBudget: 1000 } }, async (t) => {
    const events = await t.measure({ type: 'probe', targets: ['127.1.0.0/28'], rate: 5000, timeoutMs: 300 }, { token: await t.token(['admin']) });
    const err = events.find((e) => e.type === 'error');
    assert.match(err?.type === 'error' ? err.message : '', /agent local is at its packet budget of 1000 packets\/s \(1000 free, this needs 5000 packets\/s\)/);
  });
});
