// The store refuses what it cannot use with one line naming the file and what to do (MP_ERR_STORE),
// never a stack trace: a corrupt file, another program's database, a newer schema, a lock held by
// another process, a read-only mount; a full disk fails a write whole, and the retry completes it.
// Read-only and full disks are real (a tmpfs, remounted read-only or filled), so those need root.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SCHEMA_VERSION } from '../../../hub/store/migrations.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../../../hub/store/sqlite-store.ts';
import { MeshprobeError } from '../../../shared/model/errors.ts';
import type { MinuteRow } from '../../../shared/model/monitor-types.ts';
import { mountTmpfs, tmpfsSkipReason } from '../../helpers/tmpfs.ts';

const T0 = Date.UTC(2026, 0, 1);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mp-store-'));
}

/** The error `fn` throws, checked to be a one-line MP_ERR_STORE naming `file`. */
function storeRefusal(fn: () => unknown, file: string): MeshprobeError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof MeshprobeError, `a MeshprobeError, got ${String(err)}`);
    assert.equal(err.code, 'MP_ERR_STORE');
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    assert.ok(err.message.includes(file), `names the file: ${err.message}`);
    assert.ok(!/\bat .+:\d+:\d+/.test(err.message), 'no stack frames');
    if (process.env['MP_SHOW_REFUSALS']) console.log(err.message);
    return err;
  }
  assert.fail('expected a refusal');
}

const monitor = { owner: 'admin', name: 'gw', type: 'ping' as const, target: '127.0.0.1', probe: '127.0.0.1', intervalMs: 1000, traceMs: null, from: [], alerts: [], notify: {}, paused: false };

test('a file of garbage is refused as corrupt, and left as it was', () => {
  const dir = tempDir();
  try {
    const file = join(dir, STORE_FILE_NAME);
    const garbage = Buffer.alloc(8192, 'not a database ');
    writeFileSync(file, garbage);
    const err = storeRefusal(() => openSqliteStore(dir), file);
    assert.match(err.message, /corrupt or not a SQLite database .*move it aside/);
    assert.deepEqual(readFileSync(file), garbage, 'the file is not written to');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("another program's SQLite database (tables, no schema version) is refused, not migrated over", () => {
  const dir = tempDir();
  try {
    const file = join(dir, STORE_FILE_NAME);
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE monitors (x); CREATE TABLE other (y)');
    db.close();
    assert.match(storeRefusal(() => openSqliteStore(dir), file).message, /holds 2 tables of something else/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a database of a newer schema is refused with the versions and what to do', () => {
  const dir = tempDir();
  try {
    openSqliteStore(dir).close();
    const file = join(dir, STORE_FILE_NAME);
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const err = storeRefusal(() => openSqliteStore(dir), file);
    assert.match(err.message, new RegExp(`newer meshprobe \\(schema v${SCHEMA_VERSION + 1}, this one knows v${SCHEMA_VERSION}\\): upgrade`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty file and a missing directory both become a current database', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, STORE_FILE_NAME), '');
    const store = openSqliteStore(dir);
    assert.equal(store.createMonitor(monitor).id, 1);
    store.close();
    const db = new DatabaseSync(join(dir, STORE_FILE_NAME), { readOnly: true });
    assert.equal((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version, SCHEMA_VERSION);
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    db.close();
    const nested = join(dir, 'a', 'b');
    openSqliteStore(nested).close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write lock held by another process is reported as a lock, at open and at run time', () => {
  const dir = tempDir();
  try {
    const file = join(dir, STORE_FILE_NAME);
    const store = openSqliteStore(dir, { busyTimeoutMs: 50 });
    const other = new DatabaseSync(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      assert.match(storeRefusal(() => openSqliteStore(dir, { busyTimeoutMs: 50 }), file).message, /locked by another process .*stop the other hub/);
      storeRefusal(() => store.createMonitor(monitor), file);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(store.createMonitor(monitor).id, 1, 'the lock gone, the same call succeeds');
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a closed store refuses calls with MP_ERR_STORE', () => {
  const dir = tempDir();
  try {
    const store = openSqliteStore(dir);
    store.close();
    store.close();
    assert.match(storeRefusal(() => store.listMonitors(), join(dir, STORE_FILE_NAME)).message, /closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read-only data directory is refused at open, with a database in it or without', async (t) => {
  const skip = tmpfsSkipReason();
  if (skip) return t.skip(skip);
  const fs = await mountTmpfs(1024);
  try {
    const file = join(fs.dir, STORE_FILE_NAME);
    const store = openSqliteStore(fs.dir);
    store.createMonitor(monitor);
    store.close();
    fs.remount(true);
    assert.match(storeRefusal(() => openSqliteStore(fs.dir), file).message, /on a read-only file system: make it writable/);
    const fresh = join(fs.dir, 'sub');
    assert.match(storeRefusal(() => openSqliteStore(fresh), join(fresh, STORE_FILE_NAME)).message, /cannot create the data directory/);
    fs.remount(false);
    const again = openSqliteStore(fs.dir);
    assert.equal(again.listMonitors().length, 1, 'the refused opens changed nothing');
    again.close();
  } finally {
    await fs.close();
  }
});

test('a full disk fails a write whole; once space is freed the same call completes it', async (t) => {
  const skip = tmpfsSkipReason();
  if (skip) return t.skip(skip);
  const fs = await mountTmpfs(1024);
  try {
    const file = join(fs.dir, STORE_FILE_NAME);
    const store = openSqliteStore(fs.dir);
    const m = store.createMonitor(monitor).id;
    store.upsertRows('lax1', [{ m, t: T0, sent: 1, recv: 1, min: 1, max: 1, sum: 1, hist: [[0, 1]] }]);
    // Enough rows to need pages the file does not have yet.
    const rows: MinuteRow[] = Array.from({ length: 4096 }, (_, i) => ({
      m,
      t: T0 + (i + 1) * 60_000,
      sent: 60,
      recv: 60,
      min: 0.02,
      max: 80,
      sum: 600 + i,
      hist: Array.from({ length: 12 }, (_, k): [number, number] => [k * 5, 5]),
    }));
    await fs.fill();
    const err = storeRefusal(() => store.upsertRows('lax1', rows), file);
    assert.match(err.message, /disk full/);
    assert.equal(store.totals(m).get('lax1')!.sent, 1, 'nothing of the failed call was stored');
    await fs.free();
    assert.equal(store.upsertRows('lax1', rows).length, 4096, 'the retry stores every row');
    assert.equal(store.totals(m).get('lax1')!.sent, 1 + 4096 * 60);
    store.close();
    const reopened = openSqliteStore(fs.dir);
    assert.equal(reopened.totals(m).get('lax1')!.sent, 1 + 4096 * 60);
    reopened.close();
  } finally {
    await fs.close();
  }
});
