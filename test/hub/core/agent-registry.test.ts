import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentRegistry } from '../../../hub/core/agent-registry.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';

const names = (s: { agents: { info: { name: string } }[] }) => s.agents.map((a) => a.info.name);

function registry(defaultAgent?: string): AgentRegistry {
  const r = new AgentRegistry(defaultAgent ? { defaultAgent } : {});
  r.add(new ScriptedAgent({ name: 'lax1', country: 'US' }));
  r.add(new ScriptedAgent({ name: 'fra1', country: 'DE' }));
  r.add(new ScriptedAgent({ name: 'ber1', country: 'DE' }));
  return r;
}

test('an empty from selects the default agent (the first added unless configured)', () => {
  assert.deepEqual(names(registry().select([])), ['lax1']);
  assert.deepEqual(names(registry('fra1').select([])), ['fra1']);
  assert.deepEqual(names(registry().select([], 2)), ['lax1', 'fra1']);
});

test('select by name (case-insensitive) and by attribute, without duplicates, capped by limit', () => {
  const r = registry();
  assert.deepEqual(r.select(['FRA1', 'lax1']), { agents: [r.get('fra1'), r.get('lax1')], unmatched: [] });
  assert.deepEqual(names(r.select(['country=de', 'fra1'])), ['fra1', 'ber1']);
  assert.deepEqual(names(r.select(['country=DE'], 1)), ['fra1']);
});

test('selectors that match nothing are reported, the rest still run', () => {
  const s = registry().select(['lax1', 'nrt1', 'asn=64500']);
  assert.deepEqual(names(s), ['lax1']);
  assert.deepEqual(s.unmatched, ['nrt1', 'asn=64500']);
});

test('add refuses duplicate and malformed names; remove and list keep order; listeners hear changes', () => {
  const r = registry();
  const heard: string[] = [];
  r.onChange((change, info) => heard.push(`${change} ${info.name}`));
  assert.throws(() => r.add(new ScriptedAgent({ name: 'lax1' })), /already registered/);
  assert.throws(() => r.add(new ScriptedAgent({ name: 'bad name' })), /agent name/);
  assert.equal(r.remove('fra1'), true);
  assert.equal(r.remove('fra1'), false);
  r.add(new ScriptedAgent({ name: 'nrt1' }));
  assert.deepEqual(r.list().map((a) => a.name), ['lax1', 'ber1', 'nrt1']);
  assert.deepEqual(heard, ['removed fra1', 'added nrt1']);
  assert.equal(r.size, 3);
});

test('selection by capability: only agents announcing the type; an agent naming no type runs the baseline types only', () => {
  const r = new AgentRegistry();
  r.add(new ScriptedAgent({ name: 'old1', capabilities: ['icmp'] }));
  r.add(new ScriptedAgent({ name: 'pingonly', capabilities: ['icmp', 'ping'] }));
  r.add(new ScriptedAgent({ name: 'full1', capabilities: ['ping', 'traceroute', 'probe'] }));
  // A pre-registry agent (transports only) still runs the three types it always ran.
  assert.deepEqual(names(r.select(['old1'], undefined, 'traceroute')), ['old1']);
  // An agent that names types is taken at its word.
  const s = r.select(['pingonly', 'full1'], undefined, 'traceroute');
  assert.deepEqual(names(s), ['full1']);
  assert.deepEqual(s.incapable, { type: 'traceroute', agents: ['pingonly'] });
  assert.deepEqual(r.select(['pingonly'], undefined, 'probe').agents, []);
  assert.deepEqual(r.select(['pingonly'], undefined, 'probe').incapable, { type: 'probe', agents: ['pingonly'] });
  // Without a type (callers that only count agents) nothing is filtered and nothing reported.
  assert.equal(r.select(['pingonly']).incapable, undefined);
});

test('an empty from skips an incapable default agent for the first capable one, and reports when none can', () => {
  const r = new AgentRegistry({ defaultAgent: 'pingonly' });
  r.add(new ScriptedAgent({ name: 'pingonly', capabilities: ['ping'] }));
  r.add(new ScriptedAgent({ name: 'full1', capabilities: ['ping', 'traceroute', 'probe'] }));
  assert.deepEqual(names(r.select([], undefined, 'ping')), ['pingonly']);
  assert.deepEqual(names(r.select([], undefined, 'probe')), ['full1']);
  assert.deepEqual(names(r.select([], 5, 'probe')), ['full1']);
  const only = new AgentRegistry();
  only.add(new ScriptedAgent({ name: 'pingonly', capabilities: ['ping'] }));
  assert.deepEqual(only.select([], undefined, 'probe'), { agents: [], unmatched: [], incapable: { type: 'probe', agents: ['pingonly'] } });
});

test('connectedAt is when each agent was added, kept apart from what it announces, and forgotten on removal', () => {
  let now = 1_000;
  const r = new AgentRegistry({ now: () => now });
  r.add(new ScriptedAgent({ name: 'lax1' }));
  now = 5_000;
  r.add(new ScriptedAgent({ name: 'fra1' }));
  assert.equal(r.connectedAt('lax1'), 1_000);
  assert.equal(r.connectedAt('fra1'), 5_000);
  assert.equal('connectedAt' in r.list()[0]!, false, 'AgentInfo stays what the agent announced');
  r.remove('lax1');
  assert.equal(r.connectedAt('lax1'), undefined);
  now = 9_000;
  r.add(new ScriptedAgent({ name: 'lax1' }));
  assert.equal(r.connectedAt('lax1'), 9_000, 'a reconnect starts again');
});
