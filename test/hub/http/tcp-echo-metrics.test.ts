/**
 * TCPPING and owd monitors end to end (issue 14): a real hub with its store, a real in-process agent, an
 * independent echo server (test/helpers/tcp-echo-peer.ts); `monitor add HOST:PORT --type tcpping`
 * through the grammar's REST body, then the hub's /metrics parsed with an independent reader:
 * tcp_ping_prometheus' names, types and labels exactly, the bucket bounds of its histogram, and
 * a cut connection showing as a drop and a second connect; an owd monitor's one-way delay
 * histograms and clock offset.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { LatencyResponder } from '../../../agent/servers/latency-responder.ts';
import { parsePromText, type PromFamily } from '../../helpers/prom-text.ts';
import { startTestHub } from '../../helpers/test-hub.ts';
import { TcpEchoPeer } from '../../helpers/tcp-echo-peer.ts';
import { parseCommand } from '../../../shared/command/grammar.ts';

/** The names and types of tcp_ping_prometheus (current release, then tcp-echo-metrics' two). */
const EXPECTED: Record<string, string> = {
  tcp_echo_sent_total: 'counter',
  tcp_echo_received_total: 'counter',
  tcp_echo_timeouts_total: 'counter',
  tcp_echo_dropped_total: 'counter',
  tcp_echo_rtt_seconds: 'histogram',
  tcp_echo_last_rtt_seconds: 'gauge',
  tcp_echo_connected: 'gauge',
  tcp_echo_estimated_timeout_seconds: 'gauge',
  tcp_echo_connects_total: 'counter',
  tcp_echo_loss_percent: 'gauge',
};

async function until(what: string, ok: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('tcpping monitor: the exporter\'s families on the hub\'s /metrics, labels target and address, drops and reconnects', async () => {
  const peer = await TcpEchoPeer.start();
  const agent = new LocalAgent({ name: 'local', loadRunnersNow: false, monitorOptions: { tickMs: 100, reportEveryMs: 200, retryMs: 100 } });
  const t = await startTestHub({ agents: [agent] });
  try {
    const token = await t.token(['measure'], 'test');
    // What `monitor add 127.0.0.1:PORT --type tcpping -i 100ms --name echo` parses to.
    const parsed = parseCommand(`monitor add 127.0.0.1:${peer.port} --type tcpping -i 100ms --name echo`);
    assert.ok(parsed.ok && parsed.command === 'monitor' && parsed.monitor.action === 'add', JSON.stringify(parsed));
    const request = parsed.monitor.request;
    assert.deepEqual(request, { target: `127.0.0.1:${peer.port}`, type: 'tcpping', interval: 0.1, name: 'echo' });
    const made = await fetch(`${t.url}/v1/monitors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    assert.equal(made.status, 201, await made.clone().text());

    let f = new Map<string, PromFamily>();
    const value = (name: string) => f.get(name)?.samples.find((s) => s.labels['target'] === 'echo')?.value;
    const scrape = async () => {
      f = parsePromText(await (await fetch(`${t.url}/metrics`)).text());
      return f;
    };
    await until('5 echoes on /metrics', async () => ((await scrape(), value('tcp_echo_received_total')) ?? 0) >= 5);

    for (const [name, type] of Object.entries(EXPECTED)) assert.equal(f.get(name)?.type, type, `${name} is a ${type}`);
    const sent = f.get('tcp_echo_sent_total')!.samples.find((s) => s.labels['target'] === 'echo')!;
    assert.deepEqual(sent.labels, { target: 'echo', address: `127.0.0.1:${peer.port}`, agent: 'local' });
    assert.ok(value('tcp_echo_sent_total')! >= value('tcp_echo_received_total')!);
    assert.equal(value('tcp_echo_connected'), 1);
    assert.equal(value('tcp_echo_connects_total'), 1);
    assert.equal(value('tcp_echo_dropped_total'), 0);
    const rto = value('tcp_echo_estimated_timeout_seconds')!;
    assert.ok(rto >= 0.1 && rto <= 3, `RTO ${rto} s within the exporter's clamp`);
    assert.equal(value('tcp_echo_loss_percent'), 0);
    const last = value('tcp_echo_last_rtt_seconds')!;
    assert.ok(last > 0 && last < 1, `last rtt ${last}`);
    // ExponentialBuckets(0.0005, 2, 14) and +Inf, as the exporter's.
    const les = f.get('tcp_echo_rtt_seconds')!.samples.filter((s) => s.name === 'tcp_echo_rtt_seconds_bucket' && s.labels['target'] === 'echo').map((s) => s.labels['le']);
    assert.deepEqual(les, [...Array.from({ length: 14 }, (_, i) => String(0.0005 * 2 ** i)), '+Inf']);
    // The meshprobe families hold the same monitor.
    assert.ok((f.get('meshprobe_monitor_received_total')?.samples.find((s) => s.labels['monitor'] === 'echo')?.value ?? 0) >= 5);

    // A cut connection: one drop, a second connect, connected again.
    peer.cut();
    await until('the drop and the reconnect on /metrics', async () => (await scrape(), value('tcp_echo_dropped_total') ?? 0) >= 1 && (value('tcp_echo_connects_total') ?? 0) >= 2 && value('tcp_echo_connected') === 1);
    assert.equal(peer.accepted, 2);
  } finally {
    await t.close();
    agent.close();
    await peer.close();
  }
});

test('owd monitor against another meshprobe end: meshprobe_owd_seconds by direction and meshprobe_clock_offset_seconds', async () => {
  const responder = new LatencyResponder({ name: 'peer' });
  const bound = await responder.listenUdp('127.0.0.1', 0);
  const agent = new LocalAgent({ name: 'local', loadRunnersNow: false, monitorOptions: { tickMs: 100, reportEveryMs: 200, retryMs: 100 } });
  const t = await startTestHub({ agents: [agent] });
  try {
    const token = await t.token(['measure'], 'test');
    const parsed = parseCommand(`monitor add 127.0.0.1:${bound.port} -t owd -i 100ms --name peer`);
    assert.ok(parsed.ok && parsed.command === 'monitor' && parsed.monitor.action === 'add', JSON.stringify(parsed));
    const made = await fetch(`${t.url}/v1/monitors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(parsed.monitor.request),
    });
    assert.equal(made.status, 201, await made.clone().text());
    let f = new Map<string, PromFamily>();
    const count = (direction: string) =>
      f.get('meshprobe_owd_seconds')?.samples.find((s) => s.name === 'meshprobe_owd_seconds_count' && s.labels['monitor'] === 'peer' && s.labels['direction'] === direction)?.value ?? 0;
    await until('5 one-way delays each way', async () => {
      f = parsePromText(await (await fetch(`${t.url}/metrics`)).text());
      return count('forward') >= 5 && count('reverse') >= 5;
    });
    assert.equal(f.get('meshprobe_owd_seconds')?.type, 'histogram');
    assert.equal(f.get('meshprobe_clock_offset_seconds')?.type, 'gauge');
    const offset = f.get('meshprobe_clock_offset_seconds')!.samples.find((s) => s.labels['monitor'] === 'peer')!;
    assert.deepEqual(offset.labels, { monitor: 'peer', target: `127.0.0.1:${bound.port}`, address: '127.0.0.1', agent: 'local' });
    assert.ok(Math.abs(offset.value) < 0.001, `one host, one clock: offset ${offset.value} s`);
    // A one-way delay monitor is no TCP echo monitor.
    assert.ok(!f.get('tcp_echo_sent_total')?.samples.some((s) => s.labels['target'] === 'peer'));
  } finally {
    await t.close();
    agent.close();
    await responder.close();
  }
});
