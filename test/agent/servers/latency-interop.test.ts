/**
 * latency-monitor's wire format between our code and an independent Python implementation written
 * here from the format (`SEQ|SOURCE|SEND_NS|TAGS|PADDING`, TAGS a Python list literal, PADDING
 * zeros, SEQ 0…100 wrapping to 0; UDP 8001 / TCP 8000): their client against our responders, our
 * client against their responders, a malformed message, and the sequence wrap.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { MeasurementEvent, ReplyEvent, SummaryEvent } from '../../../shared/model/events.ts';
import { parseSpec } from '../../../shared/model/spec.ts';
import { LatencyResponder } from '../../../agent/servers/latency-responder.ts';
import { runOwd } from '../../../agent/probes/owd/owd.ts';
import { startPython, type PythonPeer } from '../../helpers/python-peer.ts';

const peers: PythonPeer[] = [];
after(async () => {
  await Promise.all(peers.map((p) => p.kill()));
});

// Their client: sends messages with the given seqs over udp or tcp, prints each answer's fields as JSON.
const CLIENT = `
import ast, json, socket, sys, time
proto, port = sys.argv[1], int(sys.argv[2])
seqs = [int(x) for x in sys.argv[3].split(',')]
size = 100
tags = ['isp:x', 'site:y']
if proto == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
else:
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(2)
def send(b):
    if proto == 'udp': s.sendto(b, ('127.0.0.1', port))
    else: s.sendall(b)
for seq in seqs:
    msg = ('%d|pyclient|%d|%s|' % (seq, time.time_ns(), tags)).encode()
    msg += b'0' * (size - len(msg))
    send(msg)
    data = s.recv(2000)
    f = data.decode().split('|')
    print(json.dumps({'n': len(f), 'seq': int(f[0]), 'source': f[1], 'ns': int(f[2]), 'tags': ast.literal_eval(f[3]), 'padding': f[4], 'size': len(data)}), flush=True)
if sys.argv[4:] == ['garbage']:
    send(b'this is not a message')
    try:
        print('answer' if s.recv(2000) else 'closed', flush=True)
    except socket.timeout:
        print('silence', flush=True)
`;

// Their responders: UDP and TCP on ports picked by the system; answers SEQ|pyserver|recv_ns|TAGS|PADDING.
const SERVER = `
import socket, sys, threading, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 0))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('127.0.0.1', 0)); t.listen(4)
print(t.getsockname()[1], u.getsockname()[1], flush=True)
seen = []
def answer(data):
    ts = time.time_ns()
    seq, src, send_ts, tags, padding = data.decode().split('|')
    seen.append(int(seq))
    return ('%s|pyserver|%d|%s|' % (seq, ts, tags) + padding).encode()
def udp():
    while True:
        data, addr = u.recvfrom(9000)
        u.sendto(answer(data), addr)
def tcp(c):
    while True:
        data = c.recv(9000)
        if not data: return
        c.sendall(answer(data))
threading.Thread(target=udp, daemon=True).start()
def report():
    while True:
        time.sleep(0.05)
        sys.stdout.write('seqs ' + ','.join(map(str, seen)) + '\\n'); sys.stdout.flush()
        break
while True:
    c, _ = t.accept()
    threading.Thread(target=tcp, args=(c,), daemon=True).start()
`;

const resolver = { resolve: async (host: string) => ({ address: host, family: 4 as const }) };

async function ourClient(target: string, fields: Record<string, unknown>): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'owd', targets: [target], ...fields });
  assert.ok(r.ok, JSON.stringify(r));
  const events: MeasurementEvent[] = [];
  await runOwd(r.spec, { agent: 'meshclient', resolver, signal: new AbortController().signal, emit: (e) => events.push(e) });
  return events;
}

for (const proto of ['udp', 'tcp'] as const) {
  test(`their ${proto} client gets SEQ, TAGS and PADDING back with our name and receive time, across the sequence wrap`, async () => {
    const server = new LatencyResponder({ name: 'meshpeer' });
    const addr = proto === 'udp' ? await server.listenUdp('127.0.0.1', 0) : await server.listenTcp('127.0.0.1', 0);
    const before = BigInt(Date.now()) * 1_000_000n;
    const py = startPython(CLIENT, [proto, String(addr.port), '99,100,0,1']);
    peers.push(py);
    for (const seq of [99, 100, 0, 1]) {
      const a = JSON.parse(await py.line()) as { n: number; seq: number; source: string; ns: number; tags: string[]; padding: string; size: number };
      assert.equal(a.n, 5);
      assert.equal(a.seq, seq);
      assert.equal(a.source, 'meshpeer', 'no extension without the tag asking for it');
      assert.deepEqual(a.tags, ['isp:x', 'site:y']);
      assert.match(a.padding, /^0+$/);
      assert.equal(a.size, 100, 'the answer is as long as the message');
      assert.ok(BigInt(a.ns) >= before - 5_000_000_000n, 'SEND_NS is our receive time in Unix ns');
    }
    assert.equal(server.counters.outOfSequence, 0, '100 → 0 is in sequence');
    await server.close();
  });
}

test('a malformed UDP message is dropped and counted; a malformed TCP stream is closed and counted', async () => {
  const server = new LatencyResponder({ name: 'meshpeer' });
  const udp = await server.listenUdp('127.0.0.1', 0);
  const tcp = await server.listenTcp('127.0.0.1', 0);
  const u = startPython(CLIENT, ['udp', String(udp.port), '5', 'garbage']);
  peers.push(u);
  await u.line();
  assert.equal(await u.line(), 'silence');
  const t = startPython(CLIENT, ['tcp', String(tcp.port), '5', 'garbage']);
  peers.push(t);
  await t.line();
  assert.equal(await t.line(), 'closed');
  assert.equal(server.counters.malformed, 2);
  await server.close();
});

for (const proto of ['udp', 'tcp'] as const) {
  test(`our ${proto} client against their responder: round trips and forward delays, and it says the peer lacks a send time`, async () => {
    const py = startPython(SERVER);
    peers.push(py);
    const [tcpPort, udpPort] = (await py.line()).split(' ').map(Number) as [number, number];
    // 10 ms apart: the wire sequence wraps every 101 messages, and a UDP answer held up for longer
    // than that (1 s here, 0.3 s at 3 ms) would be matched to the later message that reused its
    // number, which the format cannot tell apart.
    const events = await ourClient(`127.0.0.1:${proto === 'udp' ? udpPort : tcpPort}`, { protocol: proto, count: 105, intervalMs: 10, size: 200, tags: ['site:lab'] });
    const replies = events.filter((e): e is ReplyEvent => e.type === 'reply');
    // Over TCP a message waits for the previous answer (as the original), so on a loaded box one
    // that finds two ahead of it is lost: most, and those past the wire sequence's wrap (0…100), are answered.
    assert.ok(replies.length >= 100, `answered ${replies.length} of 105`);
    assert.ok(replies.some((r) => r.seq > 102), 'answers past the wrap of the wire sequence match their messages');
    assert.ok(replies.every((r) => r.forwardMs !== undefined && r.reverseMs !== undefined));
    // Loopback, one clock: the forward delay is positive and below the round trip (with read jitter).
    const odd = replies.filter((r) => !(r.forwardMs! > -0.05 && r.forwardMs! < r.rttMs + 0.05));
    assert.deepEqual(odd.map((r) => ({ seq: r.seq, forwardMs: r.forwardMs, rttMs: r.rttMs })), [], 'every forward delay between 0 and its round trip');
    const s = events.find((e): e is SummaryEvent => e.type === 'summary')!;
    assert.equal(s.report?.['peer'], 'latency-monitor');
    assert.match(String(s.report?.['limits']), /only the peer's receive time/);
    await py.kill();
  });
}

test('two meshprobe ends: four timestamps, offset near zero on one clock, flagged reliable', async () => {
  const server = new LatencyResponder({ name: 'meshpeer' });
  const { port } = await server.listenUdp('127.0.0.1', 0);
  const events = await ourClient(`127.0.0.1:${port}`, { count: 20, intervalMs: 5 });
  const s = events.find((e): e is SummaryEvent => e.type === 'summary')!;
  assert.equal(s.report?.['peer'], 'meshprobe');
  const offset = s.report?.['offsetMs'] as number;
  const uncertainty = s.report?.['offsetUncertaintyMs'] as number;
  // One clock on both ends: the true offset is 0, which must lie within the stated uncertainty.
  assert.ok(Math.abs(offset) <= uncertainty + 0.01, `offset ${offset} ± ${uncertainty}`);
  assert.equal(typeof s.report?.['reliable'], 'boolean');
  await server.close();
});
