// A monitor's probe options (`--legacy`, `--fixed-timeout`, issue 14) from the REST body to the
// agent's `monitors` frame through a real hub and a real agent WebSocket; shown in the monitor's
// view; refused, naming the field, for a type that has no such option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Hub } from '../../../hub/http/server.ts';
import { MonitorAgent } from '../../helpers/monitor-agent.ts';
import { withTestHub } from '../../helpers/test-hub.ts';

async function agentToken(hub: Hub, name: string): Promise<string> {
  return (await hub.tokens.issue({ sub: `agent:${name}`, scopes: ['agent'] })).token;
}

test('POST /v1/monitors with legacy and fixedTimeout: the agent is assigned them, the view shows them', async () => {
  await withTestHub({}, async (t) => {
    const agent = await MonitorAgent.connect(t.url, await agentToken(t.hub, 'lax1'), 'lax1', { capabilities: ['tcpping', 'monitor'] });
    try {
      await agent.assigned([]);
      const admin = await t.token(['admin']);
      const post = (body: unknown) => fetch(`${t.url}/v1/monitors`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const res = await post({ target: '127.0.0.1:4000', type: 'tcpping', name: 'old', interval: '200ms', legacy: true });
      assert.equal(res.status, 201, await res.clone().text());
      const view = (await res.json()) as { id: number; legacy?: boolean; fixedTimeout?: boolean };
      assert.equal(view.legacy, true);
      assert.equal(view.fixedTimeout, undefined);
      let frame = await agent.assigned([view.id]);
      assert.equal(frame.list[0]!.legacy, true);
      assert.equal(frame.list[0]!.fixedTimeout, undefined);

      const fixed = (await (await post({ target: '127.0.0.1:4000', type: 'tcpping', name: 'fixed', fixedTimeout: true })).json()) as { id: number };
      frame = await agent.assigned([view.id, fixed.id]);
      const a = frame.list.find((x) => x.id === fixed.id)!;
      assert.equal(a.fixedTimeout, true);
      assert.equal(a.legacy, undefined);
      const plain = (await (await post({ target: '127.0.0.1:4000', type: 'tcpping', name: 'plain' })).json()) as { id: number };
      frame = await agent.assigned([view.id, fixed.id, plain.id]);
      const p = frame.list.find((x) => x.id === plain.id)!;
      assert.ok(!('legacy' in p) && !('fixedTimeout' in p), JSON.stringify(p));
      assert.equal(t.hub.monitors.show({ subject: 'admin', scopes: ['admin'] }, 'old').legacy, true);
    } finally {
      await agent.close();
    }
  });
});

test('a type without the option refuses it with one line naming the field; a non-boolean is refused by the body schema', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    const post = (body: unknown) => fetch(`${t.url}/v1/monitors`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const ping = await post({ target: '127.0.0.1', type: 'ping', legacy: true });
    assert.equal(ping.status, 400);
    assert.match(await ping.text(), /legacy/);
    const bad = await post({ target: '127.0.0.1:4000', type: 'tcpping', fixedTimeout: 'yes' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /fixedTimeout/);
  });
});
