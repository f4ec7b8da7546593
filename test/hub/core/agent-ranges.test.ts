// Per-agent allowed ranges set at the hub (MESHPROBE_AGENT_RANGES / HubOptions.agentRanges):
// literals outside them are refused before dispatch, naming the agent and the ranges; the
// ranges travel with the run so the agent refuses names that resolve outside them; a remote
// agent's own announced ranges still apply (the intersection). Loopback targets only.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { AgentRuntime } from '../../../agent/runtime/agent-runtime.ts';
import { TargetGuard } from '../../../agent/runtime/target-guard.ts';
import { parseAgentRanges } from '../../../hub/core/agent-ranges.ts';
import { AgentGate } from '../../../hub/core/agent-gate.ts';
import { parseSpec } from '../../../shared/model/spec.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';
import type { Hub, HubOptions } from '../../../hub/http/server.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { measureAt } from '../../helpers/hub-stream.ts';
import { startTestHub, withTestHub } from '../../helpers/test-hub.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';
import { countEchoRequestsOfSize, echoCounterUnavailable } from '../../helpers/echo-counter.ts';

let dns: TestDnsServer;
before(async () => {
  dns = await startDnsServer({ 'six.test': ['::1'] });
});
after(async () => {
  await dns.close();
});

const withHub = (o: HubOptions, body: (hub: Hub) => Promise<void>): Promise<void> => withTestHub({ allowAnonymous: true, ...o }, (t) => body(t.hub));

const measure = (hub: Hub, spec: unknown): Promise<MeasurementEvent[]> => measureAt(hub.url, spec);

const errorFor = (events: MeasurementEvent[], target: string) => events.find((e) => e.type === 'error' && e.target === target) as Extract<MeasurementEvent, { type: 'error' }> | undefined;
const summaryFor = (events: MeasurementEvent[], target: string) => events.find((e) => e.type === 'summary' && e.target === target) as Extract<MeasurementEvent, { type: 'summary' }> | undefined;

test('MESHPROBE_AGENT_RANGES parses NAME=CIDR,…;NAME=… and refuses bad parts with a reason', () => {
  assert.deepEqual(parseAgentRanges('lax1=10.0.0.0/8, 192.168.0.0/16; fra1=198.18.0.0/15;'), { lax1: ['10.0.0.0/8', '192.168.0.0/16'], fra1: ['198.18.0.0/15'] });
  assert.throws(() => parseAgentRanges('lax1'), /^Error: MESHPROBE_AGENT_RANGES: "lax1" is not NAME=CIDR/);
  assert.throws(() => parseAgentRanges('lax1=10.0.0.0/33'), /10\.0\.0\.0\/33 \(agent lax1\) is not a CIDR prefix/);
  assert.throws(() => parseAgentRanges('lax1=;'), /at least one prefix for agent lax1/);
  assert.throws(() => parseAgentRanges('bad name=10.0.0.0/8'), /"bad name" is not an agent name/);
  assert.throws(() => parseAgentRanges('a=10.0.0.0/8;a=10.0.0.0/8'), /agent a is named twice/);
});

test('the gate refuses sweep prefixes outside the hub ranges before the agent sees them; others pass with the ranges attached', async () => {
  const seen: { targets: string[]; ranges?: readonly string[] }[] = [];
  const inner = new ScriptedAgent({ name: 'lax1' });
  const agent = new AgentGate({ ranges: { lax1: ['127.0.0.0/8'] } }).wrap({
    info: inner.info,
    run: (spec, o) => {
      seen.push({ targets: [...spec.targets], ...(o.allowedRanges ? { ranges: o.allowedRanges } : {}) });
      return inner.run(spec, o);
    },
  });
  const parsed = parseSpec({ type: 'probe', targets: ['10.0.0.0/24', '127.9.0.0/30'] });
  assert.ok(parsed.ok);
  const events: MeasurementEvent[] = [];
  await agent.run(parsed.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  assert.equal(errorFor(events, '10.0.0.0/24')?.message, "10.0.0.0/24 is not inside agent lax1's allowed ranges (127.0.0.0/8), set at the hub");
  assert.deepEqual(seen, [{ targets: ['127.9.0.0/30'], ranges: ['127.0.0.0/8'] }]);
  const other = new AgentGate({ ranges: { lax1: ['127.0.0.0/8'] } }).rangesOf('fra1');
  assert.equal(other, undefined, 'agents not named are not restricted');
});

test('createHub refuses a bad agentRanges option with a one-line reason', async () => {
  await assert.rejects(startTestHub({ agentRanges: { lax1: ['not-a-prefix'] } }), /agentRanges: not-a-prefix \(agent lax1\) is not a CIDR prefix/);
});

test('embedded agent allowed 127.0.0.0/8 at the hub pings 127.0.0.1, is refused ::1 and a name resolving to ::1; nothing is sent for them', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const counterSkip = await echoCounterUnavailable();
  const size = 1187; // an unusual size keeps other tests' pings out of the count
  const counter = counterSkip ? undefined : await countEchoRequestsOfSize(size);
  try {
    const local = new LocalAgent({ name: 'lax1', dnsServers: dns.servers });
    const agent = new TargetGuard({ inner: local, resolver: local.resolver });
    await withHub({ agents: [agent], agentRanges: { lax1: ['127.0.0.0/8'] } }, async (hub) => {
      const events = await measure(hub, { type: 'ping', targets: ['127.0.0.1', '::1', 'six.test'], count: 2, intervalMs: 20, timeoutMs: 1000, size });
      assert.equal(summaryFor(events, '127.0.0.1')?.received, 2);
      const v6 = errorFor(events, '::1');
      assert.equal(v6?.code, 'MP_ERR_POLICY');
      assert.equal(v6?.message, "::1 is outside agent lax1's allowed ranges (127.0.0.0/8), set at the hub");
      const named = errorFor(events, 'six.test');
      assert.equal(named?.code, 'MP_ERR_POLICY');
      assert.equal(named?.message, "six.test resolves to ::1, outside agent lax1's allowed ranges (127.0.0.0/8), set at the hub");
      assert.equal(events.filter((e) => e.type === 'start').length, 1, 'only 127.0.0.1 started');
      assert.equal(events.at(-1)?.type, 'done');
    });
    if (counter) assert.equal(await counter.read(), 2, 'two echo requests to 127.0.0.1, none to ::1');
    else t.diagnostic(`packets not counted: ${counterSkip}`);
  } finally {
    await counter?.close();
  }
});

test('a remote agent gets the intersection: its own announced ranges and the hub\'s; names are checked at the agent', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  await withHub({ agents: [], agentRanges: { fra1: ['127.0.0.0/8'] } }, async (hub) => {
    const local = new LocalAgent({ name: 'fra1', dnsServers: dns.servers });
    const token = (await hub.tokens.issue({ sub: 'agent:fra1', scopes: ['agent'] })).token;
    let connected: () => void = () => {};
    const up = new Promise<void>((r) => (connected = r));
    // The agent itself would allow ::1 and 127.0.0.1 only.
    const rt = new AgentRuntime({ hub: hub.url, token, agent: local, resolver: local.resolver, allowedRanges: ['127.0.0.1/32', '::1/128'], onState: (s) => s === 'connected' && connected() });
    rt.start();
    try {
      await up;
      const events = await measure(hub, { type: 'ping', targets: ['127.0.0.1', '127.0.0.2', '::1', 'six.test'], from: ['fra1'], count: 1, timeoutMs: 1000 });
      assert.equal(summaryFor(events, '127.0.0.1')?.received, 1);
      assert.match(errorFor(events, '127.0.0.2')?.message ?? '', /outside agent fra1's allowed ranges \(127\.0\.0\.1\/32, ::1\/128\)/, 'the agent\'s own ranges');
      assert.equal(errorFor(events, '::1')?.message, "::1 is outside agent fra1's allowed ranges (127.0.0.0/8), set at the hub");
      assert.equal(errorFor(events, 'six.test')?.message, "six.test resolves to ::1, outside agent fra1's allowed ranges (127.0.0.0/8), set at the hub", 'checked by the agent after resolution');
    } finally {
      await rt.stop();
    }
  });
});
