// The hub's monitor service with real agents' WebSockets (issue 13 item 3, the hub's half):
// assignment by capability and `from`, live changes, ingest and ack, a report resent after a cut
// counted once, a hub restart on the same data directory, and a store failure that is not acked.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHub, type Hub } from '../../../hub/http/server.ts';
import { openSqliteStore } from '../../../hub/store/sqlite-store.ts';
import type { MonitorStore } from '../../../hub/store/monitor-store.ts';
import { Histogram } from '../../../shared/model/histogram.ts';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import type { MinuteRow } from '../../../shared/model/monitor-types.ts';
import { AgentCloseCode } from '../../../shared/wire/agent-protocol-constants.ts';
import { MonitorAgent } from '../../helpers/monitor-agent.ts';
import { withTestHub } from '../../helpers/test-hub.ts';

const ADMIN = { subject: 'admin', scopes: ['admin'] };

function row(m: number, t: number, rtts: (number | null)[], extra: Partial<MinuteRow> = {}): MinuteRow {
  const h = new Histogram();
  const got = rtts.filter((r): r is number => r !== null);
  for (const r of got) h.add(r);
  return { m, t, sent: rtts.length, recv: got.length, sum: got.reduce((a, b) => a + b, 0), hist: h.pairs(), ...(got.length ? { min: Math.min(...got), max: Math.max(...got), last: got.at(-1)! } : {}), addr: '127.0.0.1', ...extra };
}

async function agentToken(hub: Hub, name: string): Promise<string> {
  return (await hub.tokens.issue({ sub: `agent:${name}`, scopes: ['agent'] })).token;
}

const minuteNow = () => Math.floor(Date.now() / 60_000) * 60_000;

test('monitors go to the capable agents that match from, and follow add, pause and remove live', async () => {
  await withTestHub({}, async (t) => {
    const hub = t.hub;
    const lax1 = await MonitorAgent.connect(t.url, await agentToken(hub, 'lax1'), 'lax1', { country: 'US' });
    const fra1 = await MonitorAgent.connect(t.url, await agentToken(hub, 'fra1'), 'fra1', { country: 'DE' });
    const old1 = await MonitorAgent.connect(t.url, await agentToken(hub, 'old1'), 'old1', { capabilities: ['icmp', 'ping'] });
    try {
      // On connect, every monitor agent gets its (empty) set.
      await lax1.assigned([]);
      await fra1.assigned([]);
      const de = hub.monitors.create(ADMIN, { target: '127.0.0.1', from: ['country=DE'] });
      await fra1.assigned([de.id]);
      const all = hub.monitors.create(ADMIN, { target: '127.0.0.2', interval: '500ms', trace: '10m' });
      const frame = await lax1.assigned([all.id]);
      assert.deepEqual(frame.list[0], { id: all.id, type: 'ping', target: '127.0.0.2', intervalMs: 500, timeoutMs: 1000, traceMs: 600_000, rev: frame.list[0]!.rev });
      assert.equal(frame.policy, 'lan');
      await fra1.assigned([de.id, all.id]);
      assert.deepEqual(hub.monitors.show(ADMIN, String(all.id)).agents, ['fra1', 'lax1']);

      hub.monitors.update(ADMIN, String(de.id), { paused: true });
      await fra1.assigned([all.id]);
      hub.monitors.update(ADMIN, String(de.id), { paused: false, from: ['lax1'] });
      await lax1.assigned([de.id, all.id]);
      await fra1.assigned([all.id]);
      hub.monitors.remove(ADMIN, String(all.id));
      await lax1.assigned([de.id]);
      await fra1.assigned([]);
      // An agent that does not announce `monitor` is never sent a set.
      assert.equal(old1.assignments.length, 0);
    } finally {
      await Promise.all([lax1.close(), fra1.close(), old1.close()]);
    }
  });
});

test('a report is stored, then acked; statistics and series follow; rows of other monitors are dropped', async () => {
  await withTestHub({}, async (t) => {
    const hub = t.hub;
    const lax1 = await MonitorAgent.connect(t.url, await agentToken(hub, 'lax1'), 'lax1', { country: 'US' });
    try {
      const m = hub.monitors.create(ADMIN, { target: 'lo@127.0.0.1' });
      const other = hub.monitors.create(ADMIN, { target: '127.0.0.9', from: ['country=DE'] });
      await lax1.assigned([m.id]);
      const t0 = minuteNow() - 120_000;
      await lax1.reportAcked(1, [
        row(m.id, t0, [0.05, 0.06, null, 0.07], { ewma: [0.06, 0.06, 0.06], lastAt: t0 + 50_000 }),
        row(other.id, t0, [1, 2]),
      ], [{ m: m.id, at: t0, addr: '127.0.0.1', hops: ['127.0.0.1'], reached: true }]);
      const s = hub.monitors.list(ADMIN).find((x) => x.id === m.id)!.stats;
      assert.equal(s.length, 1);
      assert.equal(s[0]!.agent, 'lax1');
      assert.equal(s[0]!.sent, 4);
      assert.equal(s[0]!.received, 3);
      assert.equal(s[0]!.lossPct, 25);
      assert.equal(s[0]!.minMs, 0.05);
      assert.equal(s[0]!.maxMs, 0.07);
      assert.equal(s[0]!.avg15mMs, 0.06);
      assert.equal(s[0]!.address, '127.0.0.1');
      assert.ok(s[0]!.p50Ms! >= 0.06 && s[0]!.p50Ms! < 0.07 * 1.08, String(s[0]!.p50Ms));
      assert.equal(hub.monitors.counters.rowsDropped, 1);
      assert.equal(hub.monitors.show(ADMIN, String(other.id)).stats.length, 0, 'the dropped row of a monitor lax1 does not run is nowhere');

      const series = [...hub.monitors.series()].filter((x) => x.monitorId === m.id);
      assert.equal(series.length, 1);
      assert.equal(series[0]!.sent, 4);
      assert.equal(series[0]!.received, 3);
      assert.equal(series[0]!.histogram.total, 3);
      assert.equal(series[0]!.monitor, 'lo');
      assert.equal(series[0]!.target, 'lo@127.0.0.1');
      assert.equal(series[0]!.address, '127.0.0.1');

      // A changed route is recorded and counted once.
      await lax1.reportAcked(2, [], [{ m: m.id, at: t0 + 60_000, addr: '127.0.0.1', hops: ['127.0.0.5', '127.0.0.1'], reached: true }]);
      assert.equal([...hub.monitors.series()].find((x) => x.monitorId === m.id)!.routeChanges, 1);
      assert.equal(hub.monitors.show(ADMIN, 'lo').routeChanges.length, 1);
    } finally {
      await lax1.close();
    }
  });
});

test('a report sent again after a cut counts once, and its grown rows count what they grew by', async () => {
  await withTestHub({}, async (t) => {
    const hub = t.hub;
    const token = await agentToken(hub, 'lax1');
    let lax1 = await MonitorAgent.connect(t.url, token, 'lax1');
    const m = hub.monitors.create(ADMIN, { target: '127.0.0.1' });
    await lax1.assigned([m.id]);
    const t0 = minuteNow() - 180_000;
    const first = row(m.id, t0, [0.1, 0.1, 0.1]);
    await lax1.reportAcked(1, [first]);
    // The ack is lost in the cut: the agent sends seq 1 again, then its grown open minute and a new one.
    await lax1.close();
    lax1 = await MonitorAgent.connect(t.url, token, 'lax1');
    try {
      await lax1.assigned([m.id]);
      await lax1.reportAcked(1, [first]);
      await lax1.reportAcked(2, [row(m.id, t0, [0.1, 0.1, 0.1, 0.2, null]), row(m.id, t0 + 60_000, [0.3])]);
      await lax1.reportAcked(3, [first]); // an older, smaller copy changes nothing
      const s = hub.monitors.list(ADMIN)[0]!.stats[0]!;
      assert.equal(s.sent, 6);
      assert.equal(s.received, 5);
      const series = [...hub.monitors.series()][0]!;
      assert.equal(series.sent, 6);
      assert.equal(series.histogram.total, 5);
      const samples = hub.monitors.samples(ADMIN, String(m.id), { from: t0 - 60_000, to: t0 + 120_000, stepMs: 60_000 }).samples;
      assert.deepEqual(samples.map((x) => [x.sent, x.received]), [[5, 4], [1, 1]]);
    } finally {
      await lax1.close();
    }
  });
});

test('a hub restarted on the same data directory keeps monitors and history and re-assigns on reconnect', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-mon-restart-'));
  try {
    let hub = await createHub({ listen: '127.0.0.1:0', dataDir });
    const m = hub.monitors.create({ subject: 'telegram:7', scopes: ['measure'] }, { target: 'lo@127.0.0.1', interval: 2 });
    const token = await agentToken(hub, 'lax1');
    let lax1 = await MonitorAgent.connect(hub.url, token, 'lax1');
    await lax1.assigned([m.id]);
    const t0 = minuteNow() - 60_000;
    await lax1.reportAcked(1, [row(m.id, t0, [0.2, 0.3, null], { ewma: [0.25, 0.25, 0.25] })]);
    const before = hub.monitors.list(ADMIN)[0]!;
    await hub.close();
    await lax1.closed;

    hub = await createHub({ listen: '127.0.0.1:0', dataDir });
    try {
      const after = hub.monitors.list(ADMIN)[0]!;
      assert.deepEqual({ ...after, agents: [] }, { ...before, agents: [] });
      const series = [...hub.monitors.series()][0]!;
      assert.equal(series.sent, 3);
      assert.equal(series.histogram.total, 2);
      lax1 = await MonitorAgent.connect(hub.url, token, 'lax1');
      await lax1.assigned([m.id]);
      await lax1.reportAcked(7, [row(m.id, t0, [0.2, 0.3, null, 0.4])]);
      assert.equal(hub.monitors.list(ADMIN)[0]!.stats[0]!.sent, 4);
      await lax1.close();
    } finally {
      await hub.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a report the store cannot take is not acked; the agent is asked to reconnect, and its resend is acked', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-mon-fail-'));
  const real = openSqliteStore(dataDir);
  let failing = false;
  // The real store, with its writes failing on demand as a full disk makes them fail.
  const store = new Proxy(real, {
    get(target, prop) {
      if (prop === 'upsertRows') {
        return (agent: string, rows: readonly MinuteRow[]) => {
          if (failing) throw new MeshprobeError(ErrorCode.Store, 'store meshprobe.db: disk full while storing rows: nothing was stored; free space and it is retried');
          return target.upsertRows(agent, rows);
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as MonitorStore;
  const hub = await createHub({ listen: '127.0.0.1:0', dataDir, monitors: { store } });
  try {
    const token = await agentToken(hub, 'lax1');
    let lax1 = await MonitorAgent.connect(hub.url, token, 'lax1');
    const m = hub.monitors.create(ADMIN, { target: '127.0.0.1' });
    await lax1.assigned([m.id]);
    const t0 = minuteNow() - 60_000;
    failing = true;
    lax1.report(1, [row(m.id, t0, [0.1])]);
    lax1.report(2, [row(m.id, t0 + 60_000, [0.1])]);
    const closed = await lax1.closed;
    assert.equal(closed.code, AgentCloseCode.goingAway);
    assert.match(closed.reason, /could not store a monitor report/);
    assert.deepEqual(lax1.acks, []);
    assert.equal(hub.monitors.list(ADMIN)[0]!.stats.reduce((a, s) => a + s.sent, 0), 0);

    failing = false;
    lax1 = await MonitorAgent.connect(hub.url, token, 'lax1');
    await lax1.reportAcked(1, [row(m.id, t0, [0.1])]);
    await lax1.reportAcked(2, [row(m.id, t0 + 60_000, [0.1])]);
    assert.equal(hub.monitors.list(ADMIN)[0]!.stats[0]!.sent, 2);
    await lax1.close();
  } finally {
    await hub.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('a store that cannot open stops createHub with one MP_ERR_STORE line', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-mon-corrupt-'));
  try {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dataDir, 'meshprobe.db'), 'this is not a database, it is a test of one '.repeat(200));
    await assert.rejects(createHub({ listen: '127.0.0.1:0', dataDir }), (err: unknown) => {
      assert.ok(err instanceof MeshprobeError);
      assert.equal(err.code, ErrorCode.Store);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
