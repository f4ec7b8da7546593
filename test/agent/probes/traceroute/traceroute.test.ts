/**
 * traceroute on loopback (one hop: the destination itself) and its pure parts. The multi-hop
 * acceptance runs in the lab (test/lab/traceroute.test.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runTraceroute } from '../../../../agent/probes/traceroute/traceroute.ts';
import { probePacer, unreachableAnnotation } from '../../../../agent/probes/hop-probe.ts';
import { tracerouteParams } from '../../../../shared/measurements/traceroute/traceroute-params.ts';
import { RawSocket, type RawPacket } from '../../../../agent/socket/raw-socket.ts';
import { parseIcmp } from '../../../../agent/packet/icmp-packet.ts';
import { Resolver } from '../../../../agent/runtime/resolver.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { HopEvent, MeasurementEvent, StartEvent, SummaryEvent } from '../../../../shared/model/events.ts';
import { rawSkipReason } from '../../../helpers/raw-capability.ts';
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.ts';

let dns: TestDnsServer;
before(async () => {
  // 127.0.0.9: not in /etc/hosts, which c-ares would consult before our server.
  dns = await startDnsServer({ 'loop.test': ['127.0.0.9', '::1'] });
});
after(() => dns.close());

async function trace(input: Omit<MeasurementSpecInput, 'type'>): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'traceroute', ...input });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const ev: MeasurementEvent[] = [];
  await runTraceroute(r.spec, { agent: 't', resolver: new Resolver({ servers: dns.servers }), signal: new AbortController().signal, emit: (e) => ev.push(e) });
  return ev;
}

test('defaults: ICMP, 30 hops, 3 queries, UDP from port 33434, TCP port 80, 2 s', () => {
  const p = (x: Omit<MeasurementSpecInput, 'type' | 'targets'>) => {
    const r = parseSpec({ type: 'traceroute', targets: ['x'], ...x });
    assert.ok(r.ok);
    return tracerouteParams(r.spec);
  };
  assert.deepEqual(p({}), { protocol: 'icmp', maxHops: 30, queries: 3, port: 33434, timeoutMs: 2000, size: 32 });
  assert.equal(p({ protocol: 'tcp' }).port, 80);
  assert.equal(p({ protocol: 'udp', port: 5000, maxHops: 5, queriesPerHop: 1 }).port, 5000);
});

test('unreachable annotations follow traceroute: !N !H !P !X !F-mtu, none for port unreachable', () => {
  const v4: [number, string | undefined][] = [[0, '!N'], [1, '!H'], [2, '!P'], [3, undefined], [9, '!X'], [10, '!X'], [13, '!X'], [5, '!S']];
  for (const [code, want] of v4) assert.equal(unreachableAnnotation(4, code), want, `v4 code ${code}`);
  assert.equal(unreachableAnnotation(4, 4, 1400), '!F-1400');
  const v6: [number, string | undefined][] = [[0, '!N'], [1, '!X'], [3, '!H'], [4, undefined]];
  for (const [code, want] of v6) assert.equal(unreachableAnnotation(6, code), want, `v6 code ${code}`);
});

for (const protocol of ['icmp', 'udp', 'tcp'] as const) {
  test(`${protocol}: a trace to loopback (by name, v4 and v6) is one reached hop, named through the resolver`, async (t) => {
    const skip = rawSkipReason();
    if (skip) return t.skip(skip);
    for (const ipVersion of [4, 6] as const) {
      const ev = await trace({ targets: ['loop.test'], protocol, ipVersion });
      assert.deepEqual(ev.map((e) => e.type), ['start', 'hop', 'summary']);
      const start = ev[0] as StartEvent;
      assert.equal(start.address, ipVersion === 4 ? '127.0.0.9' : '::1');
      assert.equal(start.protocol, protocol);
      const hop = ev[1] as HopEvent;
      assert.equal(hop.ttl, 1);
      assert.equal(hop.received, 3);
      assert.equal(hop.responders.length, 1);
      assert.equal(hop.responders[0]!.name, 'loop.test');
      assert.equal(hop.responders[0]!.kind, protocol === 'icmp' ? 'reply' : protocol === 'udp' ? 'unreachable' : 'rst');
      const s = ev[2] as SummaryEvent;
      assert.equal(s.reached, true);
      assert.equal(s.hops, 1);
      assert.equal(s.sent, 3);
    }
  });
}

test('a name that does not resolve is an error event for that target only', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const ev = await trace({ targets: ['nowhere.test', '127.0.0.1'] });
  const err = ev.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error' && err.target === 'nowhere.test' && err.code === 'MP_ERR_RESOLVE');
  assert.ok(ev.some((e) => e.type === 'summary' && e.target === '127.0.0.1' && e.reached));
});

test('an already-cancelled trace emits no hops', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = parseSpec({ type: 'traceroute', targets: ['127.0.0.1'] });
  assert.ok(r.ok);
  const ac = new AbortController();
  ac.abort();
  const ev: MeasurementEvent[] = [];
  await runTraceroute(r.spec, { agent: 't', resolver: new Resolver({ servers: dns.servers }), signal: ac.signal, emit: (e) => ev.push(e) });
  assert.ok(ev.every((e) => e.type !== 'hop'));
});

test('the pacer sends one probe per event-loop turn, however many are queued at once', async () => {
  const sent: number[] = [];
  const pacer = probePacer<number>((x) => {
    if (x < 0) return false; // skipped: costs no turn
    sent.push(x);
    return true;
  });
  pacer.enqueue([1, -1, 2, 3]);
  assert.deepEqual(sent, [1]);
  pacer.enqueue([4]); // same turn: waits too
  assert.deepEqual(sent, [1]);
  assert.equal(pacer.waiting, 4);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent, [1, 2], 'the skipped probe spent no turn');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent, [1, 2, 3]);
  pacer.stop();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent, [1, 2, 3], 'nothing leaves after stop()');
});

test('each probe has its own send time, taken after the previous probe left (watched on loopback)', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  // A loopback address of its own, so other processes' pings do not mix in. A second raw socket
  // sees every echo request and reply with the kernel's stamp (the same skb stamp meshprobe reads).
  const target = '127.83.41.7';
  const seen: { kind: string; id: number; seq: number; time: number }[] = [];
  const watch = RawSocket.open({
    family: 4, protocol: 'icmp', mode: 'raw', icmpFilter: [0, 8],
    onPackets: (ps: RawPacket[]) => {
      for (const p of ps) {
        const m = parseIcmp(p.data, { family: 4 });
        if (!m || m.kind === 'error' || m.kind === 'other' || !m.ip) continue;
        if ((m.kind === 'echo-request' ? m.ip.destination : m.ip.source) !== target) continue;
        seen.push({ kind: m.kind, id: m.identifier, seq: m.sequence, time: p.time });
      }
    },
  });
  try {
    const queries = 6;
    const ev = await trace({ targets: [target], queriesPerHop: queries, protocol: 'icmp' });
    await new Promise((r) => setTimeout(r, 50)); // let the watcher read what is queued
    const hop = ev.find((e): e is HopEvent => e.type === 'hop')!;
    assert.equal(hop.ttl, 1);
    const rtts = hop.responders[0]!.rttsMs;
    assert.equal(rtts.length, queries);
    // The first `queries` requests in kernel order are TTL 1's probes 0…queries-1.
    const requests = seen.filter((x) => x.kind === 'echo-request').sort((a, b) => a.time - b.time).slice(0, queries);
    const replyOf = (r: { id: number; seq: number }) => seen.find((x) => x.kind === 'echo-reply' && x.id === r.id && x.seq === r.seq);
    // RTTs are rounded to the µs: allow that much when inferring the send time from one.
    const slack = 0.001;
    for (let k = 1; k < queries; k++) {
      const reply = replyOf(requests[k]!);
      assert.ok(reply, `reply to probe ${k} seen`);
      const sentAt = reply.time - rtts[k]!;
      assert.ok(sentAt >= requests[k - 1]!.time - slack,
        `probe ${k}'s send time (${sentAt}) is its own, after probe ${k - 1} reached the stack (${requests[k - 1]!.time}), not the burst's`);
      assert.ok(sentAt <= requests[k]!.time + slack, `probe ${k}'s send time precedes its own packet`);
    }
  } finally {
    watch.close();
  }
});
