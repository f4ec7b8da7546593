/**
 * The tcpping monitor engine against an independent echo server (test/helpers/tcp-echo-peer.ts):
 * round trips over one connection, timeouts with the RTO backing off, a cut connection counted as a
 * drop and opened again, a server that goes away and comes back, and the loss window; `legacy`
 * monitors (16-byte frames) against an independent Python server and our responder, and a fixed
 * timeout that stays fixed.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { TcppingMonitorEngine } from '../../../../agent/probes/tcpping/tcpping-monitor.ts';
import type { MonitorExtrasSink } from '../../../../agent/monitors/monitor-engine.ts';
import { TcpEchoPeer } from '../../../helpers/tcp-echo-peer.ts';
import { startPython } from '../../../helpers/python-peer.ts';
import { TcpEchoResponder } from '../../../../agent/servers/tcp-echo-responder.ts';

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

// tcp-echo-metrics' server as its source reads: exactly 16 bytes (sequence, time; both u64 LE), echoed;
// written here from the format, independent of our responder. Prints its port, then each sequence it echoed.
const LEGACY_SERVER = `
import socket, struct, sys, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', 0)); srv.listen(8)
print(srv.getsockname()[1], flush=True)
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = b''
        while len(b) < 16:
            k = c.recv(16 - len(b))
            if not k: c.close(); return
            b += k
        seq, ns = struct.unpack('<QQ', b)
        c.sendall(b)
        print(seq, ns, flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

test('a legacy monitor speaks 16-byte frames numbered from 1 to an independent tcp-echo-metrics server', async () => {
  const py = startPython(LEGACY_SERVER);
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    const port = Number(await py.line());
    engine.add({ id: 6, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 1000, port, legacy: true }, outcome, sink);
    await until('5 answers', () => r.rtts.length >= 5);
    const first = (await py.line()).split(' ').map(Number);
    const second = (await py.line()).split(' ').map(Number);
    assert.deepEqual([first[0], second[0]], [1, 2], 'sequences from 1, as tcp-echo-metrics numbers them');
    // The sender's Unix time in ns, within a second of ours.
    assert.ok(Math.abs(first[1]! / 1e6 - Date.now()) < 1000, `time ${first[1]}`);
    assert.equal(r.lost.length, 0);
    assert.equal(r.gauges['rtoMs'], 800, "tcp-echo-metrics' fixed timeout");
  } finally {
    engine.close();
    await py.kill();
  }
});

test('a legacy monitor against our responder: its frames are told apart and echoed as legacy', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 7, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 1000, port, legacy: true }, outcome, sink);
    await until('5 answers', () => r.rtts.length >= 5);
    assert.ok(server.counters.legacyFrames >= 5);
    assert.equal(server.counters.frames, 0, 'no current-framing frame');
    assert.equal(server.counters.badFrames, 0);
  } finally {
    engine.close();
    await server.close();
  }
});

test('a fixed-timeout monitor keeps its timeout through answers and timeouts (no RFC 6298 back-off)', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  const seen: number[] = [];
  const watching: typeof sink = { ...sink, gauge: (n, v) => (n === 'rtoMs' && seen.push(v), sink.gauge(n, v)) };
  try {
    engine.add({ id: 8, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 250, port: peer.port, fixedTimeout: true }, outcome, watching);
    await until('answers', () => r.rtts.length >= 5);
    peer.silent = true;
    const t0 = performance.now();
    await until('3 timeouts', () => r.counts.timeouts >= 3);
    // The first probe unanswered times out 250 ms after it left (a tick of slack), not at the 100 ms floor.
    assert.ok(performance.now() - t0 >= 200, 'the timeout was not shortened to the RTO floor');
    assert.deepEqual([...new Set(seen)], [250], `the timeout in use stayed 250 ms: ${seen}`);
  } finally {
    engine.close();
    await peer.close();
  }
});

test('the adaptive timeout is still adaptive without the options (the fixed-timeout test can fail)', async () => {
  const peer = await TcpEchoPeer.start();
  const engine = new TcppingMonitorEngine();
  const { r, sink, outcome } = recorder();
  try {
    engine.add({ id: 9, address: '127.0.0.1', family: 4, intervalMs: 20, timeoutMs: 250, port: peer.port }, outcome, sink);
    await until('answers', () => r.rtts.length >= 5);
    assert.equal(r.gauges['rtoMs'], 100, 'RFC 6298 on loopback: the 100 ms floor, not the 250 ms start');
  } finally {
    engine.close();
    await peer.close();
  }
});
