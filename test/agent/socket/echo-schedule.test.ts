// Scheduled slots of the native echo set (agent/native/src/echo_probe.c): probes sent from C at
// their interval, replies matched into round trips and held back until a flush (the first at once),
// the adaptive timeout held to the TypeScript RFC 6298 estimator (agent/probes/tcpping/
// rto-estimator.ts) sample by sample and timeout by timeout, losses with their reasons, and a
// dropped connection's probes in flight counted. Real TCP servers on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { EchoSet, type EchoSchedule, type LostReason } from '../../../agent/socket/echo-set.ts';
import { RtoEstimator } from '../../../agent/probes/tcpping/rto-estimator.ts';

type Ev =
  | { k: 'rtt'; ms: number; t: number }
  | { k: 'lost'; why: LostReason }
  | { k: 'gauge'; name: string; v: number }
  | { k: 'connected' }
  | { k: 'reply'; seq: number }
  | { k: 'closed'; errno: number; lost: number };

/** A polled set turned every 2 ms, with every event of slot 0 in order. */
function scheduled(): { set: EchoSet; evs: Ev[]; stop: () => void } {
  const evs: Ev[] = [];
  const set = new EchoSet(
    {
      connected: () => evs.push({ k: 'connected' }),
      // Only once a slot is no longer scheduled: its connection stays, and answers come raw.
      reply: (_slot, seq) => evs.push({ k: 'reply', seq }),
      closed: (_slot, errno, lost) => evs.push({ k: 'closed', errno, lost }),
      rtt: (_slot, ms, t) => evs.push({ k: 'rtt', ms, t }),
      lost: (_slot, why) => evs.push({ k: 'lost', why }),
      gauge: (_slot, name, v) => evs.push({ k: 'gauge', name, v }),
    },
    { polled: true },
  );
  const timer = setInterval(() => set.tick(), 2);
  return { set, evs, stop: () => (clearInterval(timer), set.free()) };
}

/** A TCP server on 127.0.0.1; `onFrame` sees each 24-byte frame's sequence. */
async function server(onFrame: (s: Socket, frame: Buffer) => void): Promise<{ srv: Server; port: number; seqs: number[] }> {
  const seqs: number[] = [];
  const srv = createServer((s) => {
    let held = Buffer.alloc(0);
    s.on('data', (b) => {
      held = Buffer.concat([held, b]);
      while (held.length >= 24) {
        const f = held.subarray(0, 24);
        held = held.subarray(24);
        seqs.push(Number(f.readBigUInt64LE(8)));
        onFrame(s, Buffer.from(f));
      }
    });
    s.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { srv, port: (srv.address() as AddressInfo).port, seqs };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const base: EchoSchedule = { intervalMs: 20, firstInMs: 0, timeoutMs: 1000, fixed: false, rtoMinMs: 0.001, rtoMaxMs: 3000, firstSeq: 0 };

test('a scheduled slot probes at its interval; round trips are held back until a flush, the first at once; the RTO follows RFC 6298 as the TypeScript estimator', async () => {
  const { srv, port, seqs } = await server((s, f) => s.write(f));
  const { set, evs, stop } = scheduled();
  try {
    set.connect(0, '127.0.0.1', port);
    set.schedule(0, base);
    await until('the first round trip', () => evs.some((e) => e.k === 'rtt'));
    await until('ten frames echoed', () => seqs.length >= 10);
    const before = evs.filter((e) => e.k === 'rtt').length;
    assert.ok(before < seqs.length - 2, `round trips held back: ${before} reported of ${seqs.length} echoed`);
    set.flush();
    const rtts = evs.filter((e) => e.k === 'rtt');
    assert.ok(rtts.length >= seqs.length - 1, `after a flush every answered probe: ${rtts.length} of ${seqs.length}`);
    assert.deepEqual(seqs.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'sequences from firstSeq, one a probe');
    for (let i = 1; i < rtts.length; i++) assert.ok(rtts[i]!.t > rtts[i - 1]!.t, 'in the order they came');
    assert.ok(rtts.every((e) => e.ms > 0 && e.ms < 100));

    // The same samples through the TypeScript estimator give the same timeout at each report.
    const ts = new RtoEstimator(base.timeoutMs, base.rtoMinMs, base.rtoMaxMs);
    let checked = 0;
    for (const e of evs) {
      if (e.k === 'rtt') ts.sample(e.ms);
      if (e.k === 'gauge' && e.name === 'rtoMs') {
        assert.ok(Math.abs(e.v - ts.rtoMs) < 1e-9, `C ${e.v} vs TS ${ts.rtoMs}`);
        checked++;
      }
    }
    assert.ok(checked >= 2, `the first (at scheduling) and later timeouts compared: ${checked}`);
    const loss = evs.flatMap((e) => (e.k === 'gauge' && e.name === 'lossWindowPct' ? [e.v] : []));
    assert.equal(loss.at(-1), 0);
    assert.ok(!evs.some((e) => e.k === 'lost'));
    assert.ok(!evs.some((e) => e.k === 'reply'), 'a scheduled slot reports round trips, not raw replies');
  } finally {
    stop();
    srv.close();
  }
});

test('a silent server: probes time out, and the timeout doubles to its clamp as the TypeScript estimator backs off', async () => {
  const { srv, port, seqs } = await server(() => {});
  const { set, evs, stop } = scheduled();
  const o = { ...base, timeoutMs: 30, rtoMinMs: 30, rtoMaxMs: 240 };
  try {
    set.connect(0, '127.0.0.1', port);
    set.schedule(0, o);
    await until('six timeouts', () => evs.filter((e) => e.k === 'lost').length >= 6);
    assert.ok(evs.filter((e) => e.k === 'lost').every((e) => e.k === 'lost' && e.why === 'timeout'));
    const ts = new RtoEstimator(o.timeoutMs, o.rtoMinMs, o.rtoMaxMs);
    const expected = [ts.rtoMs];
    for (let i = 0; i < 4; i++) {
      ts.backoff();
      expected.push(ts.rtoMs);
    }
    const seen = evs.flatMap((e) => (e.k === 'gauge' && e.name === 'rtoMs' ? [e.v] : []));
    assert.deepEqual(seen, [30, 60, 120, 240], 'each change reported once');
    assert.deepEqual([...new Set(expected)], seen);
    const loss = evs.flatMap((e) => (e.k === 'gauge' && e.name === 'lossWindowPct' ? [e.v] : []));
    assert.equal(loss.at(-1), 100);
    assert.ok(seqs.length >= 6);
  } finally {
    stop();
    srv.close();
  }
});

test('probes due without a connection are lost at once; a dropped connection loses its probes in flight, counted in its close', async () => {
  let frames = 0;
  const { srv, port } = await server((s) => {
    // Never answers; hangs up after the third frame.
    if (++frames === 3) s.destroy();
  });
  const { set, evs, stop } = scheduled();
  try {
    set.schedule(0, base);
    await until('two probes lost for want of a connection', () => evs.filter((e) => e.k === 'lost').length >= 2);
    assert.ok(evs.filter((e) => e.k === 'lost').every((e) => e.k === 'lost' && e.why === 'down'));
    set.connect(0, '127.0.0.1', port);
    await until('the close', () => evs.some((e) => e.k === 'closed'));
    const closed = evs.find((e) => e.k === 'closed');
    assert.ok(closed?.k === 'closed' && closed.lost >= 3 && closed.lost <= 4, `lost in flight: ${JSON.stringify(closed)}`);
    assert.ok(evs.some((e) => e.k === 'connected'));
  } finally {
    stop();
    srv.close();
  }
});

test('unscheduling a slot stops its probes; scheduling it again starts afresh from its first sequence', async () => {
  const { srv, port, seqs } = await server((s, f) => s.write(f));
  const { set, evs, stop } = scheduled();
  try {
    set.connect(0, '127.0.0.1', port);
    set.schedule(0, base);
    await until('three frames', () => seqs.length >= 3);
    set.unschedule(0);
    const n = seqs.length;
    await sleep(120);
    assert.ok(seqs.length <= n + 1, `no more frames after unscheduling: ${n} then ${seqs.length}`);
    assert.throws(() => set.schedule(0, { ...base, intervalMs: 5 }), /interval ≥ 10 ms/, 'an interval shorter than a turn of the wheel is refused');
    set.schedule(0, { ...base, firstSeq: 1000 });
    await until('a frame of the new schedule', () => seqs.includes(1000));
    await until('its first round trip', () => evs.filter((e) => e.k === 'rtt').length > 0);
  } finally {
    stop();
    srv.close();
  }
});
