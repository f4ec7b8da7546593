// Numbers on the JSON API carry no float noise (issue 11, item 21): times are rounded to whole
// nanoseconds where events are created (agent probes, shared/model/stats.ts, the hub's `done`), so a
// `0.03999999997904524` goes out as `0.04`. A real hub with a real LocalAgent pings, traces and
// sweeps loopback; every number of every event has at most six decimals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { roundMs } from '../../shared/model/stats.ts';

let th: TestHub;
let admin: string;

before(async () => {
  th = await startTestHub({ agents: [new LocalAgent({ name: 'local' })] });
  admin = await th.token(['admin']);
});

after(async () => {
  await th.close();
});

/** Every number in `v` whose shortest decimal form has more than six digits after the point. */
function noisy(v: unknown, path = ''): string[] {
  if (typeof v === 'number') {
    const s = JSON.stringify(v);
    const decimals = /\.(\d+)/.exec(s)?.[1]?.length ?? 0;
    return /e/i.test(s) || decimals > 6 ? [`${path} = ${s}`] : [];
  }
  if (Array.isArray(v)) return v.flatMap((x, i) => noisy(x, `${path}[${i}]`));
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => noisy(x, `${path}.${k}`));
  return [];
}

test('roundMs keeps whole nanoseconds and drops the float noise', () => {
  assert.equal(roundMs(0.03999999997904524), 0.04);
  assert.equal(roundMs(1.0000004), 1);
  assert.equal(roundMs(1.0000006), 1.000001);
  assert.equal(roundMs(0), 0);
});

for (const spec of [
  { type: 'ping', targets: ['127.0.0.1', '::1'], count: 5, intervalMs: 10 },
  { type: 'ping', targets: ['127.0.0.1'], count: 3, intervalMs: 10, protocol: 'tcp', port: 9 },
  { type: 'traceroute', targets: ['127.0.0.1'], queriesPerHop: 3 },
  { type: 'probe', targets: ['127.1.2.0/29'] },
] as const) {
  test(`${spec.type}${'protocol' in spec ? ` ${spec.protocol}` : ''}: every number of every JSON event has at most six decimals`, async () => {
    const events = await th.measure(spec, { token: admin });
    assert.equal(events.at(-1)?.type, 'done');
    assert.ok(events.some((e) => e.type === 'summary'), JSON.stringify(events));
    assert.deepEqual(events.flatMap((e, i) => noisy(e, `#${i} ${e.type}`)), []);
  });
}
