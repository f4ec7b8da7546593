/**
 * The tcpping monitor engine against an independent echo server (test/helpers/tcp-echo-peer.ts):
 * round trips over one connection, timeouts with the RTO backing off, a cut connection counted as a
 * drop and opened again, a server that goes away and comes back, and the loss window.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { TcppingMonitorEngine } from '../../../../agent/probes/tcpping/tcpping-monitor.ts';
import type { MonitorExtrasSink } from '../../../../agent/monitors/monitor-engine.ts';
import { TcpEchoPeer } from '../../../helpers/tcp-echo-peer.ts';

/** Records what the engine reports. */
function recorder() {
  const r = {
    rtts: [] as number[],
    lost: [] as (string | undefined)[],
    counts: { timeouts: 0, drops: 0, connects: 0 },
    gauges: {} as Record<string, number>,
  };
  const sink: MonitorExtrasSink = {
    count: (n) => void r.counts[n]++,
    gauge: (n, v) => void (r.gauges[n] = v),
    oneWay: () => {},
  };
  const outcome = (rtt: number | undefined, error?: string) => (rtt === undefined ? r.lost.push(error) : r.rtts.push(rtt));
  return { r, sink, outcome };
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('round trips over one persistent connection, connected and the RTO reported', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 1, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 1000, port: peer.port }, outcome, sink);
    await until('10 answers', () => r.rtts.length >= 10);
    assert.equal(peer.accepted, 1, 'one connection for every probe');
    assert.equal(r.counts.connects, 1);
    assert.equal(r.gauges['connected'], 1);
    assert.ok(r.rtts.every((x) => x > 0 && x < 1000), String(r.rtts));
    // RFC 6298 from the samples, within the exporter's clamp (on an idle host: the 100 ms floor).
    assert.ok(r.gauges['rtoMs']! >= 100 && r.gauges['rtoMs']! <= 3000, `rto ${r.gauges['rtoMs']}`);
    assert.equal(r.gauges['lossWindowPct'], 0);
    assert.equal(engine.size, 1);
  } finally {
    engine.close();
    await peer.close();
  }
});

test('a silent server: probes time out, counted, the RTO doubles up to its clamp, loss over the window', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 2, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 1000, port: peer.port }, outcome, sink);
    await until('answers', () => r.rtts.length >= 3);
    peer.silent = true;
    await until('3 timeouts', () => r.counts.timeouts >= 3);
    assert.ok(r.gauges['rtoMs']! > 100, `RTO backed off: ${r.gauges['rtoMs']}`);
    assert.ok(r.gauges['rtoMs']! <= 3000);
    assert.ok(r.gauges['lossWindowPct']! > 0);
    assert.equal(r.counts.drops, 0, 'a timeout is not a drop');
  } finally {
    engine.close();
    await peer.close();
  }
});

test('a cut connection: the drop is counted, probes in flight lost, and it connects again', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 3, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 1000, port: peer.port }, outcome, sink);
    await until('answers', () => r.rtts.length >= 3);
    peer.cut();
    await until('the drop', () => r.counts.drops >= 1);
    assert.equal(r.gauges['connected'], 0);
    await until('a second connect', () => r.counts.connects >= 2);
    const before = r.rtts.length;
    await until('answers again', () => r.rtts.length >= before + 3);
    assert.equal(peer.accepted, 2);
    assert.equal(r.gauges['connected'], 1);
    assert.ok(r.lost.some((e) => e !== undefined && /not connected|dropped/.test(e)), 'probes due while down are lost, with a reason');
  } finally {
    engine.close();
    await peer.close();
  }
});

test('a server that goes away and comes back on the same port: failed connects count as drops, then it reconnects', async () => {
  let peer = await TcpEchoPeer.start();
  const port = peer.port;
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 4, address: '127.0.0.1', family: 4, intervalMs: 50, timeoutMs: 1000, port }, outcome, sink);
    await until('answers', () => r.rtts.length >= 2);
    await peer.close();
    // The close, then refused connects at 0.5 s and 1 s.
    await until('a refused reconnect', () => r.counts.drops >= 2);
    peer = await TcpEchoPeer.start(port);
    await until('connected again', () => r.counts.connects >= 2, 15_000);
    const before = r.rtts.length;
    await until('answers again', () => r.rtts.length > before);
  } finally {
    engine.close();
    await peer.close();
  }
});

test('remove and close stop probing: the server sees no more frames', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 5, address: '127.0.0.1', family: 4, intervalMs: 10, timeoutMs: 1000, port: peer.port }, outcome, sink);
    await until('answers', () => r.rtts.length >= 3);
    engine.remove(5);
    assert.equal(engine.size, 0);
    await until('the connection closed', () => peer.sockets.size === 0);
    const echoed = peer.echoed;
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(peer.echoed, echoed);
  } finally {
    engine.close();
    await peer.close();
  }
});
