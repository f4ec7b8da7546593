/**
 * The lab itself, checked with the system's own tools (iputils ping, traceroute): if these fail,
 * the acceptance tests that measure against the lab would prove nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Lab, haveCommand, labUnavailable, withLab } from './lab.ts';

const skip = labUnavailable();

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

test('lab: the client reaches the target over IPv4 and IPv6 through three routers', { skip }, async () => {
  await withLab({}, async (lab) => {
    for (const dst of [lab.target.v4, lab.target.v6]) {
      const r = await lab.exec(lab.client.ns, ['ping', '-c', '1', '-W', '2', dst]);
      assert.equal(r.code, 0, `ping ${dst}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /ttl=61/, 'three routers decrement the TTL three times');
    }
  });
});

test('lab: traceroute -n lists r1, r2, r3 and the target in order', { skip: skip ?? (haveCommand('traceroute') ? undefined : 'traceroute not installed') }, async () => {
  await withLab({}, async (lab) => {
    const r = await lab.exec(lab.client.ns, ['traceroute', '-n', '-q', '1', '-w', '1', lab.target.v4]);
    assert.equal(r.code, 0, r.stderr);
    const hops = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(hops, [...lab.routers.map((x) => x.v4), lab.target.v4]);
  });
});

test('lab: a silenced router shows as * in traceroute and the trace goes on', { skip: skip ?? (haveCommand('traceroute') ? undefined : 'traceroute not installed') }, async () => {
  await withLab({ silentRouters: [2] }, async (lab) => {
    const r = await lab.exec(lab.client.ns, ['traceroute', '-n', '-q', '1', '-w', '0.5', lab.target.v4]);
    const hops = r.stdout.split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/)[1]);
    assert.deepEqual(hops, [lab.routers[0]!.v4, '*', lab.routers[2]!.v4, lab.target.v4]);
  });
});

test('lab: 10 % random loss makes iputils ping lose about 10 %', { skip }, async () => {
  await withLab({ lossPct: 10 }, async (lab) => {
    const r = await lab.exec(lab.client.ns, ['ping', '-q', '-c', '400', '-i', '0.002', '-W', '1', lab.target.v4]);
    const m = /(\d+) received/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const loss = 100 - (Number(m[1]) / 400) * 100;
    assert.ok(loss >= 4 && loss <= 17, `loss ${loss} %`);
  });
});

test('lab: the delayed responder answers v4 and v6 echo requests after the delay', { skip }, async () => {
  await withLab({}, async (lab) => {
    const resp = await lab.startDelayedResponder(20);
    for (const dst of [lab.target.v4, lab.target.v6]) {
      const r = await lab.exec(lab.client.ns, ['ping', '-c', '3', '-i', '0.05', '-W', '2', dst]);
      const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
      assert.equal(rtts.length, 3, r.stdout);
      for (const x of rtts) assert.ok(x >= 19.5 && x < 40, `rtt ${x} ms to ${dst}`);
    }
    await resp.stop();
  });
});

test('lab: destroy removes every namespace of the lab', { skip }, async () => {
  const lab = await Lab.create({ routers: 1 });
  const mine = lab.nodes.map((n) => n.ns);
  assert.ok(mine.every((n) => namespaces().includes(n)));
  await lab.destroy();
  assert.ok(mine.every((n) => !namespaces().includes(n)));
});
