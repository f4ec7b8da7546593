import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runPing } from '../../../../agent/probes/ping/ping.ts';
import { Resolver } from '../../../../agent/runtime/resolver.ts';
import { IcmpSocketPool } from '../../../../agent/socket/icmp-socket-pool.ts';
import { RawSocket, rawNow, type RawPacket } from '../../../../agent/socket/raw-socket.ts';
import { parseIcmp } from '../../../../agent/packet/icmp-packet.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { MeasurementEvent } from '../../../../shared/model/events.ts';
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.ts';
import { rawSkipReason } from '../../../helpers/raw-capability.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

let dns: TestDnsServer;
let pool: IcmpSocketPool;
before(async () => {
  dns = await startDnsServer({ 'lo.test': ['127.0.0.1', '::1'] });
  pool = new IcmpSocketPool({ lingerMs: 10 });
});
after(async () => {
  pool.close();
  await dns.close();
});

async function ping(input: MeasurementSpecInput, o: { signal?: AbortSignal; onEvent?: (e: MeasurementEvent) => void } = {}) {
  const r = parseSpec(input);
  assert.ok(r.ok, r.ok ? '' : r.message);
  const events: MeasurementEvent[] = [];
  await runPing(r.spec, {
    agent: 'test',
    resolver: new Resolver({ servers: dns.servers }),
    signal: o.signal ?? new AbortController().signal,
    emit: (e) => {
      events.push(e);
      o.onEvent?.(e);
    },
    pool,
  });
  return events;
}

const ofType = <T extends MeasurementEvent['type']>(events: MeasurementEvent[], type: T) =>
  events.filter((e): e is Extract<MeasurementEvent, { type: T }> => e.type === type);

/**
 * Counts echo requests seen on lo by a separate raw socket (the kernel shows it every one). It
 * sees every echo request of the host, so: only that type, and a roomy receive buffer.
 */
function requestCounter(family: 4 | 6, destination: string) {
  const seen: { ttl: number | undefined; bytes: number; time: number }[] = [];
  const socket = RawSocket.open({
    family,
    protocol: 'icmp',
    mode: 'raw',
    icmpFilter: [family === 4 ? 8 : 128],
    receiveBufferBytes: 4 << 20,
    onPackets: (ps: RawPacket[]) => {
      for (const p of ps) {
        const m = parseIcmp(p.data, { family });
        if (m?.kind !== 'echo-request') continue;
        // IPv6 raw sockets give no header: on lo the request's source is its destination too.
        if (family === 4 ? m.ip?.destination !== destination : p.address !== destination) continue;
        seen.push({ ttl: family === 4 ? m.ip?.ttl : p.ttl, bytes: m.bytes, time: p.time });
      }
    },
  });
  /**
   * Resolves once `n` requests (those `which` picks, default all) have been seen; rejects after
   * `limitMs` (a bound, not an expectation).
   */
  const atLeast = async (n: number, limitMs = 15_000, which: (x: (typeof seen)[number]) => boolean = () => true) => {
    const until = performance.now() + limitMs;
    while (seen.filter(which).length < n) {
      if (performance.now() > until) throw new Error(`saw ${seen.length} of ${n} echo requests to ${destination}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { seen, atLeast, close: () => socket.close() };
}

for (const target of ['127.0.0.1', '::1']) {
  test(`ping ${target} -c 3: start, 3 replies, summary 3/3`, async (t) => {
    const skip = rawSkipReason();
    if (skip) return t.skip(skip);
    const began = performance.now();
    const events = await ping({ type: 'ping', targets: [target], count: 3, intervalMs: 20 });
    const tookMs = performance.now() - began;
    assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'reply', 'reply', 'summary']);
    const start = ofType(events, 'start')[0]!;
    assert.equal(start.address, target);
    assert.equal(start.family, target.includes(':') ? 6 : 4);
    assert.equal(start.note, undefined, 'raw socket, no note');
    const replies = ofType(events, 'reply');
    assert.deepEqual(replies.map((r) => r.seq), [1, 2, 3]);
    for (const r of replies) {
      assert.equal(r.from, target);
      assert.equal(r.bytes, 64);
      assert.equal(r.ttl, 64);
      assert.ok(r.rttMs > 0 && r.rttMs <= tookMs, `rtt ${r.rttMs} ms, within the ${tookMs} ms the measurement took`);
    }
    const s = ofType(events, 'summary')[0]!;
    assert.equal(s.sent, 3);
    assert.equal(s.received, 3);
    assert.equal(s.lossPct, 0);
    assert.equal(s.minMs, Math.min(...replies.map((r) => r.rttMs)));
  });
}

test('a name resolves through the test DNS server; -6 picks its AAAA', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const v4 = await ping({ type: 'ping', targets: ['lo.test'], count: 1 });
  assert.equal(ofType(v4, 'start')[0]!.address, '127.0.0.1');
  assert.equal(ofType(v4, 'summary')[0]!.received, 1);
  const v6 = await ping({ type: 'ping', targets: ['lo.test'], count: 1, ipVersion: 6 });
  assert.equal(ofType(v6, 'start')[0]!.address, '::1');
  assert.equal(ofType(v6, 'reply')[0]!.from, '::1');
});

test('an unresolvable name is an error event for that target; the others go on', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const events = await ping({ type: 'ping', targets: ['nowhere.test', '127.0.0.1'], count: 2, intervalMs: 10 });
  const errors = ofType(events, 'error');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.target, 'nowhere.test');
  assert.equal(errors[0]!.code, 'MP_ERR_RESOLVE');
  assert.equal(errors[0]!.message, 'cannot resolve nowhere.test: Name or service not known');
  assert.equal(ofType(events, 'summary').find((s) => s.target === '127.0.0.1')?.received, 2);
  assert.equal(events.filter((e) => 'target' in e && e.target === 'nowhere.test').length, 1);
});

test('many targets at once share one socket and each gets its own replies', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const targets = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '::1', '127.0.0.4'];
  const events = await ping({ type: 'ping', targets, count: 4, intervalMs: 5 });
  for (const target of targets) {
    const replies = ofType(events, 'reply').filter((r) => r.target === target);
    assert.deepEqual(replies.map((r) => r.seq), [1, 2, 3, 4], target);
    for (const r of replies) assert.equal(r.from, target);
    assert.equal(ofType(events, 'summary').find((s) => s.target === target)?.received, 4);
  }
});

test('abort mid-measurement: no echo request leaves after it, and the summary counts what was sent', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const target = '127.0.0.77';
  const counter = requestCounter(4, target);
  try {
    const ac = new AbortController();
    let abortedAt = 0;
    const events = await ping({ type: 'ping', targets: [target], count: 100, intervalMs: 10 }, {
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'reply' && e.seq === 5) {
          abortedAt = rawNow();
          ac.abort();
        }
      },
    });
    const s = ofType(events, 'summary')[0]!;
    assert.equal(events.at(-1)!.type, 'summary');
    // A loaded machine may send a few more before it handles reply 5; it stops well short of 100.
    assert.ok(s.sent >= 5 && s.sent < 100, `sent ${s.sent}`);
    await counter.atLeast(s.sent);
    await new Promise((r) => setTimeout(r, 100)); // 10 intervals more: a would-be send had its chance
    assert.equal(counter.seen.length, s.sent, 'the kernel saw exactly the requests the summary counts');
    // The kernel stamps a request on lo as it is sent, on the clock of rawNow().
    assert.deepEqual(counter.seen.filter((x) => x.time > abortedAt).map((x) => x.time - abortedAt), [], 'nothing was sent after abort (ms after it)');
  } finally {
    counter.close();
  }
});

test('size and TTL are honoured on the wire (IPv4 and IPv6)', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  for (const [family, target] of [[4, '127.0.0.78'], [6, '::1']] as const) {
    const counter = requestCounter(family, target);
    try {
      const events = await ping({ type: 'ping', targets: [target], count: 2, intervalMs: 10, size: 200, ttl: 7 });
      // Another program on this machine may ping ::1 meanwhile (a second test run, say): ours
      // are the 208-byte requests, so a size that was not honoured finds none and fails here.
      const ours = (x: { bytes: number }) => x.bytes === 208;
      await counter.atLeast(2, 15_000, ours);
      const mine = counter.seen.filter(ours);
      assert.deepEqual(mine.map((x) => [x.bytes, x.ttl]), [[208, 7], [208, 7]], `IPv${family}`);
      assert.deepEqual(ofType(events, 'reply').map((r) => r.bytes), [208, 208]);
      assert.deepEqual(ofType(events, 'start')[0]!.params, { count: 2, intervalMs: 10, timeoutMs: 2000, size: 200, ttl: 7 });
    } finally {
      counter.close();
    }
  }
});

test('size 0 sends bare 8-byte echo requests and still matches the replies', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const events = await ping({ type: 'ping', targets: ['127.0.0.1'], count: 1, size: 0 });
  assert.equal(ofType(events, 'reply')[0]?.bytes, 8);
});

test('no reply within the timeout: a timeout event and 100% loss', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  // In a fresh network namespace whose kernel ignores echo requests, nothing answers; the test
  // needs root for unshare and sysctl there.
  const child = fileURLToPath(new URL('../../../helpers/ping-child.ts', import.meta.url));
  const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], count: 2, intervalMs: 10, timeoutMs: 200 });
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && sysctl -qw net.ipv4.icmp_echo_ignore_all=1 && exec "$0" --disable-warning=ExperimentalWarning "$1" "$2"', process.execPath, child, spec],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) return t.skip(`cannot run in a fresh network namespace: ${r.stderr.trim().split('\n')[0]}`);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
  assert.deepEqual(events.map((e) => e.type), ['start', 'timeout', 'timeout', 'summary']);
  const s = ofType(events, 'summary')[0]!;
  assert.deepEqual([s.sent, s.received, s.lossPct, s.avgMs], [2, 0, 100, null]);
});

test('without CAP_NET_RAW the unprivileged ping socket is used, and start.note says so', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const child = fileURLToPath(new URL('../../../helpers/ping-child.ts', import.meta.url));
  const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.1', '::1'], count: 2, intervalMs: 10 });
  const r = spawnSync(
    'unshare',
    [
      '-n',
      'sh',
      '-c',
      'ip link set lo up && sysctl -qw net.ipv4.ping_group_range="0 0" && exec capsh --drop=cap_net_raw -- -c \'exec "$0" --disable-warning=ExperimentalWarning "$1" "$2"\' "$0" "$1" "$2"',
      process.execPath,
      child,
      spec,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) return t.skip(`cannot run in a fresh network namespace without CAP_NET_RAW: ${r.stderr.trim().split('\n')[0]}`);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
  for (const target of ['127.0.0.1', '::1']) {
    const start = ofType(events, 'start').find((e) => e.target === target)!;
    assert.match(start.note ?? '', /unprivileged ICMP datagram socket/);
    assert.deepEqual(ofType(events, 'reply').filter((e) => e.target === target).map((e) => [e.seq, e.bytes, e.ttl]), [[1, 64, 64], [2, 64, 64]]);
    assert.equal(ofType(events, 'summary').find((e) => e.target === target)?.received, 2);
  }
});


// In a throwaway network namespace, nftables answers some echo requests with an ICMP error
// (v4 host unreachable to 127.0.0.99; v6 admin-prohibited to ::1 for hop limit 9), so both the
// raw path (error packets) and the ping-socket path (error queue) can be seen end to end.
const rejectRules = [
  'add table inet mp',
  "add chain inet mp input '{ type filter hook input priority 0; }'",
  'add rule inet mp input ip daddr 127.0.0.99 icmp type echo-request reject with icmp type host-unreachable',
  'add rule inet mp input ip6 daddr ::1 icmpv6 type echo-request ip6 hoplimit 9 reject with icmpv6 type admin-prohibited',
]
  .map((r) => `nft ${r}`)
  .join(' && ');

for (const unprivileged of [false, true]) {
  test(`ICMP errors become icmp-error events matched to their seq (${unprivileged ? 'ping socket, error queue' : 'raw socket'})`, async (t) => {
    const skip = rawSkipReason();
    if (skip) return t.skip(skip);
    const child = fileURLToPath(new URL('../../../helpers/ping-child.ts', import.meta.url));
    const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.99', '::1'], count: 2, intervalMs: 10, ttl: 9 });
    const run = unprivileged
      ? 'sysctl -qw net.ipv4.ping_group_range="0 0" && exec capsh --drop=cap_net_raw -- -c \'exec "$0" --disable-warning=ExperimentalWarning "$1" "$2"\' "$0" "$1" "$2"'
      : 'exec "$0" --disable-warning=ExperimentalWarning "$1" "$2"';
    const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && ${rejectRules} && ${run}`, process.execPath, child, spec], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status !== 0) return t.skip(`cannot set up a network namespace with nftables: ${r.stderr.trim().split('\n')[0]}`);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
    const errs = ofType(events, 'icmp-error');
    assert.deepEqual(
      errs.filter((e) => e.target === '127.0.0.99').map((e) => [e.seq, e.kind, e.icmpType, e.icmpCode, e.from, e.message]),
      [
        [1, 'unreachable', 3, 1, '127.0.0.99', 'Destination Host Unreachable'],
        [2, 'unreachable', 3, 1, '127.0.0.99', 'Destination Host Unreachable'],
      ],
    );
    assert.deepEqual(
      errs.filter((e) => e.target === '::1').map((e) => [e.seq, e.kind, e.icmpType, e.icmpCode, e.from, e.message]),
      [
        [1, 'unreachable', 1, 1, '::1', 'Destination unreachable: Administratively prohibited'],
        [2, 'unreachable', 1, 1, '::1', 'Destination unreachable: Administratively prohibited'],
      ],
    );
    for (const e of errs) assert.ok((e.rttMs ?? -1) > 0);
    for (const s of ofType(events, 'summary')) assert.deepEqual([s.sent, s.received], [2, 0]);
    assert.equal(ofType(events, 'timeout').length, 0, 'an error settles the probe: no timeout follows');
  });
}

test('a reply already queued when its timeout timer fires still counts (busy event loop)', (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  // The echo request leaves synchronously right after `start`; blocking the loop in a microtask
  // then keeps the agent from reading the loopback reply until the timeout timer is already due.
  // libuv runs due timers before polling, so only a deferred verdict sees the reply. The loop
  // stays blocked until both are facts: the timer is due, and the kernel holds the reply in the
  // agent's raw ICMP socket. In a throwaway network namespace, so that no other program's ICMP
  // shares that socket's queue.
  const script = `
    import { runPing } from ${JSON.stringify(root + 'agent/probes/ping/ping.ts')};
    import { Resolver } from ${JSON.stringify(root + 'agent/runtime/resolver.ts')};
    import { parseSpec } from ${JSON.stringify(root + 'shared/model/spec.ts')};
    import { blockUntilQueued } from ${JSON.stringify(root + 'test/helpers/raw-queue.ts')};
    const timeoutMs = 500;
    const { spec } = parseSpec({ type: 'ping', targets: ['127.0.0.1'], count: 1, timeoutMs });
    await runPing(spec, { agent: 'test', resolver: new Resolver(), signal: new AbortController().signal, emit: (e) => {
      console.log(JSON.stringify(e));
      if (e.type !== 'start') return;
      const due = performance.now() + timeoutMs;
      queueMicrotask(() => {
        blockUntilQueued(4, (q) => [...q.values()].some((bytes) => bytes > 0));
        while (performance.now() <= due);
      });
    } });
  `;
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" --disable-warning=ExperimentalWarning --input-type=module-typescript -e "$1"', process.execPath, script],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0 && /unshare|ip: /.test(r.stderr)) return t.skip(`cannot run in a fresh network namespace: ${r.stderr.trim().split('\n')[0]}`);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
  assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'summary']);
  const reply = ofType(events, 'reply')[0]!;
  assert.ok(reply.rttMs < 500, `the kernel timestamp shows the reply came in time: ${reply.rttMs} ms`);
});
