/**
 * Acceptance: traceroute through client ── r1 ── r2 ── r3 ── target lists r1, r2, r3 and the
 * target in order, for ICMP, UDP and TCP over IPv4 and IPv6, and agrees with the system's
 * `traceroute -n` (-I / -T) run in the same lab. The agent runs inside the client namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, haveCommand, labUnavailable, run } from './lab.ts';
import type { HopEvent, MeasurementEvent, SummaryEvent } from '../../shared/model/events.ts';

const skip = labUnavailable();
const haveTraceroute = haveCommand('traceroute');

const hops = (ev: MeasurementEvent[]) => ev.filter((e): e is HopEvent => e.type === 'hop');
const summary = (ev: MeasurementEvent[]) => ev.find((e): e is SummaryEvent => e.type === 'summary');
const path = (ev: MeasurementEvent[]) => hops(ev).map((h) => h.responders.map((r) => r.address).join(',') || '*');

/** Hop addresses printed by `traceroute -n -q 1` ('*' for silence). */
function parseTraceroute(out: string): string[] {
  return out
    .split('\n')
    .slice(1)
    .map((l) => /^\s*\d+\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

/** Does the installed traceroute support a flag (-T needs the modern traceroute)? */
async function tracerouteSupports(flag: string): Promise<boolean> {
  const r = await run('traceroute', [flag, '-n', '-q', '1', '-m', '1', '-w', '0.2', '127.0.0.1']);
  return r.code === 0;
}

describe('traceroute in the lab', { skip }, () => {
  let lab: Lab;
  let records: Record<string, string[]>;
  before(async () => {
    lab = await Lab.create({});
    records = { 'target.lab': [lab.target.v4, lab.target.v6] };
    lab.routers.forEach((r, i) => (records[`r${i + 1}.lab`] = [r.v4, r.v6]));
  });
  after(() => lab?.destroy());

  for (const protocol of ['icmp', 'udp', 'tcp'] as const) {
    for (const family of [4, 6] as const) {
      test(`${protocol} over IPv${family}: r1, r2, r3, target in order, with rDNS names, like traceroute -n`, async (t) => {
        const dst = family === 4 ? lab.target.v4 : lab.target.v6;
        const expected = [...lab.routers, lab.target].map((n) => (family === 4 ? n.v4 : n.v6));
        const ev = await lab.runAgent({ type: 'traceroute', targets: ['target.lab'], ipVersion: family, protocol, maxHops: 10 }, { dnsRecords: records });
        assert.deepEqual(ev.filter((e) => e.type === 'error'), []);
        assert.deepEqual(path(ev), expected);
        const h = hops(ev);
        assert.deepEqual(h.map((x) => x.ttl), [1, 2, 3, 4], 'in TTL order');
        assert.deepEqual(h.map((x) => x.responders[0]!.name), ['r1.lab', 'r2.lab', 'r3.lab', 'target.lab']);
        assert.ok(h.every((x) => x.received === 3 && x.lossPct === 0 && x.responders[0]!.rttsMs.length === 3));
        assert.deepEqual(h.slice(0, 3).map((x) => x.responders[0]!.kind), ['time-exceeded', 'time-exceeded', 'time-exceeded']);
        assert.equal(h[3]!.responders[0]!.kind, protocol === 'icmp' ? 'reply' : protocol === 'udp' ? 'unreachable' : 'rst');
        const s = summary(ev)!;
        assert.equal(s.reached, true);
        assert.equal(s.hops, 4);

        if (!haveTraceroute) return t.diagnostic('traceroute not installed: anchor comparison skipped');
        const flag = protocol === 'icmp' ? ['-I'] : protocol === 'tcp' ? ['-T'] : [];
        if (flag.length && !(await tracerouteSupports(flag[0]!))) return t.diagnostic(`traceroute ${flag[0]} unsupported here: anchor comparison skipped`);
        const anchor = await lab.exec(lab.client.ns, ['traceroute', `-${family}`, ...flag, '-n', '-q', '1', '-w', '1', '-m', '10', dst]);
        assert.equal(anchor.code, 0, anchor.stderr);
        assert.deepEqual(parseTraceroute(anchor.stdout), path(ev), 'same path as traceroute -n');
      });
    }
  }

  test('a router that refuses to forward (admin-prohibited) ends the trace with !X, not reached', async () => {
    const r3 = lab.routers[2]!.ns;
    const nft = ['add table inet mp_reject', 'add chain inet mp_reject c { type filter hook forward priority 0 ; }', 'add rule inet mp_reject c iifname "left" reject with icmpx type admin-prohibited'];
    const r = await run('ip', ['netns', 'exec', r3, 'nft', '-f', '-'], { input: nft.join('\n') + '\n' });
    assert.equal(r.code, 0, r.stderr);
    try {
      for (const dst of [lab.target.v4, lab.target.v6]) {
        const ev = await lab.runAgent({ type: 'traceroute', targets: [dst], protocol: 'udp', maxHops: 10 });
        const h = hops(ev);
        // Probes with TTL 4 reach r3 alive and are refused there: hop 4 is r3 saying !X.
        const r3addr = dst === lab.target.v4 ? lab.routers[2]!.v4 : lab.routers[2]!.v6;
        assert.equal(h.length, 4, `stops at the refusal: ${path(ev).join(' ')}`);
        assert.equal(h[3]!.responders[0]!.address, r3addr);
        assert.equal(h[3]!.responders[0]!.kind, 'unreachable');
        assert.equal(h[3]!.responders[0]!.annotation, '!X');
        assert.equal(summary(ev)!.reached, false);
      }
    } finally {
      await run('ip', ['netns', 'exec', r3, 'nft', 'delete table inet mp_reject']);
    }
  });

  test('a 1280-byte link behind r2: --size 1400 probes report packet-too-big at r2 with the MTU (!F-1280)', async () => {
    const setMtu = (mtu: number) =>
      Promise.all([
        run('ip', ['-n', lab.routers[1]!.ns, 'link', 'set', 'right', 'mtu', String(mtu)]),
        run('ip', ['-n', lab.routers[2]!.ns, 'link', 'set', 'left', 'mtu', String(mtu)]),
      ]);
    await setMtu(1280);
    try {
      for (const protocol of ['icmp', 'udp'] as const) {
        for (const family of [4, 6] as const) {
          const dst = family === 4 ? lab.target.v4 : lab.target.v6;
          const ev = await lab.runAgent({ type: 'traceroute', targets: [dst], protocol, size: 1400, maxHops: 6, timeoutMs: 1000 });
          const h = hops(ev);
          const r2 = family === 4 ? lab.routers[1]!.v4 : lab.routers[1]!.v6;
          assert.equal(h.length, 3, `${protocol}/v${family}: ${path(ev).join(' ')}`);
          const last = h[2]!.responders[0]!;
          assert.equal(last.address, r2);
          assert.equal(last.kind, 'packet-too-big');
          assert.equal(last.mtu, 1280);
          assert.equal(last.annotation, '!F-1280');
          assert.equal(summary(ev)!.reached, false);
        }
      }
    } finally {
      await setMtu(1500);
    }
  });
});

describe('traceroute past a silent router', { skip }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ silentRouters: [2] });
  });
  after(() => lab?.destroy());

  for (const family of [4, 6] as const) {
    test(`IPv${family}: r2 drops its TTL-exceeded replies → a * hop, and the trace goes on to the target`, async () => {
      const dst = family === 4 ? lab.target.v4 : lab.target.v6;
      const ev = await lab.runAgent({ type: 'traceroute', targets: [dst], maxHops: 10, timeoutMs: 1000 });
      const n = (i: number) => (family === 4 ? lab.routers[i]!.v4 : lab.routers[i]!.v6);
      assert.deepEqual(path(ev), [n(0), '*', n(2), dst]);
      const h2 = hops(ev)[1]!;
      assert.equal(h2.received, 0);
      assert.equal(h2.lossPct, 100);
      assert.equal(summary(ev)!.reached, true);
    });
  }
});

describe('traceroute over equal-cost paths (r1 hashes flows over r2 and r2b)', { skip }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ ecmp: true });
  });
  after(() => lab?.destroy());

  for (const family of [4, 6] as const) {
    test(`IPv${family}: UDP probes (one port each) find both r2 and r2b at hop 2, kept apart with their own RTTs`, async () => {
      const dst = family === 4 ? lab.target.v4 : lab.target.v6;
      const r2 = family === 4 ? lab.routers[1]!.v4 : lab.routers[1]!.v6;
      const r2b = family === 4 ? lab.ecmpRouter!.v4 : lab.ecmpRouter!.v6;
      const seen = new Map<string, number>();
      // Ten probes per hop split over two paths by a hash: both show up unless the hash puts all
      // ten on one side (p ≈ 0.2 %); a second trace makes that negligible.
      for (let attempt = 0; attempt < 3 && seen.size < 2; attempt++) {
        const ev = await lab.runAgent({ type: 'traceroute', targets: [dst], protocol: 'udp', queriesPerHop: 10, maxHops: 6 });
        const h2 = hops(ev)[1]!;
        assert.equal(h2.received, 10);
        assert.equal(h2.responders.reduce((n, r) => n + r.rttsMs.length, 0), 10, 'every RTT belongs to exactly one responder');
        for (const r of h2.responders) seen.set(r.address, (seen.get(r.address) ?? 0) + r.rttsMs.length);
        assert.equal(summary(ev)!.reached, true);
      }
      assert.deepEqual([...seen.keys()].sort(), [r2, r2b].sort());
    });
  }

  test('ICMP probes of one trace keep one flow: hop 2 is a single router', async () => {
    const ev = await lab.runAgent({ type: 'traceroute', targets: [lab.target.v4], queriesPerHop: 6, maxHops: 6 });
    const h2 = hops(ev)[1]!;
    assert.equal(h2.responders.length, 1);
    assert.ok([lab.routers[1]!.v4, lab.ecmpRouter!.v4].includes(h2.responders[0]!.address));
  });
});
