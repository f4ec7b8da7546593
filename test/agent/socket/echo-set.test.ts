// The native echo set (agent/socket/echo-set.ts, agent/native/src/echo_set.c) against real TCP
// servers on loopback: frames in both framings echoed and matched by sequence, round trips from
// its own clock, a refused connect, a peer that closes, a reply with a wrong magic, a frame split
// across reads, and many connections at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { EchoSet, echoSetNow } from '../../../agent/socket/echo-set.ts';

interface Recorded {
  connected: number[];
  replies: { slot: number; seq: number; t: number }[];
  closed: { slot: number; errno: number }[];
}

function recorder(): { set: EchoSet; r: Recorded; until: (what: string, check: () => boolean) => Promise<void> } {
  const r: Recorded = { connected: [], replies: [], closed: [] };
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  const set = new EchoSet({
    connected: (slot) => (r.connected.push(slot), poke()),
    reply: (slot, seq, t) => (r.replies.push({ slot, seq, t }), poke()),
    closed: (slot, errno) => (r.closed.push({ slot, errno }), poke()),
  });
  set.ref(true);
  const until = (what: string, check: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => (waiters.delete(w), reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(r)}`))), 5000);
      const w = () => {
        if (!check()) return;
        clearTimeout(timer);
        waiters.delete(w);
        resolve();
      };
      waiters.add(w);
    });
  return { set, r, until };
}

/** A TCP server on 127.0.0.1 that hands each connection's bytes to `onData`. */
async function server(onData: (s: Socket, b: Buffer) => void): Promise<{ srv: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const srv = createServer((s) => {
    sockets.push(s);
    s.on('data', (b) => onData(s, b));
    s.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { srv, port: (srv.address() as AddressInfo).port, sockets };
}

const echo = (s: Socket, b: Buffer) => s.write(b);

function send(set: EchoSet, pairs: [slot: number, seq: number][]): Float64Array {
  const slots = Int32Array.from(pairs.map((p) => p[0]));
  const seqs = Float64Array.from(pairs.map((p) => p[1]));
  const times = new Float64Array(pairs.length);
  set.send(slots, seqs, times, pairs.length);
  return times;
}

test('frames are echoed and matched by sequence on each connection, in both framings', async () => {
  const frames: Buffer[] = [];
  const { srv, port } = await server((s, b) => (frames.push(Buffer.from(b)), s.write(b)));
  const { set, r, until } = recorder();
  try {
    assert.equal(set.connect(0, '127.0.0.1', port, false), 0);
    assert.equal(set.connect(1, '127.0.0.1', port, true), 0);
    await until('both connected', () => r.connected.length === 2);
    const before = Date.now() * 1e6;
    const times = send(set, [[0, 7], [1, 2 ** 40]]);
    await until('two replies', () => r.replies.length === 2);
    const bySlot = new Map(r.replies.map((x) => [x.slot, x]));
    assert.equal(bySlot.get(0)?.seq, 7);
    assert.equal(bySlot.get(1)?.seq, 2 ** 40);
    for (let i = 0; i < 2; i++) {
      const rtt = bySlot.get(i)!.t - times[i]!;
      assert.ok(rtt > 0 && rtt < 1000, `round trip ${rtt} ms`);
    }
    assert.ok(echoSetNow() >= bySlot.get(0)!.t);
    // What went on the wire: the 24-byte frame with the magic, and the older 16-byte one.
    const magic = frames.find((f) => f.length === 24)!;
    assert.equal(magic.subarray(0, 8).toString('latin1'), 'TCPPING\0');
    assert.equal(magic.readBigUInt64LE(8), 7n);
    assert.ok(Number(magic.readBigUInt64LE(16)) >= before - 1e9, 'the sender\'s Unix time in ns');
    const legacy = frames.find((f) => f.length === 16)!;
    assert.equal(legacy.readBigUInt64LE(0), 2n ** 40n);
  } finally {
    set.free();
    srv.close();
  }
});

test('a reply split across reads is put together; two in one read are both seen', async () => {
  let held = Buffer.alloc(0);
  const { srv, port } = await server((s, b) => {
    held = Buffer.concat([held, b]);
    if (held.length < 48) return;
    const both = held;
    held = Buffer.alloc(0);
    // Both replies, cut in the middle of the first frame's sequence, 20 ms apart.
    s.write(both.subarray(0, 11));
    setTimeout(() => s.write(both.subarray(11)), 20);
  });
  const { set, r, until } = recorder();
  try {
    set.connect(3, '127.0.0.1', port, false);
    await until('connected', () => r.connected.length === 1);
    send(set, [[3, 1]]);
    send(set, [[3, 2]]);
    await until('two replies', () => r.replies.length === 2);
    assert.deepEqual(r.replies.map((x) => x.seq), [1, 2]);
    assert.deepEqual(r.closed, []);
  } finally {
    set.free();
    srv.close();
  }
});

test('a refused connect, a peer that closes and a wrong magic end the connection with an event', async () => {
  const { srv: bad, port: badPort } = await server((s, b) => s.write(Buffer.concat([Buffer.from('TCPPONG\0'), b.subarray(8)])));
  const { srv: good, port, sockets } = await server(echo);
  const { set, r, until } = recorder();
  // A port nobody listens on: take one and close it.
  const { srv: gone, port: refused } = await server(echo);
  gone.close();
  await once(gone, 'close');
  try {
    assert.equal(set.connect(0, '127.0.0.1', refused, false), 0);
    set.connect(1, '127.0.0.1', badPort, false);
    set.connect(2, '127.0.0.1', port, false);
    await until('refused', () => r.closed.some((c) => c.slot === 0));
    assert.equal(r.closed.find((c) => c.slot === 0)?.errno, 111, 'ECONNREFUSED');
    await until('two connected', () => r.connected.includes(1) && r.connected.includes(2));
    send(set, [[1, 5]]);
    await until('the wrong magic', () => r.closed.some((c) => c.slot === 1));
    assert.equal(r.closed.find((c) => c.slot === 1)?.errno, 71, 'EPROTO');
    assert.equal(r.replies.length, 0);
    // The peer closes: an event with errno 0, and a frame on the dead slot does not leave.
    for (const s of sockets) s.destroy();
    await until('the peer closed', () => r.closed.some((c) => c.slot === 2));
    assert.equal(r.closed.find((c) => c.slot === 2)?.errno, 0);
    assert.ok(Number.isNaN(send(set, [[2, 9]])[0]));
    assert.throws(() => set.connect(4, 'not-an-address', port, false), /not an IP address/);
  } finally {
    set.free();
    bad.close();
    good.close();
  }
});

test('five hundred connections, a frame each, every reply seen once', async () => {
  const { srv, port } = await server(echo);
  const { set, r, until } = recorder();
  const n = 500;
  try {
    for (let i = 0; i < n; i++) assert.equal(set.connect(i, '127.0.0.1', port, false), 0);
    await until('all connected', () => r.connected.length === n);
    const pairs = Array.from({ length: n }, (_, i) => [i, 1000 + i] as [number, number]);
    const times = send(set, pairs);
    assert.ok(times.every((t) => !Number.isNaN(t)));
    await until('all replies', () => r.replies.length === n);
    assert.deepEqual(new Set(r.replies.map((x) => x.seq - x.slot)), new Set([1000]));
  } finally {
    set.free();
    srv.close();
  }
});

test('a polled set reports nothing until polled, then every event with the kernel\'s receive times', async () => {
  // When the server echoed each frame (its write delivers on loopback at once), on the set's clock.
  const echoedAt: number[] = [];
  const { srv, port } = await server((s, b) => {
    echoedAt.push(echoSetNow());
    s.write(b);
  });
  const r: Recorded = { connected: [], replies: [], closed: [] };
  const set = new EchoSet(
    {
      connected: (slot) => r.connected.push(slot),
      reply: (slot, seq, t) => r.replies.push({ slot, seq, t }),
      closed: (slot, errno) => r.closed.push({ slot, errno }),
    },
    { polled: true },
  );
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    for (let i = 0; i < 3; i++) set.connect(i, '127.0.0.1', port, false);
    await sleep(50);
    assert.deepEqual(r.connected, [], 'nothing before a poll');
    set.poll();
    assert.deepEqual([...r.connected].sort(), [0, 1, 2]);
    const times = send(set, [[0, 10], [1, 11], [2, 12]]);
    while (echoedAt.length < 3) await sleep(5);
    await sleep(30);
    const polledAt = echoSetNow();
    set.poll();
    assert.deepEqual(r.replies.map((x) => x.seq).sort(), [10, 11, 12]);
    const lastEcho = Math.max(...echoedAt);
    for (const x of r.replies) {
      assert.ok(x.t > times[x.slot]!, 'received after it was sent');
      // The kernel's receive time, at the echo, not the poll's 30 ms or more later.
      assert.ok(x.t <= lastEcho + 5, `received ${x.t - lastEcho} ms after the last echo`);
      assert.ok(polledAt - x.t >= 25, `polled ${polledAt - x.t} ms after it was received`);
    }
  } finally {
    set.free();
    srv.close();
  }
});
