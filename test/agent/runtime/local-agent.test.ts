import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { IcmpSocketPool } from '../../../agent/socket/icmp-socket-pool.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../shared/model/spec.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

let dns: TestDnsServer;
let pool: IcmpSocketPool;
before(async () => {
  dns = await startDnsServer({ 'host.test': ['127.0.0.1'] });
  pool = new IcmpSocketPool({ lingerMs: 10 });
});
after(async () => {
  pool.close();
  await dns.close();
});

async function run(agent: LocalAgent, input: MeasurementSpecInput): Promise<MeasurementEvent[]> {
  const r = parseSpec(input);
  assert.ok(r.ok);
  const events: MeasurementEvent[] = [];
  await agent.run(r.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  return events;
}

test('info: default name local, the capabilities that work, the package version', () => {
  const a = new LocalAgent();
  assert.equal(a.info.name, 'local');
  assert.deepEqual(a.info.capabilities, ['icmp', 'icmp6', 'ping', 'tcp', 'udp', 'traceroute', 'probe', 'mtr', 'dns', 'http', 'tcpping', 'owd', 'tcpconnect', 'monitor', 'monitor-changes']);
  assert.match(a.info.version, /^\d+\.\d+\.\d+/);
  assert.equal(new LocalAgent({ name: 'lax1' }).info.name, 'lax1');
});

test('run(ping) measures through the configured DNS servers and names events after the agent', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const a = new LocalAgent({ name: 'edge', dnsServers: dns.servers, pool });
  const events = await run(a, { type: 'ping', targets: ['host.test'], count: 2, intervalMs: 10 });
  assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'reply', 'summary']);
  for (const e of events) assert.equal('agent' in e ? e.agent : undefined, 'edge');
  assert.ok(dns.queries.some((q) => q.name === 'host.test'));
});

test('run(traceroute) dispatches to the traceroute probe: start, one hop, summary per target', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const a = new LocalAgent({ pool, dnsServers: dns.servers });
  const events = await run(a, { type: 'traceroute', targets: ['127.0.0.1', '::1'] });
  for (const target of ['127.0.0.1', '::1']) {
    assert.deepEqual(events.filter((e) => 'target' in e && e.target === target).map((e) => e.type), ['start', 'hop', 'summary']);
  }
});

test('run(probe) dispatches to the sweep: a host event per address of the prefix', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const a = new LocalAgent({ pool });
  const events = await run(a, { type: 'probe', targets: ['127.0.0.0/30'], rate: 0 });
  assert.equal(events.filter((e) => e.type === 'host').length, 4);
  assert.equal(events.at(-1)!.type, 'summary');
});

test('run(ping -P udp) dispatches to UDP ping: the closed port answers port-unreachable', async () => {
  const a = new LocalAgent({ pool });
  const events = await run(a, { type: 'ping', targets: ['127.0.0.1'], protocol: 'udp', port: 9, count: 1 });
  assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'summary']);
  assert.equal((events[1] as { kind?: string }).kind, 'port-unreachable');
});
