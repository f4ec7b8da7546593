// The SQLite monitor store against real files: monitors, idempotent minute rows, samples in
// steps, exact rollups, retention, a real close and reopen. Refusals (corrupt, foreign, newer,
// locked, read-only, disk full) are in sqlite-store-refusals.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import type { MonitorStore, NewMonitor } from '../../../hub/store/monitor-store.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../../../hub/store/sqlite-store.ts';
import { Histogram } from '../../../shared/model/histogram.ts';
import type { MinuteRow } from '../../../shared/model/monitor-types.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A minute boundary: 2026-01-01T00:00Z. */
const T0 = Date.UTC(2026, 0, 1);

function withStore(body: (store: MonitorStore, dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-store-'));
    const store = openSqliteStore(dir);
    try {
      await body(store, dir);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const monitor = (owner: string, name: string, extra: Partial<NewMonitor> = {}): NewMonitor => ({
  owner,
  name,
  type: 'ping',
  target: `${name}.test`,
  probe: `${name}.test`,
  intervalMs: 1000,
  traceMs: null,
  from: [],
  alerts: [],
  notify: {},
  paused: false,
  ...extra,
});

/** A minute row of `rtts` (ms) out of `sent` probes. */
function row(m: number, t: number, sent: number, rtts: number[], extra: Partial<MinuteRow> = {}): MinuteRow {
  const h = new Histogram();
  for (const v of rtts) h.add(v);
  const r: MinuteRow = { m, t, sent, recv: rtts.length, sum: rtts.reduce((a, b) => a + b, 0), hist: h.pairs(), ...extra };
  if (rtts.length > 0) {
    r.min = Math.min(...rtts);
    r.max = Math.max(...rtts);
  }
  return r;
}

/** Pseudo-random but fixed round trips for minute `i` of a series. */
function rttsOf(i: number, n: number): number[] {
  return Array.from({ length: n }, (_, j) => Math.round((0.02 + ((i * 7919 + j * 104729) % 1000) / 37) * 1e6) / 1e6);
}

test(
  'monitors: create, find, list, count, update (rev bumped only for what agents run) and delete',
  withStore((store) => {
    const a = store.createMonitor(monitor('telegram:1', 'uplink', { from: ['lax1'], alerts: ['loss>5% for 5m'], notify: { telegram: '1' } }), T0);
    assert.equal(a.id, 1);
    assert.equal(a.rev, 1);
    assert.equal(a.createdAt, T0);
    assert.deepEqual(store.getMonitor(a.id), a);
    assert.deepEqual(store.findMonitor('telegram:1', 'uplink'), a);
    assert.equal(store.findMonitor('telegram:2', 'uplink'), undefined);

    const b = store.createMonitor(monitor('telegram:2', 'uplink'), T0);
    const c = store.createMonitor(monitor('telegram:1', 'dns'), T0);
    assert.deepEqual(store.listMonitors().map((m) => m.id), [a.id, b.id, c.id]);
    assert.deepEqual(store.listMonitors('telegram:1').map((m) => m.name), ['uplink', 'dns']);
    assert.equal(store.countMonitors('telegram:1'), 2);
    assert.equal(store.countMonitors('nobody'), 0);

    const renamed = store.updateMonitor(a.id, { name: 'wan' }, T0 + 1);
    assert.equal(renamed?.name, 'wan');
    assert.equal(renamed?.rev, 1, 'a rename does not restart the monitor on the agents');
    assert.equal(renamed?.updatedAt, T0 + 1);
    const slower = store.updateMonitor(a.id, { intervalMs: 5000, paused: true }, T0 + 2);
    assert.equal(slower?.rev, 2);
    assert.equal(slower?.paused, true);
    assert.deepEqual(store.getMonitor(a.id), slower);
    assert.equal(store.updateMonitor(999, { name: 'x' }), undefined);

    assert.equal(store.deleteMonitor(b.id), true);
    assert.equal(store.deleteMonitor(b.id), false);
    assert.equal(store.getMonitor(b.id), undefined);
    const d = store.createMonitor(monitor('telegram:2', 'uplink'), T0);
    assert.ok(d.id > c.id, 'ids of deleted monitors are not reused (agents may still hold rows for them)');
  }),
);

test(
  'names are unique per owner: a second one, or a rename onto one, is refused with MP_ERR_BAD_REQUEST',
  withStore((store) => {
    store.createMonitor(monitor('email:a@b.test', 'gw'));
    const other = store.createMonitor(monitor('email:a@b.test', 'dns'));
    assert.throws(() => store.createMonitor(monitor('email:a@b.test', 'gw')), { code: 'MP_ERR_BAD_REQUEST', message: /"gw" exists already/ });
    assert.throws(() => store.updateMonitor(other.id, { name: 'gw' }), { code: 'MP_ERR_BAD_REQUEST' });
    assert.equal(store.countMonitors('email:a@b.test'), 2, 'nothing was written by the refused calls');
  }),
);

test(
  'upsertRows: a row sent twice counts once, a smaller one is ignored, a grown one replaces it and reports the previous',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const first = row(m, T0, 10, rttsOf(0, 9));
    const changes1 = store.upsertRows('lax1', [first]);
    assert.equal(changes1.length, 1);
    assert.equal(changes1[0]!.previous, undefined);
    assert.deepEqual(store.upsertRows('lax1', [first]), [], 'the same row again changes nothing');
    assert.deepEqual(store.upsertRows('lax1', [row(m, T0, 5, rttsOf(0, 5))]), [], 'fewer sent: ignored');
    assert.deepEqual(store.upsertRows('lax1', [row(m, T0, 10, rttsOf(0, 8))]), [], 'same sent, fewer received: ignored');

    const later = row(m, T0, 10, rttsOf(0, 10));
    const changes2 = store.upsertRows('lax1', [later]);
    assert.equal(changes2.length, 1, 'same sent, one more received: a late reply grows the row');
    const prev = changes2[0]!.previous!;
    assert.equal(prev.sent, 10);
    assert.equal(prev.recv, 9);
    assert.deepEqual(prev.hist, first.hist);
    assert.equal(prev.min, first.min);

    const grown = row(m, T0, 60, rttsOf(0, 58));
    assert.equal(store.upsertRows('lax1', [grown]).length, 1);
    const total = store.totals(m).get('lax1')!;
    assert.equal(total.sent, 60);
    assert.equal(total.recv, 58);
    assert.deepEqual(total.hist, grown.hist);
    assert.ok(Math.abs(total.sum - grown.sum) < 1e-6);
    assert.equal(total.min, grown.min);
    assert.equal(total.max, grown.max);
    assert.equal(total.t, T0);
  }),
);

test(
  'upsertRows: rows of unknown monitors are skipped, others of the same call stored; one series per agent',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const changes = store.upsertRows('lax1', [row(999, T0, 3, [1, 2, 3]), row(m, T0, 3, [1, 2, 3]), row(m, T0 + MIN, 3, [4])]);
    assert.deepEqual(changes.map((c) => [c.row.m, c.row.t]), [[m, T0], [m, T0 + MIN]]);
    store.upsertRows('fra1', [row(m, T0, 2, [5, 6])]);
    const totals = store.totals(m);
    assert.deepEqual([...totals.keys()].sort(), ['fra1', 'lax1']);
    assert.equal(totals.get('lax1')!.sent, 6);
    assert.equal(totals.get('lax1')!.recv, 4);
    assert.equal(totals.get('fra1')!.recv, 2);
    assert.equal(store.totals(999).size, 0);
  }),
);

test(
  'latestRows: the newest row of each agent, with its extras (last, EWMAs, address, error)',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    store.upsertRows('lax1', [
      row(m, T0 + MIN, 60, [1, 2], { last: 2, lastAt: T0 + 2 * MIN - 1, ewma: [1.5, 1.4, 1.3], addr: '127.0.0.2' }),
      // An older minute arriving after a newer one (a buffered backlog) does not become "latest".
      row(m, T0, 60, [3], { last: 3, lastAt: T0 + MIN - 1, ewma: [9, 9, 9], addr: '127.0.0.1' }),
    ]);
    store.upsertRows('fra1', [row(m, T0, 5, [], { err: 'name does not resolve' })]);
    const latest = store.latestRows(m);
    const lax = latest.get('lax1')!;
    assert.equal(lax.t, T0 + MIN);
    assert.equal(lax.sent, 60);
    assert.deepEqual(lax.ewma, [1.5, 1.4, 1.3]);
    assert.equal(lax.addr, '127.0.0.2');
    assert.equal(lax.last, 2);
    const fra = latest.get('fra1')!;
    assert.equal(fra.recv, 0);
    assert.equal(fra.min, undefined);
    assert.equal(fra.err, 'name does not resolve');
  }),
);

test(
  'samples: minute rows merged into steps from `from`, per agent or one agent, t ascending',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const rows: MinuteRow[] = [];
    for (let i = 0; i < 180; i++) rows.push(row(m, T0 + i * MIN, 60, rttsOf(i, 55 + (i % 5))));
    store.upsertRows('lax1', rows);
    store.upsertRows('fra1', rows.slice(0, 60));

    const perMinute = store.samples(m, { agent: 'lax1', from: T0, to: T0 + 10 * MIN, stepMs: MIN });
    assert.equal(perMinute.length, 10);
    assert.deepEqual(perMinute[3], { t: T0 + 3 * MIN, agent: 'lax1', sent: 60, recv: rows[3]!.recv, min: rows[3]!.min, max: rows[3]!.max, sum: perMinute[3]!.sum, hist: rows[3]!.hist });
    assert.ok(Math.abs(perMinute[3]!.sum - rows[3]!.sum) < 1e-6);

    const hourly = store.samples(m, { from: T0, to: T0 + 3 * HOUR, stepMs: HOUR });
    assert.deepEqual(hourly.map((s) => [s.t, s.agent]), [[T0, 'fra1'], [T0, 'lax1'], [T0 + HOUR, 'lax1'], [T0 + 2 * HOUR, 'lax1']]);
    const expect = Histogram.from([]);
    for (const r of rows.slice(60, 120)) expect.merge(r.hist);
    const second = hourly[2]!;
    assert.deepEqual(second.hist, expect.pairs(), 'histograms of a step are the sum of its rows');
    assert.equal(second.sent, 3600);
    assert.equal(second.recv, rows.slice(60, 120).reduce((a, r) => a + r.recv, 0));
    assert.equal(second.min, Math.min(...rows.slice(60, 120).map((r) => r.min!)));

    // Steps start at `from`: 30 minutes in, a 60-minute step holds minutes 30..89.
    const shifted = store.samples(m, { agent: 'lax1', from: T0 + 30 * MIN, to: T0 + 90 * MIN, stepMs: HOUR });
    assert.equal(shifted.length, 1);
    assert.equal(shifted[0]!.t, T0 + 30 * MIN);
    assert.equal(shifted[0]!.sent, 3600);
    assert.deepEqual(store.samples(m, { from: T0 - DAY, to: T0, stepMs: MIN }), [], 'nothing before the first row');
    assert.throws(() => store.samples(m, { from: T0, to: T0 + HOUR, stepMs: 1000 }), { code: 'MP_ERR_BAD_REQUEST' });
  }),
);

test(
  'rollup folds old minutes into hourly rows exactly, is idempotent, and a late row of a folded hour is not counted twice',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const rows: MinuteRow[] = [];
    // 3 days of minute rows, with gaps, for two agents.
    for (let i = 0; i < 3 * 1440; i += 1 + (i % 7 === 0 ? 3 : 0)) rows.push(row(m, T0 + i * MIN, 60, rttsOf(i, 50 + (i % 11))));
    for (let i = 0; i < rows.length; i += 4096) store.upsertRows('lax1', rows.slice(i, i + 4096));
    store.upsertRows('fra1', rows.filter((_, i) => i % 3 === 0));
    const now = T0 + 3 * DAY;
    const range = { from: T0, to: now, stepMs: DAY };
    const before = { totals: store.totals(m), samples: store.samples(m, range), latest: store.latestRows(m) };

    const opts = { minuteRetentionMs: DAY + 30 * MIN, hourRetentionMs: 400 * DAY };
    const r1 = store.rollup(now, opts);
    // Minutes before now − 24.5 hours, rounded down to a whole hour: the first 47 hours.
    const cutoff = T0 + 47 * HOUR;
    const folded = rows.filter((r) => r.t < cutoff).length + rows.filter((r, i) => i % 3 === 0 && r.t < cutoff).length;
    assert.equal(r1.minutesFolded, folded);
    assert.equal(r1.hoursDeleted, 0);
    assert.deepEqual(store.totals(m), before.totals, 'totals are unchanged by folding');
    assert.deepEqual(stripSums(store.samples(m, range)), stripSums(before.samples), 'daily steps are the same from hourly rows');
    assert.deepEqual(store.latestRows(m), before.latest);

    const hourly = store.samples(m, { agent: 'lax1', from: T0, to: T0 + 36 * HOUR, stepMs: HOUR });
    assert.equal(hourly.length, 36);
    const hour5 = Histogram.from([]);
    for (const r of rows.filter((r) => r.t >= T0 + 5 * HOUR && r.t < T0 + 6 * HOUR)) hour5.merge(r.hist);
    assert.deepEqual(hourly[5]!.hist, hour5.pairs());
    // Below an hour, an hourly row lands whole in the step its hour starts in.
    const fine = store.samples(m, { agent: 'lax1', from: T0 + 5 * HOUR, to: T0 + 6 * HOUR, stepMs: 10 * MIN });
    assert.deepEqual(fine.map((s) => [s.t, s.sent]), [[T0 + 5 * HOUR, hourly[5]!.sent]]);

    assert.deepEqual(store.rollup(now, opts), { minutesFolded: 0, hoursDeleted: 0 }, 'a second rollup has nothing to do');
    assert.deepEqual(store.rollup(now + 10 * MIN, opts), { minutesFolded: 0, hoursDeleted: 0 });

    // An agent re-sending a row of a folded hour (a grown one, even) is skipped: counted once.
    const late = row(m, T0 + 5 * HOUR, 61, rttsOf(0, 61));
    assert.deepEqual(store.upsertRows('lax1', [late]), []);
    assert.deepEqual(store.totals(m), before.totals);
  }),
);

test('a rollup in budgeted calls ends with the same rows as one call, and a late row of a half-folded hour counts once', async () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'mp-store-')), mkdtempSync(join(tmpdir(), 'mp-store-'))];
  const [whole, stepped] = dirs.map((d) => openSqliteStore(d)) as [MonitorStore, MonitorStore];
  const opts = { minuteRetentionMs: 2 * DAY, hourRetentionMs: 3 * DAY };
  const now = T0 + 2 * HOUR + 2 * DAY;
  // A row of monitor 12 at fra1 (the last series) in the first hour, grown: it arrives while that
  // hour is half folded, before its series is.
  const grown = row(12, T0 + 30 * MIN, 61, rttsOf(11 + 30, 60));
  try {
    for (const store of [whole, stepped]) {
      // 12 monitors × 2 agents (series 1..24 in this order): a row an hour for 4 days, folded
      // into hourly rows at once, then 3 hours of minute rows (monitor 4 misses the first).
      for (let k = 0; k < 12; k++) {
        const m = store.createMonitor(monitor('admin', `m${k}`)).id;
        for (const agent of ['lax1', 'fra1']) {
          store.upsertRows(agent, Array.from({ length: 4 * 24 }, (_, i) => row(m, T0 - 4 * DAY + i * HOUR, 3600, [1, 2, 3])));
          store.upsertRows(agent, Array.from({ length: 180 }, (_, i) => row(m, T0 + i * MIN, 60, rttsOf(i + k, 60))).filter((r) => !(k === 3 && r.t < T0 + HOUR)));
        }
      }
      assert.equal(store.rollup(now - 2 * HOUR, opts).minutesFolded, 24 * 96);
    }
    whole.upsertRows('fra1', [grown]);
    const one = whole.rollup(now, opts);
    assert.equal(one.more, undefined, 'without a budget one call does it all');
    assert.equal(one.minutesFolded, 24 * 120 - 2 * 60);
    assert.ok(one.hoursDeleted > 0);

    // 600 rows a call: 10 series' hour at a time; monitor 4 (series 7, 8) has none in the first.
    const first = stepped.rollup(now, { ...opts, maxRows: 600 });
    assert.deepEqual(first, { minutesFolded: 8 * 60, hoursDeleted: 0, more: true });
    // Series 1..10 of the first hour are folded: a row of theirs sent again (grown) is skipped;
    // a row of a series not folded yet is taken, and folded later.
    const before = stepped.totals(1).get('lax1')!.sent;
    assert.deepEqual(stepped.upsertRows('lax1', [row(1, T0 + 30 * MIN, 61, rttsOf(0, 61))]), [], 'folded already: skipped');
    assert.equal(stepped.totals(1).get('lax1')!.sent, before);
    assert.equal(stepped.upsertRows('fra1', [grown]).length, 1, 'not folded yet: taken');
    let calls = 1;
    let folded = first.minutesFolded;
    let deleted = first.hoursDeleted;
    for (;;) {
      const r = stepped.rollup(now, { ...opts, maxRows: 600 });
      calls++;
      folded += r.minutesFolded;
      deleted += r.hoursDeleted;
      assert.ok(r.minutesFolded <= 600);
      if (!r.more) break;
      assert.ok(calls < 100, 'it ends');
    }
    assert.ok(calls >= 5, `several calls (${calls})`);
    assert.equal(folded, one.minutesFolded);
    assert.equal(deleted, one.hoursDeleted);
    for (let m = 1; m <= 12; m++) {
      const range = { from: T0 - 4 * DAY, to: now, stepMs: HOUR };
      assert.deepEqual(stepped.samples(m, range), whole.samples(m, range), `monitor ${m}: the same rows`);
      assert.deepEqual(stepped.totals(m), whole.totals(m));
    }
    assert.deepEqual(stepped.rollup(now, { ...opts, maxRows: 600 }), { minutesFolded: 0, hoursDeleted: 0 }, 'nothing left');
  } finally {
    whole.close();
    stepped.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});

test(
  'rollup deletes hourly rows past the hour retention, and old route and address history',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const rows = Array.from({ length: 10 * 24 }, (_, i) => row(m, T0 + i * HOUR, 60, [1, 2, 3]));
    store.upsertRows('lax1', rows);
    store.recordAddress(m, 'lax1', '127.0.0.1', T0);
    store.recordAddress(m, 'lax1', '127.0.0.2', T0 + HOUR);
    store.recordAddress(m, 'lax1', '127.0.0.3', T0 + 9 * DAY);
    store.recordRoute('lax1', { m, at: T0, addr: '127.0.0.1', hops: ['127.0.0.1'], reached: true });
    store.recordRoute('lax1', { m, at: T0 + HOUR, addr: '127.0.0.1', hops: ['127.0.0.9', '127.0.0.1'], reached: true });
    const now = T0 + 12 * DAY;
    const r = store.rollup(now, { minuteRetentionMs: DAY, hourRetentionMs: 5 * DAY });
    assert.equal(r.minutesFolded, 240);
    assert.equal(r.hoursDeleted, 7 * 24, 'the hours of days 0..6 are older than 5 days');
    const left = store.samples(m, { from: T0, to: now, stepMs: DAY });
    assert.deepEqual(left.map((s) => (s.t - T0) / DAY), [7, 8, 9]);
    assert.deepEqual(store.routeChanges(m, 0), []);
    assert.deepEqual(store.addressChanges(m, 0).map((c) => c.to), ['127.0.0.3']);
    assert.equal(store.totals(m).get('lax1')!.sent, 240 * 60, 'totals count since the monitor began');
  }),
);

test('everything survives a real close and reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-'));
  try {
    let store = openSqliteStore(dir);
    const m = store.createMonitor(monitor('telegram:7', 'gw', { alerts: ['p95>50ms for 10m'] }), T0);
    store.upsertRows('lax1', [row(m.id, T0, 60, rttsOf(1, 60), { ewma: [1, 2, 3] }), row(m.id, T0 + MIN, 30, rttsOf(2, 29))]);
    store.recordRoute('lax1', { m: m.id, at: T0, addr: '127.0.0.1', hops: [null, '127.0.0.1'], reached: true });
    store.recordRoute('lax1', { m: m.id, at: T0 + HOUR, addr: '127.0.0.1', hops: ['127.0.0.5', '127.0.0.1'], reached: true });
    store.recordAddress(m.id, 'lax1', '127.0.0.1', T0);
    store.setAlertState(m.id, 'p95>50ms for 10m', { holding: true, since: T0, notifiedAt: T0 + 5 });
    const snapshot = (s: MonitorStore) => ({
      monitors: s.listMonitors(),
      totals: s.totals(m.id),
      latest: s.latestRows(m.id),
      samples: s.samples(m.id, { from: T0, to: T0 + HOUR, stepMs: MIN }),
      routes: s.routeChanges(m.id, 0),
      addresses: s.addressChanges(m.id, 0),
      alert: s.alertState(m.id, 'p95>50ms for 10m'),
    });
    const before = snapshot(store);
    store.close();
    store = openSqliteStore(dir);
    assert.deepEqual(snapshot(store), before);
    assert.equal(before.routes.length, 1);
    // Ids keep counting after a reopen.
    assert.equal(store.createMonitor(monitor('telegram:7', 'gw2')).id, m.id + 1);
    // The same row again after the restart still counts once.
    assert.deepEqual(store.upsertRows('lax1', [row(m.id, T0 + MIN, 30, rttsOf(2, 29))]), []);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'deleting a monitor deletes its minute and hourly rows, series, routes, addresses and alert state',
  withStore((store, dir) => {
    const keep = store.createMonitor(monitor('admin', 'keep')).id;
    const gone = store.createMonitor(monitor('admin', 'gone')).id;
    for (const m of [keep, gone]) {
      store.upsertRows('lax1', Array.from({ length: 180 }, (_, i) => row(m, T0 + i * MIN, 60, [1])));
      store.recordRoute('lax1', { m, at: T0, addr: '127.0.0.1', hops: ['127.0.0.1'], reached: true });
      store.recordAddress(m, 'lax1', '127.0.0.1', T0);
      store.setAlertState(m, 'loss>5% for 5m', { holding: false, since: T0, notifiedAt: null });
    }
    store.rollup(T0 + 2 * HOUR + 14 * DAY, { minuteRetentionMs: 14 * DAY, hourRetentionMs: 400 * DAY });
    assert.equal(store.deleteMonitor(gone), true);
    const db = new DatabaseSync(join(dir, STORE_FILE_NAME), { readOnly: true });
    try {
      const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      assert.equal(n('SELECT count(*) AS n FROM minute_rows'), 60, "only the kept monitor's last hour of minutes");
      assert.equal(n('SELECT count(*) AS n FROM hour_rows'), 2);
      assert.equal(n('SELECT count(*) AS n FROM series'), 1);
      for (const table of ['routes', 'addresses', 'alert_state']) assert.equal(n(`SELECT count(*) AS n FROM ${table} WHERE monitor = ${gone}`), 0, table);
    } finally {
      db.close();
    }
    assert.equal(store.totals(keep).get('lax1')!.sent, 180 * 60);
    assert.equal(store.alertState(gone, 'loss>5% for 5m'), undefined);
  }),
);

test(
  'route watch: the first route is no change, a different one is, a re-sent or older record is ignored',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    const hops1 = ['127.0.0.1', null, '127.0.0.3'];
    const hops2 = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    assert.equal(store.recordRoute('lax1', { m, at: T0, addr: '127.0.0.3', hops: hops1, reached: true }), undefined);
    assert.equal(store.recordRoute('lax1', { m, at: T0 + MIN, addr: '127.0.0.3', hops: hops1, reached: true }), undefined);
    assert.deepEqual(store.recordRoute('lax1', { m, at: T0 + 2 * MIN, addr: '127.0.0.3', hops: hops2, reached: true }), {
      monitor: m,
      agent: 'lax1',
      at: T0 + 2 * MIN,
      from: hops1,
      to: hops2,
    });
    assert.equal(store.recordRoute('lax1', { m, at: T0 + 2 * MIN, addr: '127.0.0.3', hops: hops2, reached: true }), undefined, 're-sent');
    assert.equal(store.recordRoute('lax1', { m, at: T0 + MIN, addr: '127.0.0.3', hops: hops1, reached: true }), undefined, 'older');
    assert.equal(store.recordRoute('lax1', { m: 999, at: T0, addr: '127.0.0.3', hops: hops1, reached: true }), undefined);
    assert.equal(store.routeChanges(m, 0).length, 1);
    assert.equal(store.routeChanges(m, T0 + 3 * MIN).length, 0);
  }),
);

test(
  'address history: the first address and each change are recorded, the same address again is not',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    assert.deepEqual(store.recordAddress(m, 'lax1', '127.0.0.1', T0), { monitor: m, agent: 'lax1', at: T0, from: null, to: '127.0.0.1' });
    assert.equal(store.recordAddress(m, 'lax1', '127.0.0.1', T0 + MIN), undefined);
    assert.deepEqual(store.recordAddress(m, 'lax1', '::1', T0 + 2 * MIN)?.from, '127.0.0.1');
    store.recordAddress(m, 'fra1', '127.0.0.7', T0 + 3 * MIN);
    assert.deepEqual(
      store.addressChanges(m, T0 + MIN).map((c) => [c.agent, c.from, c.to]),
      [['lax1', '127.0.0.1', '::1'], ['fra1', null, '127.0.0.7']],
    );
    assert.equal(store.recordAddress(999, 'lax1', '127.0.0.1', T0), undefined);
  }),
);

test(
  'alert state per monitor and rule; none is kept for an unknown monitor',
  withStore((store) => {
    const m = store.createMonitor(monitor('admin', 'gw')).id;
    assert.equal(store.alertState(m, 'loss>5% for 5m'), undefined);
    store.setAlertState(m, 'loss>5% for 5m', { holding: true, since: T0, notifiedAt: null });
    store.setAlertState(m, 'loss>5% for 5m', { holding: true, since: T0, notifiedAt: T0 + 1 });
    assert.deepEqual(store.alertState(m, 'loss>5% for 5m'), { holding: true, since: T0, notifiedAt: T0 + 1 });
    store.setAlertState(999, 'loss>5% for 5m', { holding: true, since: T0, notifiedAt: null });
    assert.equal(store.alertState(999, 'loss>5% for 5m'), undefined);
  }),
);

/** Sums of many float ms rows are compared with a tolerance, the rest exactly. */
function stripSums<T extends { sum: number }>(xs: T[]): (Omit<T, 'sum'> & { sum: number })[] {
  return xs.map((x) => ({ ...x, sum: Math.round(x.sum * 1e3) / 1e3 }));
}

test('two connections on one file: rows stored by the other are counted, not hidden by what this one remembers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-'));
  const a = openSqliteStore(dir);
  const b = openSqliteStore(dir);
  try {
    const m = a.createMonitor(monitor('admin', 'gw')).id;
    a.upsertRows('lax1', [row(m, T0, 10, [1])]);
    b.upsertRows('lax1', [row(m, T0 + MIN, 20, [2, 2])]);
    a.upsertRows('lax1', [row(m, T0, 15, [1, 1])]);
    for (const s of [a, b]) {
      const total = s.totals(m).get('lax1')!;
      assert.equal(total.sent, 35);
      assert.equal(total.recv, 4);
      assert.deepEqual(total.hist, Histogram.from(row(m, 0, 4, [1, 1, 2, 2]).hist).pairs());
      assert.equal(s.latestRows(m).get('lax1')!.t, T0 + MIN);
    }
  } finally {
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
