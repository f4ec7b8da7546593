/**
 * A monitor's probe options (`monitor add --legacy / --fixed-timeout`, issue 14) in the SQLite
 * store: kept across a reopen, absent for a monitor without them, and a database of schema v4
 * (before the column) migrated at open with its monitors intact.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../hub/store/migrations.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../../../hub/store/sqlite-store.ts';

const T0 = Date.UTC(2026, 0, 1);
const base = { owner: 'o', type: 'tcpping', target: '192.0.2.1:4000', probe: '192.0.2.1:4000', intervalMs: 500, traceMs: null, from: [], alerts: [], notify: {}, paused: false };

test('legacy and fixedTimeout are stored with the monitor and read back after a reopen; absent when not set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-opts-'));
  try {
    let store = openSqliteStore(dir);
    const a = store.createMonitor({ ...base, name: 'old', legacy: true }, T0);
    const b = store.createMonitor({ ...base, name: 'fixed', fixedTimeout: true }, T0);
    const c = store.createMonitor({ ...base, name: 'plain' }, T0);
    assert.equal(a.legacy, true);
    store.close();
    store = openSqliteStore(dir);
    const byName = new Map(store.listMonitors().map((m) => [m.name, m]));
    assert.equal(byName.get('old')?.legacy, true);
    assert.equal(byName.get('old')?.fixedTimeout, undefined);
    assert.equal(byName.get('fixed')?.fixedTimeout, true);
    assert.equal(byName.get('fixed')?.legacy, undefined);
    assert.ok(!('legacy' in byName.get('plain')!) && !('fixedTimeout' in byName.get('plain')!), 'no option fields on a monitor without options');
    assert.deepEqual([a.id, b.id, c.id].length, 3);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database of schema v4 (before the options column) is migrated at open and keeps its monitors', () => {
  assert.equal(SCHEMA_VERSION, 5);
  const dir = mkdtempSync(join(tmpdir(), 'mp-store-v4-'));
  try {
    const db = new DatabaseSync(join(dir, STORE_FILE_NAME));
    db.exec('BEGIN');
    for (const step of MIGRATIONS.filter((s) => s.version <= 4)) step.up(db);
    db.exec('PRAGMA user_version = 4');
    db.exec(`INSERT INTO monitors (owner, name, type, target, probe, interval_ms, trace_ms, from_sel, alerts, notify, paused, created_at, updated_at, rev)
      VALUES ('o', 'before', 'tcpping', '192.0.2.1:4000', '192.0.2.1:4000', 500, NULL, '[]', '[]', '{}', 0, ${T0}, ${T0}, 1)`);
    db.exec('COMMIT');
    db.close();
    const store = openSqliteStore(dir);
    const [m] = store.listMonitors();
    assert.equal(m?.name, 'before');
    assert.equal(m?.legacy, undefined);
    store.createMonitor({ ...base, name: 'after', legacy: true }, T0);
    assert.equal(store.listMonitors().find((x) => x.name === 'after')?.legacy, true);
    store.close();
    const check = new DatabaseSync(join(dir, STORE_FILE_NAME));
    assert.equal((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, 5);
    check.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
