import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { RawSocket, rawNow, type RawBatch, type RawPacket } from '../../../agent/socket/raw-socket.ts';
import { buildEchoRequest, parseIcmp } from '../../../agent/packet/icmp-packet.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

const node = process.execPath;
const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Opens a socket that collects what it receives; `next(pred)` waits for a matching packet.
 * Raw sockets see every ICMP packet of the host, other programs' floods included: a roomy
 * receive buffer by default, and tests filter the types they look at.
 */
function collector(o: Omit<Parameters<typeof RawSocket.open>[0], 'onPackets'>) {
  const got: RawPacket[] = [];
  const waiters: { pred: (p: RawPacket) => boolean; resolve: (p: RawPacket) => void }[] = [];
  const socket = RawSocket.open({
    receiveBufferBytes: 4 << 20,
    ...o,
    onPackets: (ps) => {
      for (const p of ps) {
        got.push(p);
        for (const w of [...waiters]) if (w.pred(p)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(p);
        }
      }
    },
  });
  const next = (pred: (p: RawPacket) => boolean, ms = 15_000) =>
    new Promise<RawPacket>((resolve, reject) => {
      const hit = got.find(pred);
      if (hit) return resolve(hit);
      const t = setTimeout(() => reject(new Error('no matching packet within ' + ms + ' ms')), ms);
      waiters.push({ pred, resolve: (p) => (clearTimeout(t), resolve(p)) });
    });
  return { socket, got, next };
}

/**
 * Sends (again, up to `tries` times, a second apart) until a packet matching `pred` has arrived:
 * on a loaded host a raw socket may drop one. Returns the time of the first send and the packet.
 */
async function exchange(c: ReturnType<typeof collector>, send: () => number, pred: (p: RawPacket) => boolean, tries = 10): Promise<{ sent: number; packet: RawPacket }> {
  const already = c.got.find(pred);
  if (already) return { sent: Number.NaN, packet: already };
  const sent = send();
  for (let i = 1; ; i++) {
    try {
      return { sent, packet: await c.next(pred, 1000) };
    } catch (err) {
      if (i >= tries) throw err;
      send();
    }
  }
}

const echoReplyTo = (family: 4 | 6, id: number, seq: number) => (p: RawPacket) => {
  const m = parseIcmp(p.data, { family });
  return m?.kind === 'echo-reply' && m.identifier === id && m.sequence === seq;
};
const echoRequest = (family: 4 | 6, id: number, seq: number) => (p: RawPacket) => {
  const m = parseIcmp(p.data, { family });
  return m?.kind === 'echo-request' && m.identifier === id && m.sequence === seq;
};

test('raw ICMPv4: echo to 127.0.0.1 comes back with a kernel timestamp after the send time and the TTL', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0] });
  try {
    const id = 0x4d50;
    const send = () => c.socket.send(buildEchoRequest({ family: 4, identifier: id, sequence: 1 }), '127.0.0.1');
    const { sent, packet: reply } = await exchange(c, send, echoReplyTo(4, id, 1));
    assert.equal(reply.address, '127.0.0.1');
    assert.equal(reply.ttl, 64);
    assert.ok(reply.time > sent, `receive time ${reply.time} after send time ${sent}`);
    // One clock for both (a kernel stamp on another clock would be far off): not in the future.
    assert.ok(reply.time <= rawNow(), `receive time ${reply.time} is not after now ${rawNow()}`);
    assert.ok(reply.data.length >= 20 + 64, 'IPv4 raw sockets deliver the IP header');
  } finally {
    c.socket.close();
  }
});

test('raw ICMPv4: per-packet TTL travels with each packet of one socket', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [8] });
  try {
    const id = 0x4d51;
    const send = (sequence: number, ttl: number) => () => c.socket.send(buildEchoRequest({ family: 4, identifier: id, sequence }), '127.0.0.1', { ttl });
    send(1, 3)();
    send(2, 9)();
    // On lo the raw socket also sees our own requests, with the TTL they left with.
    const r1 = (await exchange(c, send(1, 3), echoRequest(4, id, 1))).packet;
    const r2 = (await exchange(c, send(2, 9), echoRequest(4, id, 2))).packet;
    assert.equal(parseIcmp(r1.data, { family: 4 })?.ip?.ttl, 3);
    assert.equal(parseIcmp(r2.data, { family: 4 })?.ip?.ttl, 9);
  } finally {
    c.socket.close();
  }
});

test('raw ICMPv6: echo to ::1, hop limit per packet, kernel-computed checksum accepted', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 6, protocol: 'icmp', mode: 'raw', icmpFilter: [128, 129] });
  try {
    const id = 0x4d52;
    const send = () => c.socket.send(buildEchoRequest({ family: 6, identifier: id, sequence: 7 }), '::1', { ttl: 5 });
    const { sent, packet: req } = await exchange(c, send, echoRequest(6, id, 7));
    assert.equal(req.ttl, 5);
    const reply = (await exchange(c, send, echoReplyTo(6, id, 7))).packet;
    assert.equal(reply.address, '::1');
    assert.equal(reply.data.length, 64, 'IPv6 raw sockets deliver no IP header');
    assert.ok(reply.time > sent);
  } finally {
    c.socket.close();
  }
});

test('sendBatch sends every packet with sendmmsg and reports one send time each', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0, 8] });
  try {
    const id = 0x4d53;
    const before = rawNow();
    const packet = (seq: number) => ({ data: buildEchoRequest({ family: 4, identifier: id, sequence: seq }), address: `127.0.0.${seq}`, ttl: 10 + seq });
    const r = c.socket.sendBatch([1, 2, 3, 4, 5].map(packet));
    assert.equal(r.processed, 5);
    assert.deepEqual(r.errors, [null, null, null, null, null]);
    for (const time of r.times) assert.ok(time >= before && time <= rawNow());
    for (const seq of [1, 2, 3, 4, 5]) {
      const again = () => c.socket.sendBatch([packet(seq)]).times[0]!;
      const reply = (await exchange(c, again, echoReplyTo(4, id, seq))).packet;
      assert.equal(reply.address, `127.0.0.${seq}`);
      const req = (await exchange(c, again, echoRequest(4, id, seq))).packet;
      assert.equal(parseIcmp(req.data, { family: 4 })?.ip?.ttl, 10 + seq);
    }
  } finally {
    c.socket.close();
  }
});

test('sendBatch reports a refused packet by errno and goes on with the rest', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 4, protocol: 'icmp', mode: 'raw' });
  try {
    const data = buildEchoRequest({ family: 4, identifier: 0x4d54, sequence: 1 });
    // 255.255.255.255 needs SO_BROADCAST: the kernel refuses it locally (nothing leaves the host).
    const r = c.socket.sendBatch([{ data, address: '127.0.0.1' }, { data, address: '255.255.255.255' }, { data, address: '127.0.0.1' }]);
    assert.equal(r.processed, 3);
    assert.deepEqual(r.errors, [null, 'EACCES', null]);
    assert.ok(Number.isNaN(r.times[1]));
  } finally {
    c.socket.close();
  }
});

test('a received batch of many packets arrives in few callbacks (recvmmsg)', (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  // In a throwaway network namespace: no other program's ICMP shares the socket's queue. The
  // loop stays blocked until the kernel holds every reply (the queue's bytes for one reply, then
  // for all of them), whatever the load; then one poll finds them all.
  const script = `
    import { RawSocket } from ${JSON.stringify(root + 'agent/socket/raw-socket.ts')};
    import { buildEchoRequest } from ${JSON.stringify(root + 'agent/packet/icmp-packet.ts')};
    import { blockUntilQueued, rawReceiveQueues, socketInodes } from ${JSON.stringify(root + 'test/helpers/raw-queue.ts')};
    const n = 201;
    const callbacks = [];
    const before = socketInodes();
    const s = RawSocket.open({ family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0], receiveBufferBytes: 4 << 20, onPackets: (ps) => {
      callbacks.push(ps.length);
      if (callbacks.reduce((a, b) => a + b, 0) >= n) {
        s.close();
        console.log(JSON.stringify({ replies: callbacks.reduce((a, b) => a + b, 0), callbacks: callbacks.length }));
      }
    } });
    const [inode] = [...socketInodes()].filter((i) => !before.has(i));
    const queued = (q) => q.get(inode) ?? 0;
    const packets = Array.from({ length: n }, (_, i) => ({ data: buildEchoRequest({ family: 4, identifier: 0x4d55, sequence: i }), address: '127.0.0.1' }));
    s.sendBatch(packets.slice(0, 1));
    blockUntilQueued(4, (q) => queued(q) > 0);
    const one = queued(rawReceiveQueues(4));
    let done = 1;
    while (done < n) done += s.sendBatch(packets.slice(done)).processed;
    blockUntilQueued(4, (q) => queued(q) >= n * one);
  `;
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --disable-warning=ExperimentalWarning --input-type=module-typescript -e "$1"', node, script],
    { timeout: 60_000, encoding: 'utf8' },
  );
  if (r.status !== 0 && /unshare|ip: /.test(r.stderr)) return t.skip(`cannot run in a fresh network namespace: ${r.stderr.trim().split('\n')[0]}`);
  assert.equal(r.status, 0, r.stderr);
  const { replies, callbacks } = JSON.parse(r.stdout.trim()) as { replies: number; callbacks: number };
  assert.equal(replies, 201);
  assert.ok(callbacks < 201 / 4, `${callbacks} callbacks for 201 queued packets`);
});

test('icmpFilter keeps other ICMP types out of a raw socket', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const c = collector({ family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0] });
  try {
    const id = 0x4d56;
    await exchange(c, () => c.socket.send(buildEchoRequest({ family: 4, identifier: id, sequence: 1 }), '127.0.0.1'), echoReplyTo(4, id, 1));
    assert.equal(c.got.filter(echoRequest(4, id, 1)).length, 0, 'our own echo request (type 8) was filtered');
  } finally {
    c.socket.close();
  }
});

for (const family of [4, 6] as const) {
  test(`UDP dgram socket with recvErr (IPv${family}): port unreachable arrives through the error queue`, async () => {
    const c = collector({ family, protocol: 'udp', mode: 'dgram' });
    const lo = family === 4 ? '127.0.0.1' : '::1';
    try {
      const port = 33400 + Math.floor(Math.random() * 30);
      const sent = c.socket.send(Buffer.from('meshprobe'), lo, { port, ttl: 7 });
      const p = await c.next((x) => !!x.error);
      assert.deepEqual(
        { errno: p.error!.errno, origin: p.error!.origin, offender: p.error!.offender, address: p.address, port: p.port, data: p.data.toString() },
        { errno: 'ECONNREFUSED', origin: family === 4 ? 'icmp' : 'icmp6', offender: lo, address: lo, port, data: 'meshprobe' },
      );
      assert.equal(p.error!.type, family === 4 ? 3 : 1);
      assert.equal(p.error!.code, family === 4 ? 3 : 4);
      assert.ok(p.time > sent);
      // the socket keeps working after the error
      c.socket.send(Buffer.from('again'), lo, { port });
      await c.next((x) => !!x.error && x.data.toString() === 'again');
    } finally {
      c.socket.close();
    }
  });
}

test('close() is idempotent and a closed socket refuses to send', () => {
  const s = RawSocket.open({ family: 4, protocol: 'udp', mode: 'dgram', onPackets: () => {} });
  s.close();
  s.close();
  assert.equal(s.closed, true);
  assert.throws(() => s.send(Buffer.from('x'), '127.0.0.1', { port: 9 }), /closed/);
});

test('bad arguments fail with a one-line reason', () => {
  const s = RawSocket.open({ family: 4, protocol: 'udp', mode: 'dgram', onPackets: () => {} });
  try {
    assert.throws(() => s.send(Buffer.from('x'), '::1', { port: 9 }), /not an IPv4 address/);
    assert.throws(() => s.send(Buffer.from('x'), '127.0.0.1', { port: 9, ttl: 0 }), /ttl must be 1\.\.255/);
    assert.throws(() => s.send('x' as unknown as Uint8Array, '127.0.0.1'), /Buffer or Uint8Array/);
  } finally {
    s.close();
  }
  assert.throws(() => RawSocket.open({ family: 5 as 4, protocol: 'icmp', onPackets: () => {} }), { code: 'MP_ERR_BAD_REQUEST' });
  assert.throws(() => RawSocket.open({ family: 4, protocol: 'tcp', mode: 'dgram', onPackets: () => {} }), { code: 'MP_ERR_BAD_REQUEST' });
});

test('dgram ICMP (ping socket): bind() picks the identifier, localAddress() reports it, replies arrive', (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const script = `
    import { RawSocket } from ${JSON.stringify(root + 'agent/socket/raw-socket.ts')};
    import { buildEchoRequest, parseIcmp } from ${JSON.stringify(root + 'agent/packet/icmp-packet.ts')};
    const s = RawSocket.open({ family: 4, protocol: 'icmp', mode: 'dgram', onPackets: (ps) => {
      for (const p of ps) {
        const m = parseIcmp(p.data, { family: 4, withIpHeader: false });
        console.log(JSON.stringify({ kind: m?.kind, id: m?.identifier, seq: m?.sequence, ttl: p.ttl, from: p.address }));
        s.close();
      }
    } });
    s.bind('127.0.0.1', 4242);
    console.log(JSON.stringify(s.localAddress()));
    s.send(buildEchoRequest({ family: 4, identifier: 1, sequence: 5 }), '127.0.0.1');
  `;
  // A throwaway network namespace where ping sockets are allowed for root's group.
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && sysctl -qw net.ipv4.ping_group_range="0 0" && exec "$0" --disable-warning=ExperimentalWarning --input-type=module-typescript -e "$1"', node, script],
    { timeout: 60_000, encoding: 'utf8' },
  );
  if (r.status !== 0) return t.skip(`cannot run in a fresh network namespace: ${r.stderr.trim().split('\n')[0]}`);
  const [addr, reply] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(addr, { address: '127.0.0.1', port: 4242 });
  // the kernel replaced our identifier (1) with the bound one
  assert.deepEqual(reply, { kind: 'echo-reply', id: 4242, seq: 5, ttl: 64, from: '127.0.0.1' });
});

test('a process with closed sockets exits, and so does one with an unref()d open socket', (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const script = `
    import { RawSocket } from ${JSON.stringify(root + 'agent/socket/raw-socket.ts')};
    const a = RawSocket.open({ family: 4, protocol: 'icmp', mode: 'raw', onPackets: () => {} });
    const b = RawSocket.open({ family: 6, protocol: 'icmp', mode: 'raw', onPackets: () => {} });
    a.close(); b.unref();
  `;
  const r = spawnSync(node, ['--disable-warning=ExperimentalWarning', '--input-type=module-typescript', '-e', script], { timeout: 60_000, encoding: 'utf8' });
  assert.equal(r.error, undefined, 'the child exited on its own');
  assert.equal(r.status, 0, r.stderr);
});

test('without CAP_NET_RAW and ping sockets: MP_ERR_PERMISSION says how to grant them', (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const probe = spawnSync('capsh', ['--help'], { encoding: 'utf8' });
  if (probe.error) return t.skip('capsh is not installed');
  const script = `
    import { RawSocket } from ${JSON.stringify(root + 'agent/socket/raw-socket.ts')};
    try { RawSocket.open({ family: 4, protocol: 'icmp', onPackets: () => {} }); console.log('opened'); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
  `;
  // A fresh network namespace keeps ping sockets off (ping_group_range "1 0") whatever the host says.
  const r = spawnSync(
    'unshare',
    ['-n', 'capsh', '--drop=cap_net_raw', '--', '-c', `exec "$0" --disable-warning=ExperimentalWarning --input-type=module-typescript -e "$1"`, node, script],
    { timeout: 60_000, encoding: 'utf8' },
  );
  if (r.status !== 0 && /unshare/.test(r.stderr)) return t.skip(`cannot create a network namespace: ${r.stderr.trim()}`);
  const out = JSON.parse(r.stdout.trim()) as { code: string; message: string };
  assert.equal(out.code, 'MP_ERR_PERMISSION');
  assert.match(out.message, /^cannot open an ICMP socket \(IPv4\): permission denied/);
  assert.match(out.message, /setcap cap_net_raw\+ep/);
  assert.match(out.message, /ping_group_range/);
  assert.doesNotMatch(out.message, /\n/);
});

test('raw IPv6 UDP with checksumOffset 6: the kernel fills the UDP checksum and a real UDP socket accepts the datagram', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const server = createSocket('udp6');
  server.bind(0, '::1');
  await once(server, 'listening');
  const port = server.address().port;
  const raw = RawSocket.open({ family: 6, protocol: 'udp', mode: 'raw', checksumOffset: 6, onPackets: () => {} });
  try {
    const payload = Buffer.from('checksummed by the kernel');
    const udp = Buffer.alloc(8 + payload.length);
    udp.writeUInt16BE(40000, 0);
    udp.writeUInt16BE(port, 2);
    udp.writeUInt16BE(udp.length, 4);
    payload.copy(udp, 8); // checksum left 0: invalid in IPv6 unless the kernel fills it
    const got = once(server, 'message');
    raw.send(udp, '::1');
    const [msg, rinfo] = (await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error('datagram dropped (bad checksum?)')), 15_000))])) as [Buffer, { port: number }];
    assert.equal(msg.toString(), 'checksummed by the kernel');
    assert.equal(rinfo.port, 40000);
  } finally {
    raw.close();
    server.close();
  }
});

test('checksumOffset is refused on sockets it does not apply to', () => {
  assert.throws(() => RawSocket.open({ family: 4, protocol: 'udp', mode: 'dgram', checksumOffset: 6, onPackets: () => {} }), {
    code: 'MP_ERR_BAD_REQUEST',
    message: /IPv6 raw sockets only/,
  });
});

test('openBatched: replies land in the batch buffer in place: time, full and captured length, source bytes, IP header onwards', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const id = (0x6d00 + (process.pid & 0xff)) & 0xffff;
  const seen: { seq: number; time: number; length: number; captured: number; from: string; ttl: number }[] = [];
  let calls = 0;
  const s = RawSocket.openBatched({
    family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0], echoIdentifiers: { first: id }, receiveBufferBytes: 4 << 20, snapBytes: 32,
    onBatch: (b: RawBatch, count: number) => {
      calls++;
      for (let i = 0; i < count; i++) {
        const o = i * b.snapBytes;
        const at = o + (b.data[o]! & 0x0f) * 4;
        assert.equal(b.data[at], 0, 'an echo reply');
        assert.equal((b.data[at + 4]! << 8) | b.data[at + 5]!, id);
        seen.push({ seq: (b.data[at + 6]! << 8) | b.data[at + 7]!, time: b.time[i]!, length: b.length[i]!, captured: b.captured[i]!, from: b.addressText(i, 4), ttl: b.ttl[i]! });
      }
    },
  });
  try {
    const sent = new Map<number, number>();
    for (let seq = 0; seq < 200; seq++) sent.set(seq, s.send(buildEchoRequest({ family: 4, identifier: id, sequence: seq }), `127.0.0.${1 + (seq % 3)}`));
    const until = Date.now() + 10_000;
    while (seen.length < 200 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(seen.length, 200, 'every reply arrives');
    assert.ok(calls < 200, `${calls} callbacks for 200 packets`);
    for (const p of seen) {
      assert.equal(p.length, 20 + 64, 'the full length');
      assert.equal(p.captured, 32, 'cut at snapBytes');
      assert.equal(p.from, `127.0.0.${1 + (p.seq % 3)}`);
      assert.equal(p.ttl, 64, 'recvTtl is on by default');
      assert.ok(p.time > sent.get(p.seq)! && p.time <= rawNow(), 'a kernel stamp on the send clock');
    }
  } finally {
    s.close();
  }
});

test('openBatched: IPv6 delivers 16 source bytes and no IP header; a bad snapBytes is refused', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  assert.throws(() => RawSocket.openBatched({ family: 4, protocol: 'icmp', snapBytes: 12, onBatch: () => {} }), { code: 'MP_ERR_BAD_REQUEST' });
  const id = (0x6e00 + (process.pid & 0xff)) & 0xffff;
  let got: { from: string; type: number; captured: number; bytes: number } | undefined;
  const s = RawSocket.openBatched({
    family: 6, protocol: 'icmp', mode: 'raw', icmpFilter: [129], echoIdentifiers: { first: id },
    onBatch: (b, count) => {
      if (count > 0) got ??= { from: b.addressText(0, 6), type: b.data[0]!, captured: b.captured[0]!, bytes: b.bytes(0).length };
    },
  });
  try {
    const until = Date.now() + 10_000;
    while (!got && Date.now() < until) {
      s.send(buildEchoRequest({ family: 6, identifier: id, sequence: 1 }), '::1');
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(got, { from: '::1', type: 129, captured: 64, bytes: 64 });
  } finally {
    s.close();
  }
});
