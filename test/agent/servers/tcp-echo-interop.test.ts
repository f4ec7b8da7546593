/**
 * tcp_ping_prometheus' wire format between our code and an independent Python implementation
 * written here from the format (24-byte "TCPPING\0" | seq u64 LE | ns u64 LE; the older 16-byte
 * frame without the magic): their client against our server, our client against their server,
 * a bad magic, and a server that goes away and comes back.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { MeasurementEvent, SummaryEvent } from '../../../shared/model/events.ts';
import { parseSpec } from '../../../shared/model/spec.ts';
import { TcpEchoResponder } from '../../../agent/servers/tcp-echo-responder.ts';
import { runTcpping } from '../../../agent/probes/tcpping/tcpping.ts';
import { startPython, type PythonPeer } from '../../helpers/python-peer.ts';

const peers: PythonPeer[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.kill()));
});

// Their client: connects, sends N frames (or a bad one), prints what came back.
const CLIENT = `
import socket, struct, sys, time
port, mode, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(('127.0.0.1', port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def frame(seq):
    body = struct.pack('<QQ', seq, time.time_ns())
    if mode == 'magic': return b'TCPPING\\x00' + body
    if mode == 'legacy': return body
    return b'TCPPONG\\x00' + body
def read_exact(k):
    b = b''
    while len(b) < k:
        c = s.recv(k - len(b))
        if not c: return b
        b += c
    return b
for seq in range(1, n + 1):
    f = frame(seq)
    s.sendall(f)
    got = read_exact(len(f))
    print('echo' if got == f else ('closed' if got == b'' else 'wrong'), flush=True)
    if got != f: break
`;

// Their server: reads exactly 24 bytes, closes on a wrong magic, echoes.
const SERVER = `
import socket, sys, threading
port = int(sys.argv[1])
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port)); srv.listen(8)
print(srv.getsockname()[1], flush=True)
def serve(c):
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        b = b''
        while len(b) < 24:
            k = c.recv(24 - len(b))
            if not k: c.close(); return
            b += k
        if b[:8] != b'TCPPING\\x00': c.close(); return
        c.sendall(b)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
`;

const resolver = { resolve: async (host: string) => ({ address: host, family: 4 as const }) };

async function ourClient(target: string, fields: Record<string, unknown>, signal = new AbortController().signal): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'tcpping', targets: [target], ...fields });
  assert.ok(r.ok);
  const events: MeasurementEvent[] = [];
  await runTcpping(r.spec, { agent: 'test', resolver, signal, emit: (e) => events.push(e) });
  return events;
}

test('their client (current frames) gets every frame back byte for byte from our server', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  const py = startPython(CLIENT, [String(port), 'magic', '5']);
  peers.push(py);
  for (let i = 0; i < 5; i++) assert.equal(await py.line(), 'echo');
  assert.equal(await py.exited, 0);
  assert.equal(server.counters.frames, 5);
  await server.close();
});

test('their older client (16-byte frames) is told apart by its first 8 bytes and echoed', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  const py = startPython(CLIENT, [String(port), 'legacy', '3']);
  peers.push(py);
  for (let i = 0; i < 3; i++) assert.equal(await py.line(), 'echo');
  assert.equal(server.counters.legacyFrames, 3);
  await server.close();
});

test('a bad magic closes the connection and is counted, and the server keeps serving', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  const bad = startPython(CLIENT, [String(port), 'bad', '1']);
  peers.push(bad);
  assert.equal(await bad.line(), 'closed');
  assert.equal(server.counters.badFrames, 1);
  const good = startPython(CLIENT, [String(port), 'magic', '1']);
  peers.push(good);
  assert.equal(await good.line(), 'echo');
  await server.close();
});

test('our client measures against their server: every probe answered, adaptive timeout reported', async () => {
  const py = startPython(SERVER, ['0']);
  peers.push(py);
  const port = Number(await py.line());
  const events = await ourClient(`127.0.0.1:${port}`, { count: 20, intervalMs: 5 });
  const replies = events.filter((e) => e.type === 'reply');
  assert.equal(replies.length, 20);
  const s = events.find((e): e is SummaryEvent => e.type === 'summary')!;
  assert.equal(s.received, 20);
  assert.equal(s.report?.['adaptive'], true);
  assert.equal(s.report?.['framing'], 'magic');
  assert.ok((s.report?.['rtoMs'] as number) >= 100, 'the RTO is clamped at 100 ms');
  await py.kill();
});

test('their server going away and coming back: our client reconnects and counts the drop', async () => {
  const first = startPython(SERVER, ['0']);
  peers.push(first);
  const port = Number(await first.line());
  const run = ourClient(`127.0.0.1:${port}`, { count: 40, intervalMs: 50, timeoutMs: 200, fixedTimeout: true });
  await new Promise((r) => setTimeout(r, 400));
  await first.kill();
  await new Promise((r) => setTimeout(r, 200));
  const second = startPython(SERVER, [String(port)]);
  peers.push(second);
  assert.equal(Number(await second.line()), port);
  const events = await run;
  const s = events.find((e): e is SummaryEvent => e.type === 'summary')!;
  assert.ok((s.report?.['drops'] as number) >= 1, `drops: ${JSON.stringify(s.report)}`);
  assert.ok((s.report?.['reconnects'] as number) >= 1, `reconnects: ${JSON.stringify(s.report)}`);
  assert.ok(s.received > 0 && s.received < 40, `some probes lost while it was away, others answered: ${s.received}`);
  // Probes after the reconnect are answered.
  const lastReply = events.filter((e) => e.type === 'reply').at(-1);
  assert.ok(lastReply && lastReply.type === 'reply' && lastReply.seq > 20, 'replies resume after the reconnect');
  await second.kill();
});

test('our legacy client speaks 16-byte frames to our own server', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  const events = await ourClient(`127.0.0.1:${port}`, { count: 3, intervalMs: 10, legacy: true });
  assert.equal(events.filter((e) => e.type === 'reply').length, 3);
  assert.equal(server.counters.legacyFrames, 3);
  await server.close();
});

test('a refused first connect is the target\'s error, one line', async () => {
  const server = new TcpEchoResponder();
  const { port } = await server.listen('127.0.0.1', 0);
  await server.close();
  const r = parseSpec({ type: 'tcpping', targets: [`127.0.0.1:${port}`], count: 1 });
  assert.ok(r.ok);
  const events: MeasurementEvent[] = [];
  await runTcpping(r.spec, { agent: 'test', resolver, signal: new AbortController().signal, emit: (e) => events.push(e) });
  const err = events.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.match(err.message, /connection refused/);
});
