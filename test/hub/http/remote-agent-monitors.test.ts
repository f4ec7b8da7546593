// How the hub hands monitor assignments to agents at the far end of a WebSocket
// (hub/http/remote-agent-monitors.ts), seen from agents speaking the real protocol: the whole set
// first, then, to an agent that announces `monitor-changes`, only what changed; an agent that
// does not announce it gets whole sets as before; a reconnecting one gets the whole set again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTestHub, type TestHub } from '../../helpers/test-hub.ts';
import { MonitorAgent } from '../../helpers/monitor-agent.ts';
import { MONITOR_CAPABILITY, MONITOR_CHANGES_CAPABILITY } from '../../../shared/wire/agent-protocol-constants.ts';

async function api(t: TestHub, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(t.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const BASE = ['icmp', 'ping', 'traceroute', MONITOR_CAPABILITY];

test('after the whole set, an agent that takes changes gets each added, changed and removed monitor alone', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    const agentToken = async (name: string) => (await t.hub.tokens.issue({ sub: `agent:${name}`, scopes: ['agent'] })).token;
    const first = await api(t, 'POST', '/v1/monitors', admin, { target: '127.0.0.1' });
    assert.equal(first.status, 201);
    const delta = await MonitorAgent.connect(t.url, await agentToken('d1'), 'd1', { capabilities: [...BASE, MONITOR_CHANGES_CAPABILITY] });
    const whole = await MonitorAgent.connect(t.url, await agentToken('w1'), 'w1', { capabilities: BASE });
    try {
      await delta.assigned([first.body.id]);
      await whole.assigned([first.body.id]);

      const ids: number[] = [first.body.id];
      for (const target of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
        const r = await api(t, 'POST', '/v1/monitors', admin, { target });
        assert.equal(r.status, 201);
        ids.push(r.body.id);
        // One at a time, so that each change is a frame of its own (the hub coalesces a burst).
        await delta.assigned(ids);
        await whole.assigned(ids);
      }
      const changed = await api(t, 'PATCH', `/v1/monitors/${ids[1]}`, admin, { interval: '2s' });
      assert.equal(changed.status, 200);
      await delta.until('the changed monitor', () => delta.changes.some((c) => c.set.some((a) => a.id === ids[1] && a.intervalMs === 2000)));
      assert.equal((await api(t, 'DELETE', `/v1/monitors/${ids[2]}`, admin)).status, 200);
      const left = ids.filter((id) => id !== ids[2]);
      await delta.assigned(left);
      await whole.assigned(left);

      assert.equal(delta.assignments.length, 1, 'one whole set, on connecting');
      assert.deepEqual(
        delta.changes.map((c) => [c.set.map((a) => a.id), c.drop]),
        [[[ids[1]], []], [[ids[2]], []], [[ids[3]], []], [[ids[1]], []], [[], [ids[2]]]],
      );
      assert.equal(whole.changes.length, 0, 'an agent that does not announce monitor-changes gets none');
      assert.ok(whole.assignments.length >= 6, `whole sets: ${whole.assignments.length}`);
      assert.deepEqual(whole.assignments.at(-1)!.list.map((a) => a.id), left);

      // A reconnecting agent starts from the whole set again.
      await delta.close();
      const again = await MonitorAgent.connect(t.url, await agentToken('d1'), 'd1', { capabilities: [...BASE, MONITOR_CHANGES_CAPABILITY] });
      try {
        await again.assigned(left);
        assert.equal(again.assignments.length, 1);
        assert.equal(again.changes.length, 0);
      } finally {
        await again.close();
      }
    } finally {
      await delta.close();
      await whole.close();
    }
  });
});
