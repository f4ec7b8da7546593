import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextRenderer, renderText, compactAddresses } from '../../../shared/render/text-renderer.ts';
import { hopLine } from '../../../shared/measurements/traceroute/text.ts';
import { computeStats } from '../../../shared/model/stats.ts';
import type { MeasurementEvent, StartEvent, SummaryEvent, ReplyEvent, HopEvent } from '../../../shared/model/events.ts';

function start(target: string, o: Partial<StartEvent> = {}): StartEvent {
  const family = target.includes(':') ? 6 : 4;
  return { type: 'start', agent: 'local', target, measurement: 'ping', address: target, family, protocol: 'icmp', params: { size: 56 }, ...o };
}
function reply(target: string, seq: number, rttMs: number, o: Partial<ReplyEvent> = {}): ReplyEvent {
  return { type: 'reply', agent: 'local', target, seq, ttl: 64, rttMs, bytes: 64, from: target, ...o };
}
function summary(target: string, sent: number, rtts: number[], o: Partial<SummaryEvent> = {}): SummaryEvent {
  return { type: 'summary', agent: 'local', target, measurement: 'ping', ...computeStats(sent, rtts), durationMs: 2003, ...o };
}
const done: MeasurementEvent = { type: 'done', parts: 1, sent: 3, received: 3, errors: 0, durationMs: 2010 };

test('a single IPv4 ping renders exactly like iputils plus the percentile line', () => {
  const out = renderText([
    start('127.0.0.1'),
    reply('127.0.0.1', 1, 0.031),
    reply('127.0.0.1', 2, 0.04),
    reply('127.0.0.1', 3, 0.05),
    summary('127.0.0.1', 3, [0.031, 0.04, 0.05]),
    done,
  ]);
  assert.equal(
    out,
    [
      'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.',
      '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.031 ms',
      '64 bytes from 127.0.0.1: icmp_seq=2 ttl=64 time=0.040 ms',
      '64 bytes from 127.0.0.1: icmp_seq=3 ttl=64 time=0.050 ms',
      '',
      '--- 127.0.0.1 ping statistics ---',
      '3 packets transmitted, 3 received, 0% packet loss, time 2003ms',
      'rtt min/avg/max/mdev = 0.031/0.040/0.050/0.008 ms',
      'rtt p50/p90/p99 = 0.040/0.050/0.050 ms',
      '',
    ].join('\n'),
  );
});

test('an IPv6 ping uses the iputils IPv6 header, and a name shows its address', () => {
  assert.equal(renderText([start('::1')]), 'PING ::1(::1) 56 data bytes\n');
  assert.equal(renderText([start('localhost', { address: '127.0.0.1', params: { size: 100 } })]), 'PING localhost (127.0.0.1) 100(128) bytes of data.\n');
});

const timeRows: [number, string][] = [
  [0.031, '0.031'],
  [0.9994, '0.999'],
  [1.234, '1.23'],
  [9.99, '9.99'],
  [12.34, '12.3'],
  [99.9, '99.9'],
  [123.4, '123'],
  [1500.2, '1500'],
];
for (const [ms, text] of timeRows) {
  test(`a reply of ${ms} ms prints time=${text} ms`, () => {
    assert.equal(new TextRenderer().push(reply('127.0.0.1', 7, ms)), `64 bytes from 127.0.0.1: icmp_seq=7 ttl=64 time=${text} ms\n`);
  });
}

test('a reply without a TTL omits ttl=', () => {
  assert.equal(new TextRenderer().push(reply('::1', 1, 0.02, { ttl: null })), '64 bytes from ::1: icmp_seq=1 time=0.020 ms\n');
});

test('timeouts print nothing by default and the iputils -O line when asked', () => {
  const t: MeasurementEvent = { type: 'timeout', agent: 'local', target: '198.18.0.9', seq: 2 };
  assert.equal(new TextRenderer().push(t), '');
  assert.equal(new TextRenderer({ timeouts: true }).push(t), 'no answer yet for icmp_seq=2\n');
});

test('ICMP errors print iputils From-lines and count as +N errors; no rtt lines without replies', () => {
  const target = '198.18.0.9';
  const err = (seq: number): MeasurementEvent => ({
    type: 'icmp-error', agent: 'local', target, seq, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.0.1', message: 'Destination Host Unreachable',
  });
  const out = renderText([start(target), err(1), err(2), err(3), summary(target, 3, [], { durationMs: 2041.6 })]);
  assert.equal(
    out,
    [
      'PING 198.18.0.9 (198.18.0.9) 56(84) bytes of data.',
      'From 198.18.0.1 icmp_seq=1 Destination Host Unreachable',
      'From 198.18.0.1 icmp_seq=2 Destination Host Unreachable',
      'From 198.18.0.1 icmp_seq=3 Destination Host Unreachable',
      '',
      '--- 198.18.0.9 ping statistics ---',
      '3 packets transmitted, 0 received, +3 errors, 100% packet loss, time 2042ms',
      '',
    ].join('\n'),
  );
});

test('packet-too-big errors show the MTU', () => {
  const e: MeasurementEvent = {
    type: 'icmp-error', agent: 'local', target: '2001:db8::9', seq: 4, kind: 'packet-too-big', icmpType: 2, icmpCode: 0, from: '2001:db8::1', message: 'Packet too big', mtu: 1280,
  };
  assert.equal(new TextRenderer().push(e), 'From 2001:db8::1 icmp_seq=4 Packet too big (mtu = 1280)\n');
});

test('partial loss prints like C %g (33.3333%)', () => {
  const out = renderText([summary('127.0.0.1', 3, [0.1, 0.2])]);
  assert.match(out, /^3 packets transmitted, 2 received, 33\.3333% packet loss, time 2003ms$/m);
});

test('TCP replies name the port and the kind of answer', () => {
  const r = new TextRenderer();
  assert.equal(r.push(start('127.0.0.1', { protocol: 'tcp', params: { size: 0, port: 8080 } })), 'PING 127.0.0.1 (127.0.0.1) TCP port 8080.\n');
  assert.equal(r.push(reply('127.0.0.1', 1, 0.052, { kind: 'syn-ack' })), 'reply from 127.0.0.1 port 8080 (syn-ack): tcp_seq=1 time=0.052 ms\n');
});

test('a start note is shown under the header', () => {
  assert.equal(renderText([start('127.0.0.1', { note: 'unprivileged ICMP datagram socket' })]), 'PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\nnote: unprivileged ICMP datagram socket\n');
});

test('several agents and targets: [agent → target] prefixes and a closing agents × targets matrix', () => {
  const evs: MeasurementEvent[] = [];
  for (const agent of ['lax1', 'fra1']) {
    for (const target of ['127.0.0.1', '::1']) {
      if (agent === 'fra1' && target === '::1') {
        evs.push({ type: 'error', agent, target, code: 'MP_ERR_RESOLVE', message: 'cannot resolve ::1: no route' });
        continue;
      }
      evs.push({ ...start(target), agent }, { ...reply(target, 1, agent === 'lax1' ? 0.04 : 12.34), agent }, { ...summary(target, 1, [agent === 'lax1' ? 0.04 : 12.34]), agent });
    }
  }
  evs.push(done);
  const out = renderText(evs);
  const lines = out.split('\n');
  assert.equal(lines[0], '[lax1 → 127.0.0.1] PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.');
  assert.ok(lines.includes('[fra1 → 127.0.0.1] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=12.3 ms'));
  assert.ok(lines.includes('[fra1 → ::1] meshprobe: cannot resolve ::1: no route'));
  assert.ok(lines.includes('[lax1 → ::1] --- ::1 ping statistics ---'));
  assert.ok(out.endsWith(
    [
      '--- matrix: avg rtt, loss ---',
      'agent  127.0.0.1    ::1',
      'lax1   0.040 ms 0%  0.040 ms 0%',
      'fra1   12.3 ms 0%   error',
      '',
    ].join('\n'),
  ), out);
});

test('a second agent switches prefixes on by itself; multiAgent prefixes from the start', () => {
  const r = new TextRenderer();
  assert.equal(r.push(reply('127.0.0.1', 1, 0.1)), '64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.100 ms\n');
  assert.equal(r.push({ ...reply('127.0.0.1', 1, 0.1), agent: 'b' }), '[b] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.100 ms\n');
  assert.equal(new TextRenderer({ multiAgent: true }).push(reply('127.0.0.1', 1, 0.1)), '[local] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.100 ms\n');
});

test('one agent and several targets still ends with a one-row matrix; one target has none', () => {
  const two = renderText([start('127.0.0.1'), start('::1'), summary('127.0.0.1', 1, [0.04]), summary('::1', 1, []), done]);
  assert.ok(two.endsWith('agent  127.0.0.1    ::1\nlocal  0.040 ms 0%  - 100%\n'), two);
  const one = new TextRenderer();
  one.push(start('127.0.0.1'));
  one.push(summary('127.0.0.1', 1, [0.04]));
  assert.equal(one.push(done), '');
});

function hop(ttl: number, responders: HopEvent['responders'], sent = 3): HopEvent {
  const received = responders.reduce((n, r) => n + r.rttsMs.length, 0);
  return { type: 'hop', agent: 'local', target: 'r3.lab', ttl, responders, sent, received, lossPct: ((sent - received) / sent) * 100 };
}

test('traceroute renders like traceroute -n, in TTL order even when hops arrive out of order', () => {
  const r = new TextRenderer();
  let out = r.push({ type: 'start', agent: 'local', target: 'r3.lab', measurement: 'traceroute', address: '198.18.3.2', family: 4, protocol: 'icmp', params: { maxHops: 30 } });
  out += r.push(hop(2, []));
  assert.equal(out, 'traceroute to r3.lab (198.18.3.2), 30 hops max\n', 'hop 2 waits for hop 1');
  out += r.push(hop(1, [{ address: '198.18.1.1', rttsMs: [0.123, 0.1, 0.098] }]));
  out += r.push(hop(4, [{ address: '198.18.3.2', name: 'r3.lab', rttsMs: [0.2, 0.19, 0.185], kind: 'reply' }]));
  out += r.push(hop(3, [{ address: '198.18.2.1', rttsMs: [0.3] }, { address: '198.18.2.5', rttsMs: [0.31, 1.5] }]));
  out += r.push({ type: 'summary', agent: 'local', target: 'r3.lab', measurement: 'traceroute', ...computeStats(12, []), durationMs: 40, reached: true, hops: 4 });
  assert.equal(
    out,
    [
      'traceroute to r3.lab (198.18.3.2), 30 hops max',
      ' 1  198.18.1.1  0.123 ms  0.100 ms  0.098 ms',
      ' 2  * * *',
      ' 3  198.18.2.1  0.300 ms 198.18.2.5  0.310 ms  1.500 ms',
      ' 4  r3.lab (198.18.3.2)  0.200 ms  0.190 ms  0.185 ms',
      '',
    ].join('\n'),
  );
});

test('traceroute hop lines: partial loss, annotations, two-digit TTLs', () => {
  assert.equal(hopLine(hop(5, [{ address: '198.18.1.1', rttsMs: [1.25] }])), ' 5  198.18.1.1  1.250 ms * *');
  assert.equal(hopLine(hop(12, [{ address: '198.18.9.9', rttsMs: [0.5, 0.6], annotation: '!H' }], 2)), '12  198.18.9.9  0.500 ms !H  0.600 ms !H');
});

test('hops still pending when a part fails are flushed before the error line', () => {
  const r = new TextRenderer();
  r.push({ type: 'start', agent: 'local', target: 'r3.lab', measurement: 'traceroute', address: '198.18.3.2', family: 4, protocol: 'udp', params: { maxHops: 5 } });
  assert.equal(r.push(hop(2, [])), '');
  assert.equal(r.push({ type: 'error', agent: 'local', target: 'r3.lab', code: 'MP_ERR_AGENT_LOST', message: 'agent local went away' }), ' 2  * * *\nmeshprobe: agent local went away\n');
});

test('a sweep prints a header, a summary line and the live hosts as compact ranges', () => {
  const target = '127.1.0.0/24';
  const evs: MeasurementEvent[] = [{ type: 'start', agent: 'local', target, measurement: 'probe', address: target, family: 4, protocol: 'icmp', params: { rate: 1000 } }];
  for (let i = 0; i < 256; i++) evs.push({ type: 'host', agent: 'local', target, address: `127.1.0.${i}`, rttMs: i === 0 || i === 255 || i === 77 ? null : 0.05 });
  evs.push({ type: 'summary', agent: 'local', target, measurement: 'probe', address: target, ...computeStats(256, []), durationMs: 300, hostsUp: 253, hostsTotal: 256 });
  assert.equal(renderText(evs), 'PROBE 127.1.0.0/24: 256 addresses, 1000 packets/s\n127.1.0.0/24: 253 of 256 hosts up\n  127.1.0.1-76, 127.1.0.78-254\n');
});

test('a sweep at rate 0 says so, and counts hosts itself when the summary lacks them', () => {
  const target = '2001:db8::/126';
  const out = renderText([
    { type: 'start', agent: 'local', target, measurement: 'probe', address: target, family: 6, protocol: 'icmp', params: { rate: 0 } },
    { type: 'host', agent: 'local', target, address: '2001:db8::1', rttMs: 0.1 },
    { type: 'host', agent: 'local', target, address: '2001:db8::2', rttMs: null },
    { type: 'summary', agent: 'local', target, measurement: 'probe', ...computeStats(2, []), durationMs: 3 },
  ]);
  assert.equal(out, 'PROBE 2001:db8::/126: 4 addresses, no rate limit\n2001:db8::/126: 1 of 2 hosts up\n  2001:db8::1\n');
});

test('probeCounts: false leaves out a sweep\'s count line (the CLI bitmap caption has it) but keeps the live hosts', () => {
  const target = '127.1.0.0/30';
  const r = new TextRenderer({ probeCounts: false });
  r.push({ type: 'start', agent: 'local', target, measurement: 'probe', address: target, family: 4, protocol: 'icmp', params: { rate: 0 } });
  r.push({ type: 'host', agent: 'local', target, address: '127.1.0.1', rttMs: 0.1 });
  const out = r.push({ type: 'summary', agent: 'local', target, measurement: 'probe', address: target, ...computeStats(4, [0.1]), durationMs: 3, hostsUp: 1, hostsTotal: 4 });
  assert.equal(out, '  127.1.0.1\n');
});

test('compactAddresses sorts, merges runs, drops duplicates and wraps', () => {
  assert.deepEqual(compactAddresses(['10.0.0.3', '10.0.0.1', '10.0.0.2', '10.0.0.2', '10.0.1.0', '10.0.0.255']), ['10.0.0.1-3, 10.0.0.255-10.0.1.0']);
  const many = Array.from({ length: 40 }, (_, i) => `198.18.0.${i * 2}`);
  const lines = compactAddresses(many);
  assert.ok(lines.length > 1);
  for (const l of lines) assert.ok(l.length <= 73, l);
  assert.equal(lines.join(' ').split(', ').length + lines.length - 1, 40 + lines.length - 1);
});

test('request-wide errors print a meshprobe: line without a prefix', () => {
  assert.equal(new TextRenderer({ multiAgent: true }).push({ type: 'error', code: 'MP_ERR_NO_AGENT', message: 'no agent matches country=XX' }), 'meshprobe: no agent matches country=XX\n');
});

test('a malformed event yields a meshprobe: line instead of an exception', () => {
  const out = new TextRenderer().push({ type: 'hop', agent: 'local', target: 'x', ttl: 1, responders: [{ address: 'x', rttsMs: [null] }] } as unknown as MeasurementEvent);
  assert.equal(typeof out, 'string');
});

test('renderText equals the concatenation of push() for the same stream', () => {
  const evs: MeasurementEvent[] = [start('127.0.0.1'), reply('127.0.0.1', 1, 0.5), summary('127.0.0.1', 1, [0.5]), done];
  const r = new TextRenderer();
  assert.equal(renderText(evs), evs.map((e) => r.push(e)).join(''));
});

/** Two targets, each answered by an ICMP error from the same router (issue 11, item 2). */
function unreachableStream(agents: string[]): MeasurementEvent[] {
  const evs: MeasurementEvent[] = [];
  for (const agent of agents) for (const t of ['198.18.1.9', '198.18.1.10']) evs.push({ ...start(t), agent });
  for (const seq of [1, 2]) {
    for (const agent of agents) {
      for (const t of ['198.18.1.9', '198.18.1.10']) {
        evs.push({ type: 'icmp-error', agent, target: t, seq, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.1.1', message: 'Destination Host Unreachable' });
      }
    }
  }
  for (const agent of agents) for (const t of ['198.18.1.9', '198.18.1.10']) evs.push({ ...summary(t, 2, []), agent });
  evs.push({ type: 'done', parts: 2 * agents.length, sent: 4 * agents.length, received: 0, errors: 0, durationMs: 2010 });
  return evs;
}

test('two targets × ICMP errors: every From-line names its target ([target], or [agent → target] with several agents)', () => {
  const one = renderText(unreachableStream(['lax1'])).split('\n');
  assert.ok(one.includes('[198.18.1.9] From 198.18.1.1 icmp_seq=1 Destination Host Unreachable'), one.join('\n'));
  assert.ok(one.includes('[198.18.1.10] From 198.18.1.1 icmp_seq=2 Destination Host Unreachable'), one.join('\n'));
  assert.ok(one.includes('[198.18.1.10] 2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 2003ms'), one.join('\n'));
  const two = renderText(unreachableStream(['lax1', 'fra1'])).split('\n');
  assert.ok(two.includes('[lax1 → 198.18.1.9] From 198.18.1.1 icmp_seq=1 Destination Host Unreachable'), two.join('\n'));
  assert.ok(two.includes('[fra1 → 198.18.1.10] From 198.18.1.1 icmp_seq=2 Destination Host Unreachable'), two.join('\n'));
  // No line of a part goes out without saying whose it is; only the closing matrix is shared.
  const body = two.slice(0, two.indexOf('--- matrix: avg rtt, loss ---'));
  assert.deepEqual(body.filter((l) => l !== '' && !/^\[(lax1|fra1) → 198\.18\.1\.(9|10)\] /.test(l)), []);
});

test('multiTarget prefixes a live stream from its first line; a second target switches it on by itself', () => {
  const r = new TextRenderer({ multiTarget: true });
  assert.equal(r.push(start('198.18.1.9')), '[198.18.1.9] PING 198.18.1.9 (198.18.1.9) 56(84) bytes of data.\n');
  const auto = new TextRenderer({ timeouts: true });
  assert.equal(auto.push({ type: 'timeout', agent: 'local', target: 'a.test', seq: 1 }), 'no answer yet for icmp_seq=1\n');
  assert.equal(auto.push({ type: 'timeout', agent: 'local', target: 'b.test', seq: 1 }), '[b.test] no answer yet for icmp_seq=1\n');
  // Interleaved traceroutes: each hop line names its destination.
  const t = new TextRenderer({ multiTarget: true });
  const hopOf = (target: string, ttl: number): HopEvent => ({ ...hop(ttl, [{ address: '198.18.1.1', rttsMs: [0.1] }], 1), target });
  assert.equal(t.push(hopOf('r3.lab', 1)) + t.push(hopOf('r4.lab', 1)), '[r3.lab]  1  198.18.1.1  0.100 ms\n[r4.lab]  1  198.18.1.1  0.100 ms\n');
});

test('compactAddresses writes IPv6 runs like IPv4 ones: only the last group after the dash', () => {
  assert.deepEqual(compactAddresses(['2001:db8:3::2', '2001:db8:3::1']), ['2001:db8:3::1-2']);
  assert.deepEqual(compactAddresses(['198.18.3.1', '198.18.3.2', '2001:db8:3::1', '2001:db8:3::2', '2001:db8:3::3']), ['198.18.3.1-2, 2001:db8:3::1-3']);
});
