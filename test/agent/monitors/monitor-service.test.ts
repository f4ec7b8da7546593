import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MonitorService } from '../../../agent/monitors/monitor-service.ts';
import { Resolver } from '../../../agent/runtime/resolver.ts';
import { countPacketsSent } from '../../../agent/socket/packet-count.ts';
import type { MinuteRow, MonitorAssignment } from '../../../shared/model/monitor-types.ts';
import type { MonitorReport } from '../../../shared/wire/agent-link.ts';
import { startDnsServer } from '../../helpers/dns-server.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

const skip = rawSkipReason();

/** A clock 60× real time: a minute passes every second, so rows close without waiting minutes. */
function fastClock(): () => number {
  const start = Date.now();
  const base = Math.ceil(start / 60_000) * 60_000;
  return () => base + (Date.now() - start) * 60;
}

function monitor(id: number, target: string, extra: Partial<MonitorAssignment> = {}): MonitorAssignment {
  return { id, type: 'ping', target, intervalMs: 100, timeoutMs: 1000, rev: 1, ...extra };
}

/** A hub's end in the process: keeps every report, acknowledges at once. */
function collect(service: MonitorService): { reports: MonitorReport[]; rows: () => MinuteRow[] } {
  const reports: MonitorReport[] = [];
  service.onReport(async (r) => {
    reports.push(structuredClone(r));
  });
  return { reports, rows: () => reports.flatMap((r) => r.rows) };
}

test('a target the policy refuses gives rows with err and sent 0, and never a packet', { skip: skip ?? false }, async () => {
  let packets = 0;
  const service = countPacketsSent(
    (n) => (packets += n),
    () => {
      const s = new MonitorService({ agent: 'a1', resolver: new Resolver(), policy: 'public', now: fastClock(), tickMs: 100, reportEveryMs: 300 });
      s.assign([monitor(1, '127.0.0.1'), monitor(2, '127.0.0.2')], { policy: 'lan' });
      return s;
    },
  );
  const hub = collect(service);
  try {
    await sleep(2500);
  } finally {
    service.close();
  }
  const rows = hub.rows();
  assert.ok(rows.length >= 4, `${rows.length} rows`);
  for (const r of rows) {
    assert.equal(r.sent, 0);
    assert.match(r.err ?? '', /loopback.*refused by the public policy|refused/);
  }
  assert.deepEqual([...new Set(rows.map((r) => r.m))].sort(), [1, 2]);
  assert.equal(packets, 0);
});

test('the hub\'s scope applies too: ranges it set for the agent refuse what lies outside', { skip: skip ?? false }, async () => {
  const service = new MonitorService({ agent: 'a1', resolver: new Resolver(), now: fastClock(), tickMs: 100, reportEveryMs: 300 });
  const hub = collect(service);
  try {
    service.assign([monitor(1, '127.0.0.1'), monitor(2, '127.0.0.9')], { policy: 'lan', allowedRanges: ['127.0.0.9/32'] });
    await sleep(1500);
  } finally {
    service.close();
  }
  const rows = hub.rows();
  assert.ok(rows.filter((r) => r.m === 1).every((r) => r.sent === 0 && /outside agent a1's allowed ranges \(127\.0\.0\.9\/32\), set at the hub/.test(r.err ?? '')));
  assert.ok(rows.filter((r) => r.m === 2).some((r) => r.recv > 0));
});

test('first sample within two intervals; live add and remove; names resolve through the resolver, unknown names give err rows', { skip: skip ?? false }, async () => {
  const dns = await startDnsServer({ 'target.test': ['127.0.0.7'] });
  const service = new MonitorService({ agent: 'a1', resolver: new Resolver({ servers: dns.servers }), now: fastClock(), tickMs: 100, reportEveryMs: 10_000, errorRetryMs: 200 });
  const hub = collect(service);
  try {
    const t0 = Date.now();
    service.assign([monitor(1, 'target.test', { intervalMs: 500 })], { policy: 'lan' });
    while (!hub.rows().some((r) => r.m === 1 && r.sent > 0) && Date.now() - t0 < 3000) await sleep(10);
    const first = Date.now() - t0;
    assert.ok(first <= 1000, `first sample after ${first} ms at a 500 ms interval`);
    assert.equal(hub.rows().find((r) => r.m === 1 && r.sent > 0)!.addr, '127.0.0.7');
    // Add one (and one that does not resolve), keep the first.
    service.assign([monitor(1, 'target.test', { intervalMs: 500 }), monitor(2, '127.0.0.8'), monitor(3, 'nowhere.test')], { policy: 'lan' });
    await sleep(1500);
    assert.ok(hub.rows().some((r) => r.m === 2 && r.recv > 0));
    assert.ok(hub.rows().some((r) => r.m === 3 && r.sent === 0 && /cannot resolve nowhere\.test/.test(r.err ?? '')));
    // Remove 2: after its last (closed) row, nothing more of it.
    service.assign([monitor(1, 'target.test', { intervalMs: 500 })], { policy: 'lan' });
    await sleep(300);
    const before = hub.rows().filter((r) => r.m === 2).length;
    await sleep(1200);
    assert.equal(hub.rows().filter((r) => r.m === 2).length, before);
    assert.equal(service.size, 1);
  } finally {
    service.close();
    await dns.close();
  }
  // Closed rows: each minute of monitor 1 once, sent ≥ recv, whole minutes apart.
  const closed = new Map<number, MinuteRow>();
  for (const r of hub.rows().filter((x) => x.m === 1)) {
    assert.ok(r.recv <= r.sent);
    assert.equal(r.t % 60_000, 0);
    const prev = closed.get(r.t);
    if (!prev || prev.sent <= r.sent) closed.set(r.t, r);
  }
  assert.ok(closed.size >= 3);
});
