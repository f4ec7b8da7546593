/**
 * MinuteRow `x` (issue 14) in the SQLite store: stored with its row, replaced as the row grows,
 * given back as the previous row of a change (so the hub adds only growth) and in the latest rows;
 * a database of schema v3 (before the column) is migrated at open.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../hub/store/migrations.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../../../hub/store/sqlite-store.ts';
import type { MinuteRow } from '../../../shared/model/monitor-types.ts';
import { MonitorSeriesTable } from '../../../hub/core/monitor-series-table.ts';

const T0 = Date.UTC(2026, 0, 1);
const newMonitor = { owner: 'o', name: 'echo', type: 'tcpping', target: '192.0.2.1:4000', probe: '192.0.2.1:4000', intervalMs: 500, traceMs: null, from: [], alerts: [], notify: {}, paused: false };

function rowOf(sent: number, x: MinuteRow['x']): MinuteRow {
  return { m: 1, t: T0, sent, recv: sent - 1, sum: sent, hist: [[0, sent - 1]], last: 1, lastAt: T0 + 1000, addr: '192.0.2.1', ...(x ? { x } : {}) };
}

test('x is stored with its row, replaced as the row grows, and given back as the previous row and in the latest rows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-x-'));
  const store = openSqliteStore(dir);
  try {
    const m = store.createMonitor(newMonitor, T0);
    const first = store.upsertRows('a1', [{ ...rowOf(10, { timeouts: 1, drops: 0, connects: 1, connected: 1, rtoMs: 120, lossWindowPct: 10 }), m: m.id }]);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.previous, undefined);
    const grown = store.upsertRows('a1', [{ ...rowOf(20, { timeouts: 2, drops: 1, connects: 2, connected: 1, rtoMs: 100, lossWindowPct: 5 }), m: m.id }]);
    assert.deepEqual(grown[0]!.previous?.x, { timeouts: 1, drops: 0, connects: 1, connected: 1, rtoMs: 120, lossWindowPct: 10 });
    assert.deepEqual(store.latestRows(m.id).get('a1')?.x, { timeouts: 2, drops: 1, connects: 2, connected: 1, rtoMs: 100, lossWindowPct: 5 });

    // The hub's series add up growth only: a resent row adds nothing.
    const table = new MonitorSeriesTable();
    for (const c of [...first, ...grown]) table.apply(m, c);
    table.apply(m, { agent: 'a1', row: grown[0]!.row, previous: grown[0]!.row });
    const s = [...table.series()][0]!;
    assert.deepEqual({ timeouts: s.extras?.timeouts, drops: s.extras?.drops, connects: s.extras?.connects, connected: s.extras?.connected, rtoMs: s.extras?.rtoMs }, { timeouts: 2, drops: 1, connects: 2, connected: 1, rtoMs: 100 });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database of schema v3 (before the column) is migrated to the current schema at open, and stores rows without x', () => {
  assert.ok(SCHEMA_VERSION >= 4);
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-v3-'));
  try {
    const db = new DatabaseSync(join(dir, STORE_FILE_NAME));
    db.exec('BEGIN');
    for (const step of MIGRATIONS.filter((s) => s.version <= 3)) step.up(db);
    db.exec('PRAGMA user_version = 3');
    db.exec('COMMIT');
    db.close();
    let store = openSqliteStore(dir);
    const m = store.createMonitor({ ...newMonitor, type: 'ping', target: '192.0.2.1', probe: '192.0.2.1' }, T0);
    store.upsertRows('a1', [{ ...rowOf(5, undefined), m: m.id }]);
    store.close();
    store = openSqliteStore(dir);
    assert.equal(store.totals(m.id).get('a1')?.sent, 5);
    assert.equal(store.latestRows(m.id).get('a1')?.x, undefined);
    store.close();
    const check = new DatabaseSync(join(dir, STORE_FILE_NAME));
    assert.equal((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
    check.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
