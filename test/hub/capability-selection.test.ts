// The hub never sends an agent a measurement type it does not announce (an older agent): the
// refusal is one line naming the type and the agents, over POST /v1/measurements and /v1/cli.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTestHub } from '../helpers/test-hub.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

test('an agent lacking the capability is not sent the type; the refusal names the type and the agent', async () => {
  const old = new ScriptedAgent({ name: 'old1', capabilities: ['icmp', 'ping'] });
  const full = new ScriptedAgent({ name: 'full1', capabilities: ['ping', 'traceroute', 'probe'] });
  let oldRuns = 0;
  const run = old.run.bind(old);
  old.run = (spec, o) => {
    oldRuns++;
    return run(spec, o);
  };
  await withTestHub({ allowAnonymous: true, agents: [old, full] }, async (t) => {
    const post = async (spec: object) => {
      const res = await fetch(t.url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
      assert.equal(res.status, 200);
      return (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; agent?: string; code?: string; message?: string });
    };
    const refused = await post({ type: 'traceroute', targets: ['127.0.0.1'], from: ['old1'] });
    const errors = refused.filter((e) => e.type === 'error');
    assert.deepEqual(errors.map((e) => [e.code, e.message]), [['MP_ERR_NO_AGENT', 'no selected agent can run traceroute: old1 does not announce it']]);
    assert.equal(refused.at(-1)?.type, 'done');
    assert.equal(oldRuns, 0);

    // Named together with a capable agent: the capable one measures, the other is named once.
    const mixed = await post({ type: 'traceroute', targets: ['127.0.0.1'], from: ['old1', 'full1'], count: 1 });
    assert.ok(mixed.some((e) => e.type === 'summary' && e.agent === 'full1'));
    assert.ok(!mixed.some((e) => e.agent === 'old1'));
    assert.deepEqual(mixed.filter((e) => e.type === 'error').map((e) => e.message), ['old1 cannot run traceroute (not announced by that agent); measuring from the others']);
    assert.equal(oldRuns, 0);

    // What it announces, it is sent.
    const ping = await post({ type: 'ping', targets: ['127.0.0.1'], from: ['old1'], count: 1 });
    assert.ok(ping.some((e) => e.type === 'summary'));
    assert.equal(oldRuns, 1);

    const cli = await fetch(t.url + '/v1/cli', { method: 'POST', body: 'traceroute -s old1 127.0.0.1' });
    assert.match(await cli.text(), /^meshprobe: no selected agent can run traceroute: old1 does not announce it$/m);
    assert.equal(oldRuns, 1);
  });
});
