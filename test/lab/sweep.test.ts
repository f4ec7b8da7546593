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

/**
 * r1 answers part of 198.18.200.0/27 with ICMP errors — host unreachable (nft reject) for .0/29,
 * administratively prohibited for .8/30 — and r2 drops the rest in silence (blackhole). (A route
 * of type unreachable is not used: the kernel's per-source limit of those errors, ip_error,
 * starts without tokens and would leave the first one out.)
 */
async function unreachableLab(lab: import('./lab.ts').Lab): Promise<void> {
  const [r1, r2] = lab.routers;
  const sh = async (ns: string, argv: string[], input?: string) => {
    const r = await lab.exec(ns, argv, input !== undefined ? { input } : {});
    assert.equal(r.code, 0, `${argv.join(' ')} in ${ns}: ${r.stderr}`);
  };
  await sh(lab.client.ns, ['ip', 'route', 'add', '198.18.200.0/24', 'via', '198.18.0.2']);
  await sh(lab.client.ns, ['ip', '-6', 'route', 'add', '2001:db8:200::/64', 'via', '2001:db8::2']);
  await sh(r1!.ns, ['ip', 'route', 'add', '198.18.200.0/24', 'via', '198.18.1.2']);
  await sh(r1!.ns, ['ip', '-6', 'route', 'add', '2001:db8:200::/64', 'via', '2001:db8:0:1::2']);
  await sh(r2!.ns, ['ip', 'route', 'add', 'blackhole', '198.18.200.0/24']);
  await sh(r2!.ns, ['ip', '-6', 'route', 'add', 'blackhole', '2001:db8:200::/64']);
  await sh(r1!.ns, ['nft', '-f', '-'], [
    'add table inet mp_unreach',
    'add chain inet mp_unreach c { type filter hook forward priority 0 ; }',
    'add rule inet mp_unreach c ip daddr 198.18.200.0/29 reject with icmp type host-unreachable',
    'add rule inet mp_unreach c ip daddr 198.18.200.8/30 reject with icmp type admin-prohibited',
    'add rule inet mp_unreach c ip6 daddr 2001:db8:200::/126 reject with icmpv6 type admin-prohibited',
  ].join('\n') + '\n');
}

test('sweep: an ICMP unreachable that quotes our echo marks its host unreachable, silence stays silence', { skip }, async () => {
  await withLab({}, async (lab) => {
    await unreachableLab(lab);
    const ev = await lab.runAgent({ type: 'probe', targets: ['198.18.200.0/27'], timeoutMs: 500 });
    const hosts = ev.filter((e): e is HostEvent => e.type === 'host');
    assert.equal(hosts.length, 32, 'one event per address');
    const byOctet = new Map(hosts.map((h) => [Number(h.address.split('.')[3]), h]));
    for (let i = 0; i < 8; i++) {
      const u = byOctet.get(i)!.unreachable;
      assert.deepEqual(u && [u.from, u.icmpType, u.icmpCode, u.message], ['198.18.0.2', 3, 1, 'Destination Host Unreachable'], `.${i}`);
    }
    for (let i = 8; i < 12; i++) assert.deepEqual([byOctet.get(i)!.unreachable?.icmpCode, byOctet.get(i)!.unreachable?.message], [13, 'Packet filtered'], `.${i}`);
    for (let i = 12; i < 32; i++) assert.equal(byOctet.get(i)!.unreachable, undefined, `.${i} is silent, not unreachable`);
    assert.ok(hosts.every((h) => h.rttMs === null));
    const s = ev.at(-1) as SummaryEvent;
    assert.deepEqual([s.hostsUp, s.hostsTotal], [0, 32]);
  });
});

test('IPv6 sweep: ICMPv6 administratively prohibited marks its hosts unreachable', { skip }, async () => {
  await withLab({}, async (lab) => {
    await unreachableLab(lab);
    const ev = await lab.runAgent({ type: 'probe', targets: ['2001:db8:200::/125'], timeoutMs: 500 });
    const hosts = ev.filter((e): e is HostEvent => e.type === 'host');
    assert.equal(hosts.length, 8);
    const unreachable = hosts.filter((h) => h.unreachable).map((h) => h.address).sort();
    assert.deepEqual(unreachable, ['2001:db8:200::', '2001:db8:200::1', '2001:db8:200::2', '2001:db8:200::3']);
    const u = hosts.find((h) => h.unreachable)!.unreachable!;
    assert.deepEqual([u.from, u.icmpType, u.icmpCode, u.message], ['2001:db8::2', 1, 1, 'Destination unreachable: Administratively prohibited']);
  });
});
