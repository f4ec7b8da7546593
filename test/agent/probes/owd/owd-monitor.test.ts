/**
 * The owd monitor engine: against another meshprobe end (the project's LatencyResponder, which
 * answers our four-stamps tag with its send time) and against a latency-monitor responder written
 * here from its format (SEQ|SOURCE|SEND_NS|TAGS|PADDING, answered with the same SEQ, TAGS and
 * PADDING, its own name and its receive time), over UDP on loopback where both clocks are one.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import test from 'node:test';
import type { AddressInfo } from 'node:net';
import { OwdMonitorEngine } from '../../../../agent/probes/owd/owd-monitor.ts';
import type { MonitorExtrasSink } from '../../../../agent/monitors/monitor-engine.ts';
import { LatencyResponder } from '../../../../agent/servers/latency-responder.ts';

function recorder() {
  const r = { rtts: [] as number[], lost: 0, fwd: [] as number[], rev: [] as number[], gauges: {} as Record<string, number> };
  const sink: MonitorExtrasSink = {
    count: () => {},
    gauge: (n, v) => void (r.gauges[n] = v),
    oneWay: (f, b) => {
      r.fwd.push(f);
      r.rev.push(b);
    },
  };
  const outcome = (rtt: number | undefined) => (rtt === undefined ? r.lost++ : r.rtts.push(rtt));
  return { r, sink, outcome };
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

test('against a meshprobe end: forward and reverse delays, the clock offset near zero on one host, stable', async () => {
  const responder = new LatencyResponder({ name: 'peer' });
  const bound = await responder.listenUdp('127.0.0.1', 0);
  const engine = new OwdMonitorEngine('mon|agent');
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 1, address: '127.0.0.1', family: 4, intervalMs: 10, timeoutMs: 1000, port: bound.port }, outcome, sink);
    await until('20 answers', () => r.rtts.length >= 20);
    // One clock: each one-way delay lies within the round trip (allowing the clocks' read jitter).
    for (let i = 0; i < r.fwd.length; i++) {
      assert.ok(r.fwd[i]! > -0.5 && r.fwd[i]! < r.rtts[i]! + 0.5, `forward ${r.fwd[i]} within rtt ${r.rtts[i]}`);
      assert.ok(r.rev[i]! > -0.5 && r.rev[i]! < r.rtts[i]! + 0.5, `reverse ${r.rev[i]}`);
    }
    assert.ok(Math.abs(r.gauges['offsetMs']!) < 1, `offset ${r.gauges['offsetMs']} ms`);
    assert.ok(r.gauges['offsetErrMs']! >= 0 && r.gauges['offsetErrMs']! < 5);
    assert.ok(r.gauges['unstable'] === 0 || r.gauges['unstable'] === 1);
    assert.equal(responder.counters.malformed, 0);
  } finally {
    engine.close();
    await responder.close();
  }
});

test('against a latency-monitor responder: answers matched across the sequence wrap at 100, delays from its receive time', async () => {
  // Their server: answers SEQ|NAME|RECV_NS|TAGS|PADDING.
  const server = createSocket('udp4');
  let answered = 0;
  server.on('message', (msg, rinfo) => {
    const recv = BigInt(Date.now()) * 1_000_000n;
    const [seq, , , tags, padding] = msg.toString('latin1').split('|');
    answered++;
    server.send(Buffer.from(`${seq}|lm-server|${recv}|${tags}|${padding}`, 'latin1'), rinfo.port, rinfo.address);
  });
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  const engine = new OwdMonitorEngine('mon');
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 2, address: '127.0.0.1', family: 4, intervalMs: 5, timeoutMs: 1000, port: (server.address() as AddressInfo).port }, outcome, sink);
    await until('past the wrap (120 answers)', () => r.rtts.length >= 120, 20_000);
    assert.ok(answered >= 120);
    // Its receive time has ms resolution here: each delay is within a ms of the round trip's bounds.
    assert.ok(r.fwd.every((f, i) => f > -2 && f < r.rtts[i]! + 2));
    assert.ok(r.gauges['offsetMs'] !== undefined);
  } finally {
    engine.close();
    server.close();
  }
});

test('no answer: probes are lost after their timeout', async () => {
  const silent = createSocket('udp4');
  silent.bind(0, '127.0.0.1');
  await once(silent, 'listening');
  const engine = new OwdMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 3, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 100, port: (silent.address() as AddressInfo).port }, outcome, sink);
    await until('3 lost', () => r.lost >= 3);
    assert.equal(r.rtts.length, 0);
  } finally {
    engine.close();
    silent.close();
  }
});
