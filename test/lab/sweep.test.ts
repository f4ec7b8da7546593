/**
 * A sweep through the lab's routers: only the addresses that exist answer; every other address
 * of the prefix still gets its `host` event, with a null RTT.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { haveCommand, labUnavailable, withLab } from './lab.ts';
import type { HostEvent, SummaryEvent } from '../../shared/model/events.ts';

const skip = labUnavailable();

test('sweep of the target link (198.18.3.0/29) finds r3 and the target, the six others are null', { skip }, async () => {
  await withLab({}, async (lab) => {
    const ev = await lab.runAgent({ type: 'probe', targets: ['198.18.3.0/29'], timeoutMs: 300 });
    const hosts = ev.filter((e): e is HostEvent => e.type === 'host');
    assert.equal(hosts.length, 8);
    assert.deepEqual(hosts.filter((h) => h.rttMs !== null).map((h) => h.address).sort(), ['198.18.3.1', '198.18.3.2']);
    assert.equal(new Set(hosts.map((h) => h.address)).size, 8, 'one event per address');
    const s = ev.at(-1) as SummaryEvent;
    assert.equal(s.type, 'summary');
    assert.deepEqual([s.hostsUp, s.hostsTotal, s.sent, s.received], [2, 8, 8, 2]);
  });
});

test('IPv6 sweep of 2001:db8:0:3::/125 through the routers finds ::1 and ::2', { skip }, async () => {
  await withLab({}, async (lab) => {
    const ev = await lab.runAgent({ type: 'probe', targets: ['2001:db8:0:3::/125'], timeoutMs: 300 });
    const up = ev.filter((e): e is HostEvent => e.type === 'host' && e.rttMs !== null).map((h) => h.address).sort();
    assert.deepEqual(up, ['2001:db8:0:3::1', '2001:db8:0:3::2']);
  });
});

test('without CAP_NET_RAW the sweep uses an ICMP datagram socket (ping_group_range set in the client namespace) and says so', { skip: skip ?? (haveCommand('setpriv') ? undefined : 'setpriv not installed') }, async () => {
  await withLab({ routers: 1 }, async (lab) => {
    // ping_group_range is per network namespace: this changes nothing outside the lab.
    await lab.exec(lab.client.ns, ['sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
    const spec = JSON.stringify({ type: 'probe', targets: ['198.18.1.0/30'], timeoutMs: 300 });
    const r = await lab.exec(lab.client.ns, ['setpriv', '--inh-caps=-net_raw', '--bounding-set=-net_raw', process.execPath, '--disable-warning=ExperimentalWarning', 'test/lab/run-agent.ts', spec]);
    assert.equal(r.code, 0, r.stderr);
    const ev = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.match(ev[0].note, /unprivileged ICMP datagram socket/);
    const up = ev.filter((e) => e.type === 'host' && e.rttMs !== null).map((e) => e.address).sort();
    assert.deepEqual(up, ['198.18.1.1', '198.18.1.2']);
  });
});
