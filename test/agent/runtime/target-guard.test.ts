import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { TargetGuard } from '../../../agent/runtime/target-guard.ts';
import type { AgentLink } from '../../../shared/wire/agent-link.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../shared/model/spec.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

let dns: TestDnsServer;
before(async () => {
  dns = await startDnsServer({ 'loopback.test': ['127.0.0.1', '::1'], 'mapped.test': ['::ffff:127.0.0.1'] });
});
after(async () => {
  await dns.close();
});

/** A LocalAgent that records which specs reached it: the guard must keep refused ones away. */
function countingAgent(): { agent: AgentLink; calls: string[][] } {
  const local = new LocalAgent({ name: 'g1', dnsServers: dns.servers });
  const calls: string[][] = [];
  return {
    calls,
    agent: {
      info: local.info,
      run: (spec, o) => {
        calls.push([...spec.targets]);
        return local.run(spec, o);
      },
    },
  };
}

async function run(guard: TargetGuard, input: MeasurementSpecInput): Promise<MeasurementEvent[]> {
  const parsed = parseSpec(input);
  assert.ok(parsed.ok);
  const events: MeasurementEvent[] = [];
  await guard.run(parsed.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  return events;
}

test('public mode refuses loopback literals and names resolving to loopback before the agent sees them', async () => {
  const { agent, calls } = countingAgent();
  const guard = new TargetGuard({ inner: agent, resolver: new LocalAgent({ dnsServers: dns.servers }).resolver, mode: 'public' });
  const events = await run(guard, { type: 'ping', targets: ['127.0.0.1', '::1', '::ffff:127.0.0.1', 'loopback.test', '[::1]:80'], count: 1 });
  assert.deepEqual(calls, [], 'no target reached the measuring agent');
  const byTarget = new Map(events.map((e) => ['target' in e ? e.target : '', e]));
  for (const t of ['127.0.0.1', '::1', '::ffff:127.0.0.1', 'loopback.test', '[::1]:80']) {
    const e = byTarget.get(t);
    assert.equal(e?.type, 'error', t);
    assert.equal(e?.type === 'error' && e.code, 'MP_ERR_POLICY', t);
    assert.match(e?.type === 'error' ? e.message : '', /loopback address .*refused by the public policy$/, t);
  }
  const named = byTarget.get('loopback.test');
  assert.equal(named?.type === 'error' && named.message, 'loopback.test resolves to 127.0.0.1, a loopback address (127.0.0.0/8); refused by the public policy');
  const v6 = await run(guard, { type: 'ping', targets: ['loopback.test'], ipVersion: 6, count: 1 });
  assert.match(v6[0]?.type === 'error' ? v6[0].message : '', /resolves to ::1, a loopback address/);
  assert.deepEqual(calls, []);
});

test('a stricter hub mode applies for one run; lan passes everything through untouched', async () => {
  const { agent, calls } = countingAgent();
  const lan = new TargetGuard({ inner: agent, resolver: new LocalAgent({ dnsServers: dns.servers }).resolver, mode: 'lan' });
  assert.equal(lan.withMode('lan'), lan);
  const pub = lan.withMode('public');
  assert.equal(pub.mode, 'public');
  const events = await run(pub, { type: 'ping', targets: ['mapped.test'], ipVersion: 6, count: 1 });
  assert.equal(events[0]?.type === 'error' && events[0].code, 'MP_ERR_POLICY');
  assert.deepEqual(calls, []);
});

test('per-agent ranges: inside is measured under the name the user gave, outside is refused', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const { agent, calls } = countingAgent();
  const guard = new TargetGuard({ inner: agent, resolver: new LocalAgent({ dnsServers: dns.servers }).resolver, mode: 'lan', allowedRanges: ['127.0.0.0/8'] });
  const events = await run(guard, { type: 'ping', targets: ['loopback.test', '::1'], count: 1, intervalMs: 10, timeoutMs: 1000 });
  assert.deepEqual(calls, [['127.0.0.1']], 'only the checked address went to the agent');
  const refused = events.find((e) => e.type === 'error');
  assert.equal(refused?.type === 'error' && refused.target, '::1');
  assert.match(refused?.type === 'error' ? refused.message : '', /outside agent g1's allowed ranges \(127\.0\.0\.0\/8\)/);
  const reply = events.find((e) => e.type === 'reply');
  assert.equal(reply?.type === 'reply' && reply.target, 'loopback.test');
  const summary = events.find((e) => e.type === 'summary');
  assert.equal(summary?.type === 'summary' && summary.target, 'loopback.test');
});

test('a name that does not resolve is an MP_ERR_RESOLVE error, not a policy refusal', async () => {
  const { agent, calls } = countingAgent();
  const guard = new TargetGuard({ inner: agent, resolver: new LocalAgent({ dnsServers: dns.servers }).resolver, mode: 'public' });
  const events = await run(guard, { type: 'ping', targets: ['nowhere.test'], count: 1 });
  assert.equal(events[0]?.type === 'error' && events[0].code, 'MP_ERR_RESOLVE');
  assert.deepEqual(calls, []);
});
