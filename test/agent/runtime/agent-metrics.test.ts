// The agent's packet counter counts packets as they leave the socket, per run: a cancelled
// run's packets count, and a run sharing the ICMP socket with another is told only of its own.
// Checked against an nftables counter on loopback (independent of the agent).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentMetrics } from '../../../agent/runtime/agent-metrics.ts';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../shared/model/spec.ts';
import { countEchoRequestsOfSize, echoCounterUnavailable } from '../../helpers/echo-counter.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sentTotal(m: AgentMetrics, measurement: string): Promise<number> {
  const metric = m.registry.getSingleMetric('meshprobe_agent_packets_sent_total');
  const values = (await metric!.get()).values;
  return values.filter((v) => v.labels.measurement === measurement).reduce((s, v) => s + v.value, 0);
}

function run(agent: { run: LocalAgent['run'] }, input: MeasurementSpecInput, signal: AbortSignal, events: MeasurementEvent[] = []): Promise<void> {
  const parsed = parseSpec(input);
  assert.ok(parsed.ok);
  return agent.run(parsed.spec, { signal, emit: (e) => events.push(e) });
}

test('packets sent are counted as they leave, a cancelled run included, and only the metered run\'s own', async (t) => {
  const skip = rawSkipReason() ?? (await echoCounterUnavailable());
  if (skip) return t.skip(skip);
  const size = 1201;
  const counter = await countEchoRequestsOfSize(size);
  try {
    const local = new LocalAgent({ name: 'm1' });
    const metrics = new AgentMetrics('m1');
    const metered = metrics.meter(local);
    const stop = new AbortController();
    // Another run on the same shared ICMP socket at the same time, not metered (other size).
    const other = run(local, { type: 'ping', targets: ['127.0.0.1'], count: 5, intervalMs: 20, size: 1202 }, new AbortController().signal);
    const events: MeasurementEvent[] = [];
    const meteredRun = run(metered, { type: 'ping', targets: ['127.0.0.1', '127.0.0.2'], count: 500, intervalMs: 10, size }, stop.signal, events);
    // Cancel once the run is under way (a few replies in), however long a loaded machine takes to start it.
    for (let waited = 0; events.filter((e) => e.type === 'reply').length < 4 && waited < 10_000; waited += 10) await sleep(10);
    stop.abort();
    await Promise.all([meteredRun, other]);
    await sleep(100);
    const onWire = await counter.read();
    const counted = await sentTotal(metrics, 'ping');
    assert.ok(onWire > 2 && onWire < 1000, `cancelled early: ${onWire} echo requests`);
    assert.equal(counted, onWire, 'the metric counts exactly what left the host');
    assert.equal(await sentTotal(metrics, 'probe'), 0);
  } finally {
    await counter.close();
  }
});

test('meter({ runs: true }) also tracks running measurements, replies and errors by kind', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const metrics = new AgentMetrics('m2');
  const metered = metrics.meter(new LocalAgent({ name: 'm2' }), { runs: true });
  const running = async () => (await metrics.registry.getSingleMetric('meshprobe_agent_measurements_running')!.get()).values[0]?.value;
  const p = run(metered, { type: 'ping', targets: ['127.0.0.1'], count: 2, intervalMs: 20 }, new AbortController().signal);
  assert.equal(await running(), 1);
  await p;
  assert.equal(await running(), 0);
  await run(metered, { type: 'ping', targets: ['bad..name'], count: 1 }, new AbortController().signal);
  const text = await metrics.registry.metrics();
  assert.match(text, /meshprobe_agent_packets_sent_total\{measurement="ping",agent="m2"\} 2/);
  assert.match(text, /meshprobe_agent_packets_received_total\{measurement="ping",agent="m2"\} 2/);
  assert.match(text, /meshprobe_agent_errors_total\{code="MP_ERR_[A-Z_]+",agent="m2"\} 1/);
});
