// GET /metrics exposes what issue 4 lists, and the counters move: hub (requests by route and
// status, open streams, agents connected, relay latency) and the embedded agent (packets
// sent/received, measurements running, errors by kind). Also: the packets/s budget applies to
// the embedded agent, and nothing is sent for a refused run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AgentMetrics } from '../../agent/runtime/agent-metrics.ts';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { AgentRuntime } from '../../agent/runtime/agent-runtime.ts';
import { TargetGuard } from '../../agent/runtime/target-guard.ts';
import type { Hub, HubOptions } from '../../hub/http/server.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { measureAt } from '../helpers/hub-stream.ts';
import { withTestHub } from '../helpers/test-hub.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { countEchoRequestsOfSize, echoCounterUnavailable } from '../helpers/echo-counter.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

let dns: TestDnsServer;
before(async () => {
  dns = await startDnsServer({});
});
after(async () => {
  await dns.close();
});

function embedded(name: string): { agent: ReturnType<AgentMetrics['meter']>; metrics: AgentMetrics } {
  // As npm start composes it (bin/start.ts).
  const local = new LocalAgent({ name, dnsServers: dns.servers });
  const metrics = new AgentMetrics(name);
  return { metrics, agent: metrics.meter(new TargetGuard({ inner: local, resolver: local.resolver }), { runs: true }) };
}

const withHub = (o: HubOptions, body: (hub: Hub) => Promise<void>): Promise<void> => withTestHub({ allowAnonymous: true, ...o }, (t) => body(t.hub));

const measure = (hub: Hub, spec: unknown): Promise<MeasurementEvent[]> => measureAt(hub.url, spec);

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('GET /metrics: hub and embedded-agent counters move after measurements', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const { agent, metrics } = embedded('local');
  await withHub({ agents: [agent], extraMetrics: [metrics.registry] }, async (hub) => {
    const before = await (await fetch(hub.url + '/metrics')).text();
    assert.equal(sample(before, 'meshprobe_agent_packets_sent_total', { measurement: 'ping' }) ?? 0, 0);

    // A remote agent too: agents connected and the relay histogram.
    const token = (await hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token;
    let up: () => void = () => {};
    const connected = new Promise<void>((r) => (up = r));
    const rt = new AgentRuntime({ hub: hub.url, token, agent: new ScriptedAgent({ name: 'lax1' }), resolver: { resolve: async (h) => ({ address: h, family: 4 }) }, onState: (s) => s === 'connected' && up() });
    rt.start();
    try {
      await connected;
      const local = await measure(hub, { type: 'ping', targets: ['127.0.0.1', 'nowhere.test'], count: 3, intervalMs: 20 });
      assert.equal(local.filter((e) => e.type === 'reply').length, 3);
      await measure(hub, { type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 2 });
      const res = await fetch(hub.url + '/metrics');
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      const text = await res.text();
      assert.ok((sample(text, 'meshprobe_hub_requests_total', { route: 'measurements', method: 'POST', status: '200' }) ?? 0) >= 2);
      assert.ok((sample(text, 'meshprobe_hub_requests_total', { route: 'metrics', method: 'GET', status: '200' }) ?? 0) >= 1);
      assert.equal(sample(text, 'meshprobe_hub_open_streams', { route: 'measurements' }), 0, 'both streams closed');
      assert.equal(sample(text, 'meshprobe_hub_agents_connected'), 1);
      assert.ok((sample(text, 'meshprobe_hub_relay_latency_seconds_count') ?? 0) > 0, 'relayed frames observed');
      assert.equal(sample(text, 'meshprobe_agent_packets_sent_total', { measurement: 'ping', agent: 'local' }), 3);
      assert.equal(sample(text, 'meshprobe_agent_packets_received_total', { measurement: 'ping', agent: 'local' }), 3);
      assert.equal(sample(text, 'meshprobe_agent_measurements_running', { agent: 'local' }), 0);
      assert.equal(sample(text, 'meshprobe_agent_errors_total', { code: 'MP_ERR_RESOLVE', agent: 'local' }), 1);
    } finally {
      await rt.stop();
    }
  });
});

test('the packets/s budget applies to the embedded agent: a run over it is refused and sends nothing', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const counterSkip = await echoCounterUnavailable();
  const size = 1213;
  const counter = counterSkip ? undefined : await countEchoRequestsOfSize(size);
  try {
    const { agent, metrics } = embedded('local');
    await withHub({ agents: [agent], extraMetrics: [metrics.registry], control: { agentPpsBudget: 50 } }, async (hub) => {
      const refused = await measure(hub, { type: 'ping', targets: ['127.0.0.1'], count: 3, intervalMs: 10, size });
      const err = refused.find((e) => e.type === 'error');
      assert.equal(err?.type === 'error' && err.code, 'MP_ERR_RATE_LIMITED');
      assert.match(err?.type === 'error' ? err.message : '', /agent local is at its packet budget of 50 packets\/s/);
      assert.equal(refused.filter((e) => e.type === 'start').length, 0);
      const text = await (await fetch(hub.url + '/metrics')).text();
      assert.equal(sample(text, 'meshprobe_agent_packets_sent_total', { measurement: 'ping' }) ?? 0, 0);
      if (counter) assert.equal(await counter.read(), 0, 'no echo request left');
      else t.diagnostic(`packets not counted on the wire: ${counterSkip}`);
      const fine = await measure(hub, { type: 'ping', targets: ['127.0.0.1'], count: 1, intervalMs: 100, size });
      assert.equal(fine.filter((e) => e.type === 'summary').length, 1, '10 packets/s fits the budget');
    });
  } finally {
    await counter?.close();
  }
});
