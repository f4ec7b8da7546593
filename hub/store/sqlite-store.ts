/**
 * The embedded MonitorStore (design §12, issue 13 item 4): one SQLite file, `<dataDir>/meshprobe.db`,
 * through node:sqlite. WAL mode with `synchronous=FULL`, so every method has committed and fsynced
 * before it returns (the hub acknowledges agents' rows only then); one transaction per call, so a
 * failure (disk full, I/O error) leaves nothing half-written and a retry starts from the same state.
 * The schema and why it is laid out so are in migrations.ts.
 *
 * What this implementation adds to the interface's contract:
 * - Round trips are kept to the nanosecond (min, max, sum of a row), the precision every
 *   statistic is rounded to.
 * - `RowChange.previous` carries the stored aggregate (sent, recv, min, max, sum, hist); the
 *   extras of a row (last, lastAt, ewma, addr, err) are kept for each series' newest row only and
 *   come back from latestRows.
 * - Once rollup has folded an hour, a minute row of that hour arriving late is skipped rather
 *   than counted a second time: no minute is ever both in a minute row and in an hourly row.
 * - `samples` steps start at `from` (step i covers [from + i·step, from + (i+1)·step)); only
 *   steps with data are returned, ordered by t, then agent.
 * - Monitor ids are never reused (AUTOINCREMENT), so rows an agent buffered for a deleted
 *   monitor can never land in a new one.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { Histogram, type HistogramPairs, MIN_BUCKET, OVERFLOW_BUCKET } from '../../shared/model/histogram.ts';
import type { MinuteRow, MinuteRowExtras, MonitorType, RouteRecord } from '../../shared/model/monitor-types.ts';
import { decodeHistogram, encodeHistogram } from './histogram-blob.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import type {
  AddressChange,
  MonitorPatch,
  MonitorRecord,
  MonitorStore,
  NewMonitor,
  RouteChange,
  RowChange,
  SampleAggregate,
} from './monitor-store.ts';
import { storeError } from './store-error.ts';

/** The file name of the store in the hub's data directory. */
export const STORE_FILE_NAME = 'meshprobe.db';

export interface SqliteStoreOptions {
  /**
   * How long a call waits for a lock held by another connection (another process on the same
   * file) before failing with MP_ERR_STORE, in ms. Default 5000: far longer than any
   * transaction of the store's own, short enough that a stuck hub is reported, not waited for.
   */
  busyTimeoutMs?: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const NS_PER_MS = 1e6;

/**
 * Opens (creating it and the directory when missing) the store of `dataDir` and brings its
 * schema up to date. A corrupt, foreign, newer, read-only or locked database is refused with a
 * MeshprobeError MP_ERR_STORE whose one line names the file and what to do.
 */
export function openSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): MonitorStore {
  const file = join(dataDir, STORE_FILE_NAME);
  let db: DatabaseSync | undefined;
  try {
    prepareDirectory(dataDir, file);
    db = new DatabaseSync(file, { enableForeignKeyConstraints: true });
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
    if (mode !== 'wal') {
      throw new MeshprobeError(ErrorCode.Store, `store ${file}: cannot use WAL mode (journal_mode stays ${mode}): put the data directory on a local file system`);
    }
    db.exec('PRAGMA synchronous = FULL');
    migrate(db, file);
    return new SqliteMonitorStore(db, file);
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Already failing; the first error is the one to report.
    }
    throw storeError(file, 'opening', err);
  }
}

/**
 * Creates the data directory when missing and checks that it is writable: SQLite opens a file it
 * cannot write read-only without a word and fails later, and WAL mode needs the directory too.
 */
function prepareDirectory(dataDir: string, file: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new MeshprobeError(ErrorCode.Store, `store ${file}: cannot create the data directory ${dataDir} (${code}): create it, writable by the hub, or set another`, { cause: err });
  }
  try {
    accessSync(dataDir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const what = code === 'EROFS' ? 'on a read-only file system' : `not writable (${code})`;
    throw new MeshprobeError(ErrorCode.Store, `store ${file}: the data directory is ${what}: make it writable by the hub, or set another`, { cause: err });
  }
}

/**
 * Applies the missing migration steps in one transaction; refuses newer or foreign databases.
 * Exported for the web store (hub/store/web-store.ts), which opens its own connection to the same file.
 */
export function migrate(db: DatabaseSync, file: string): void {
  const versionOf = () => (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  const newer = (v: number) =>
    new MeshprobeError(
      ErrorCode.Store,
      `store ${file}: written by a newer meshprobe (schema v${v}, this one knows v${SCHEMA_VERSION}): upgrade meshprobe or use another data directory`,
    );
  if (versionOf() > SCHEMA_VERSION) throw newer(versionOf());
  db.exec('BEGIN IMMEDIATE');
  try {
    // Read again under the write lock: another process may have migrated meanwhile.
    const version = versionOf();
    if (version > SCHEMA_VERSION) throw newer(version);
    if (version === 0) {
      const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n;
      if (tables > 0) {
        throw new MeshprobeError(ErrorCode.Store, `store ${file}: holds ${tables} tables of something else (no meshprobe schema version): move it aside or use another data directory`);
      }
    }
    for (const step of MIGRATIONS) if (step.version > version) step.up(db);
    if (version !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    // Also the proof that the file is writable now, not at the first agent report.
    db.prepare("INSERT INTO meta (key, value) VALUES ('opened_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(Date.now());
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

type Raw = Record<string, unknown>;

/** A stored sample row (minute or hourly), as selected. */
interface RawRow {
  sent: number;
  recv: number;
  min_ns: number | null;
  max_ns: number | null;
  sum_ns: number;
  hist: Uint8Array;
  /** A minute row's extras (MinuteRow `x`, TCP echo and one-way delay monitors) as JSON; hourly rows have none. */
  x?: string | null;
}

/**
 * A series (monitor × agent) as upsertRows keeps it between calls: what its row in `series`
 * holds, and the stored aggregate of its newest row, so that the re-sends of an open minute
 * (most rows) are compared and totalled without reading anything back.
 */
interface SeriesState {
  id: number;
  monitor: number;
  firstT: number;
  lastT: number;
  latest: string | null;
  sent: number;
  recv: number;
  minNs: number | null;
  maxNs: number | null;
  sumMs: number;
  /** Totals' histogram, encoded (decoded into `work` while a call changes it). */
  hist: Uint8Array;
  /** The stored row at lastT; null when there is none; undefined when not read yet. */
  last: RawRow | null | undefined;
  work?: Map<number, number>;
  /** The newest row of this call, whose extras become `latest`. */
  newest?: MinuteRow;
}

/** A running merge of rows (a step of samples, an hour of rollup). */
interface Aggregate {
  sent: number;
  recv: number;
  minNs: number | null;
  maxNs: number | null;
  sumNs: number;
  hist: Histogram;
}

const ROW_COLUMNS = 'sent, recv, min_ns, max_ns, sum_ns, hist';
/** A minute row's columns: the sample's, and its extras (migration 4). */
const MINUTE_COLUMNS = `${ROW_COLUMNS}, x`;

class SqliteMonitorStore implements MonitorStore {
  readonly #db: DatabaseSync;
  readonly #file: string;
  readonly #st: ReturnType<typeof prepareStatements>;
  /**
   * The series upsertRows has touched, by `${monitor} ${agent}` (~0.5 KB each). Valid while no
   * other connection commits (PRAGMA data_version) and no write of ours fails or deletes.
   */
  readonly #cache = new Map<string, SeriesState>();
  #cacheVersion = -1;
  /** The first series whose old hourly rows the next rollup call deletes (a budgeted rollup goes on from here). */
  #pruneNext = 0;

  constructor(db: DatabaseSync, file: string) {
    this.#db = db;
    this.#file = file;
    this.#st = prepareStatements(db);
  }

  // --- monitors -------------------------------------------------------------------------------

  createMonitor(input: NewMonitor, now: number = Date.now()): MonitorRecord {
    return this.#write('creating a monitor', () => {
      if (this.#st.findMonitor.get(input.owner, input.name)) throw nameTaken(input.name);
      const r = this.#st.insMonitor.run(
        input.owner,
        input.name,
        input.type,
        input.target,
        input.probe,
        input.intervalMs,
        input.traceMs,
        JSON.stringify(input.from),
        JSON.stringify(input.alerts),
        JSON.stringify(input.notify),
        input.paused ? 1 : 0,
        now,
        now,
        1,
        input.legacy || input.fixedTimeout ? JSON.stringify({ ...(input.legacy ? { legacy: true } : {}), ...(input.fixedTimeout ? { fixedTimeout: true } : {}) }) : null,
      );
      return toMonitor(this.#st.getMonitor.get(Number(r.lastInsertRowid)) as Raw);
    });
  }

  updateMonitor(id: number, patch: MonitorPatch, now: number = Date.now()): MonitorRecord | undefined {
    return this.#write('changing a monitor', () => {
      const raw = this.#st.getMonitor.get(id) as Raw | undefined;
      if (!raw) return undefined;
      const m = toMonitor(raw);
      if (patch.name !== undefined && patch.name !== m.name) {
        if (this.#st.findMonitor.get(m.owner, patch.name)) throw nameTaken(patch.name);
      }
      const next: MonitorRecord = { ...m, ...definedOnly(patch), updatedAt: now };
      // Agents restart a monitor when its rev changes: bump it for what they run, not for a rename.
      const seen = (r: MonitorRecord) => JSON.stringify([r.intervalMs, r.traceMs, r.paused, r.from]);
      if (seen(next) !== seen(m)) next.rev = m.rev + 1;
      this.#st.updMonitor.run(
        next.name,
        next.intervalMs,
        next.traceMs,
        JSON.stringify(next.from),
        JSON.stringify(next.alerts),
        JSON.stringify(next.notify),
        next.paused ? 1 : 0,
        next.updatedAt,
        next.rev,
        id,
      );
      return next;
    });
  }

  deleteMonitor(id: number): boolean {
    return this.#write('deleting a monitor', () => {
      const floor = this.#foldedBefore();
      // Minute rows have no foreign key (see migrations.ts): delete them minute by minute over
      // the series' span, each a primary-key lookup. The rest cascades.
      for (const s of this.#st.seriesOf.all(id) as Raw[]) {
        const lo = Math.max(s['first_t'] as number, floor);
        const hi = s['last_t'] as number;
        if (lo <= hi) this.#st.minDelSeries.run(lo, hi, s['id'] as number);
      }
      this.#cache.clear();
      return Number(this.#st.delMonitor.run(id).changes) > 0;
    });
  }

  getMonitor(id: number): MonitorRecord | undefined {
    return this.#read('reading a monitor', () => {
      const raw = this.#st.getMonitor.get(id) as Raw | undefined;
      return raw ? toMonitor(raw) : undefined;
    });
  }

  findMonitor(owner: string, name: string): MonitorRecord | undefined {
    return this.#read('reading a monitor', () => {
      const raw = this.#st.findMonitor.get(owner, name) as Raw | undefined;
      return raw ? toMonitor(raw) : undefined;
    });
  }

  listMonitors(owner?: string): MonitorRecord[] {
    return this.#read('listing monitors', () =>
      ((owner === undefined ? this.#st.listAll.all() : this.#st.listOwner.all(owner)) as Raw[]).map(toMonitor),
    );
  }

  countMonitors(owner: string): number {
    return this.#read('counting monitors', () => (this.#st.countOwner.get(owner) as { n: number }).n);
  }

  // --- samples --------------------------------------------------------------------------------

  upsertRows(agent: string, rows: readonly MinuteRow[]): RowChange[] {
    if (rows.length === 0) return [];
    return this.#write('storing rows', () => {
      this.#checkCache();
      const floor = this.#foldedBefore();
      // An hour folded in chunks (rollup with a budget): its rows of series folded already are skipped too.
      const folding = this.#foldCursor();
      const touched = new Map<number, SeriesState | null>();
      const changes: RowChange[] = [];
      for (const row of rows) {
        const t = Math.floor(row.t / MINUTE_MS);
        if (!(t >= floor)) continue;
        let s = touched.get(row.m);
        if (s === undefined) touched.set(row.m, (s = this.#series(row.m, agent, t)));
        if (s === null) continue;
        if (folding && Math.floor(t / 60) === folding.hour && s.id < folding.next) continue;
        // lastT is the newest minute stored: past it there is no row; at it, the cache has it.
        const prev = t > s.lastT ? undefined : t === s.lastT && s.last !== undefined ? (s.last ?? undefined) : (this.#st.minGet.get(t, s.id) as RawRow | undefined);
        const sent = count(row.sent);
        const recv = count(row.recv);
        if (prev && !(sent > prev.sent || (sent === prev.sent && recv > prev.recv))) continue;
        const stored: RawRow = {
          sent,
          recv,
          min_ns: recv > 0 ? toNs(row.min) : null,
          max_ns: recv > 0 ? toNs(row.max) : null,
          sum_ns: toNs(row.sum) ?? 0,
          hist: encodeHistogram(normalized(row.hist)),
          x: row.x ? JSON.stringify(row.x) : null,
        };
        this.#st.minPut.run(t, s.id, stored.sent, stored.recv, stored.min_ns, stored.max_ns, stored.sum_ns, stored.hist, stored.x ?? null);

        // The series' totals stay the sum of its stored rows: take the old row out, put the new in.
        const work = (s.work ??= new Map(decodeHistogram(s.hist)));
        const prevHist = prev ? decodeHistogram(prev.hist) : [];
        for (const [k, c] of prevHist) work.set(k, (work.get(k) ?? 0) - c);
        for (const [k, c] of normalized(row.hist)) work.set(k, (work.get(k) ?? 0) + c);
        s.sent += sent - (prev?.sent ?? 0);
        s.recv += recv - (prev?.recv ?? 0);
        s.sumMs += (stored.sum_ns - (prev?.sum_ns ?? 0)) / NS_PER_MS;
        s.minNs = lesser(s.minNs, stored.min_ns);
        s.maxNs = greater(s.maxNs, stored.max_ns);
        if (t < s.firstT) s.firstT = t;
        if (t >= s.lastT) {
          s.lastT = t;
          s.last = stored;
          s.newest = row;
        }
        changes.push({ agent, row, previous: prev ? toMinuteRow(row.m, t * MINUTE_MS, prev, prevHist) : undefined });
      }
      for (const s of touched.values()) {
        if (!s?.work) continue;
        s.hist = encodeHistogram([...s.work.entries()].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]));
        s.work = undefined;
        if (s.newest) s.latest = extrasOf(s.newest);
        s.newest = undefined;
        this.#st.seriesUpd.run(s.firstT, s.lastT, s.latest, s.sent, s.recv, s.minNs, s.maxNs, s.sumMs, s.hist, s.id);
      }
      return changes;
    });
  }

  latestRows(monitor: number): Map<string, MinuteRow> {
    return this.#read('reading the latest rows', () => {
      const out = new Map<string, MinuteRow>();
      for (const s of this.#st.seriesOf.all(monitor) as Raw[]) {
        const id = s['id'] as number;
        const lastT = s['last_t'] as number;
        let t = lastT * MINUTE_MS;
        let raw = this.#st.minGet.get(lastT, id) as RawRow | undefined;
        if (!raw) {
          // Folded by rollup (the agent has been silent for the minute retention): its hour.
          const h = Math.floor(lastT / 60);
          raw = this.#st.hourGet.get(id, h) as RawRow | undefined;
          t = h * HOUR_MS;
        }
        const row = raw ? toMinuteRow(monitor, t, raw) : { m: monitor, t, sent: 0, recv: 0, sum: 0, hist: [] };
        const latest = s['latest'] as string | null;
        out.set(s['agent'] as string, latest ? { ...row, ...(JSON.parse(latest) as Partial<MinuteRow>) } : row);
      }
      return out;
    });
  }

  totals(monitor: number): Map<string, SampleAggregate> {
    return this.#read('reading totals', () => {
      const out = new Map<string, SampleAggregate>();
      for (const s of this.#st.seriesOf.all(monitor) as Raw[]) {
        const agent = s['agent'] as string;
        out.set(agent, {
          t: (s['first_t'] as number) * MINUTE_MS,
          agent,
          sent: s['sent'] as number,
          recv: s['recv'] as number,
          min: fromNs(s['min_ns'] as number | null),
          max: fromNs(s['max_ns'] as number | null),
          sum: s['sum_ms'] as number,
          hist: decodeHistogram(s['hist'] as Uint8Array),
        });
      }
      return out;
    });
  }

  samples(monitor: number, q: { agent?: string; from: number; to: number; stepMs: number }): SampleAggregate[] {
    const { from, to, stepMs } = q;
    if (!(stepMs > 0 && stepMs % MINUTE_MS === 0) || !Number.isFinite(from) || !Number.isFinite(to)) {
      throw new MeshprobeError(ErrorCode.BadRequest, `samples need finite from/to and a step that is a whole number of minutes (got ${stepMs} ms)`);
    }
    if (!(to > from)) return [];
    return this.#read('reading samples', () => {
      const floor = this.#foldedBefore();
      const steps = new Map<string, { t: number; agent: string; agg: Aggregate }>();
      const add = (agent: string, tMs: number, raw: RawRow) => {
        const i = Math.floor((tMs - from) / stepMs);
        const key = `${i}\u0000${agent}`;
        let step = steps.get(key);
        if (!step) steps.set(key, (step = { t: from + i * stepMs, agent, agg: emptyAggregate() }));
        mergeInto(step.agg, raw);
      };
      for (const s of this.#st.seriesOf.all(monitor) as Raw[]) {
        const agent = s['agent'] as string;
        if (q.agent !== undefined && agent !== q.agent) continue;
        const id = s['id'] as number;
        // Minute rows starting in [from, to), within the span the series has rows for.
        const lo = Math.max(Math.ceil(from / MINUTE_MS), s['first_t'] as number, floor);
        const hi = Math.min(Math.ceil(to / MINUTE_MS) - 1, s['last_t'] as number);
        if (lo <= hi) for (const r of this.#st.minRange.all(lo, hi, id) as unknown as (RawRow & { t: number })[]) add(agent, r.t * MINUTE_MS, r);
        // Hourly rows starting in [from, to), each whole in the step its hour starts in.
        for (const r of this.#st.hourRange.all(id, Math.ceil(from / HOUR_MS), Math.ceil(to / HOUR_MS)) as unknown as (RawRow & { h: number })[]) {
          add(agent, r.h * HOUR_MS, r);
        }
      }
      return [...steps.values()]
        .sort((a, b) => a.t - b.t || (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0))
        .map(({ t, agent, agg }) => ({ t, agent, ...aggregateView(agg) }));
    });
  }

  // --- routes, addresses, alerts --------------------------------------------------------------

  recordRoute(agent: string, route: RouteRecord): RouteChange | undefined {
    return this.#write('recording a route', () => {
      if (!this.#st.getMonitor.get(route.m)) return undefined;
      const prev = this.#st.routeGet.get(route.m, agent) as { at: number; hops: string } | undefined;
      // A record re-sent after a reconnect, or older than the one stored, changes nothing.
      if (prev && route.at <= prev.at) return undefined;
      const hops = JSON.stringify(route.hops);
      this.#st.routePut.run(route.m, agent, route.at, route.addr, hops, route.reached ? 1 : 0);
      if (!prev || prev.hops === hops) return undefined;
      this.#st.routeChangeIns.run(route.m, route.at, agent, prev.hops, hops);
      return { monitor: route.m, agent, at: route.at, from: JSON.parse(prev.hops), to: route.hops };
    });
  }

  routeChanges(monitor: number, since: number): RouteChange[] {
    return this.#read('reading route changes', () =>
      (this.#st.routeChanges.all(monitor, since) as Raw[]).map((r) => ({
        monitor,
        agent: r['agent'] as string,
        at: r['at'] as number,
        from: JSON.parse(r['from_hops'] as string),
        to: JSON.parse(r['to_hops'] as string),
      })),
    );
  }

  recordAddress(monitor: number, agent: string, address: string, at: number): AddressChange | undefined {
    return this.#write('recording an address', () => {
      if (!this.#st.getMonitor.get(monitor)) return undefined;
      const prev = this.#st.addrLatest.get(monitor, agent) as { at: number; addr: string } | undefined;
      if (prev && (at <= prev.at || prev.addr === address)) return undefined;
      this.#st.addrIns.run(monitor, agent, at, address);
      return { monitor, agent, at, from: prev?.addr ?? null, to: address };
    });
  }

  addressChanges(monitor: number, since: number): AddressChange[] {
    return this.#read('reading address changes', () =>
      (this.#st.addrChanges.all(monitor, since) as Raw[]).map((r) => ({
        monitor,
        agent: r['agent'] as string,
        at: r['at'] as number,
        from: (r['prev'] as string | null) ?? null,
        to: r['addr'] as string,
      })),
    );
  }

  alertState(monitor: number, rule: string): { holding: boolean; since: number; notifiedAt: number | null } | undefined {
    return this.#read('reading alert state', () => {
      const r = this.#st.alertGet.get(monitor, rule) as Raw | undefined;
      return r ? { holding: r['holding'] === 1, since: r['since'] as number, notifiedAt: (r['notified_at'] as number | null) ?? null } : undefined;
    });
  }

  setAlertState(monitor: number, rule: string, state: { holding: boolean; since: number; notifiedAt: number | null }): void {
    this.#write('storing alert state', () => {
      this.#st.alertPut.run(monitor, rule, state.holding ? 1 : 0, state.since, state.notifiedAt);
    });
  }

  // --- retention ------------------------------------------------------------------------------

  rollup(now: number, opts: { minuteRetentionMs: number; hourRetentionMs: number; maxRows?: number }): { minutesFolded: number; hoursDeleted: number; more?: true } {
    // Whole hours only: the minutes of an hour fold together, so an hourly row is never partial.
    const cutoffMinute = Math.floor((now - opts.minuteRetentionMs) / HOUR_MS) * 60;
    const cutoffHour = Math.floor((now - opts.hourRetentionMs) / HOUR_MS);
    // The work of one call, in rows: the minute rows of a series' hour (60, whether there or not)
    // and, for pruning, the hourly rows deleted plus a few per series looked at. Every step below is one transaction, so stopping between two leaves whole
    // chunks done; the next call goes on from the cursors.
    let budget = opts.maxRows !== undefined && opts.maxRows > 0 ? opts.maxRows : Number.POSITIVE_INFINITY;
    let minutesFolded = 0;
    for (;;) {
      if (budget <= 0) return { minutesFolded, hoursDeleted: 0, more: true };
      const oldest = this.#read('rolling up', () => (this.#st.minOldest.get() as { t: number | null }).t);
      if (oldest === null || oldest >= cutoffMinute) break;
      const step = this.#write('rolling up', () => this.#foldChunk(Math.floor(oldest / 60), budget));
      minutesFolded += step.rows;
      budget -= step.work;
    }
    let hoursDeleted = 0;
    this.#write('deleting old rows', () => {
      this.#raiseFoldedBefore(cutoffMinute);
      // An hour folded in chunks is below the floor now: its cursor has served.
      const cursor = this.#foldCursor();
      if (cursor && (cursor.hour + 1) * 60 <= this.#foldedBefore()) this.#clearFoldCursor();
      this.#st.routeChangesDelOld.run(cutoffHour * HOUR_MS);
      this.#st.addrDelOld.run(cutoffHour * HOUR_MS);
    });
    for (;;) {
      if (budget <= 0) return { minutesFolded, hoursDeleted, more: true };
      const step = this.#write('deleting old rows', () => this.#pruneChunk(cutoffHour, budget));
      hoursDeleted += step.deleted;
      budget -= step.work;
      if (step.done) break;
    }
    return { minutesFolded, hoursDeleted };
  }

  close(): void {
    if (!this.#db.isOpen) return;
    try {
      // Leaves one file behind, not a WAL to replay; a failure here loses nothing.
      this.#db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {
      // The WAL is replayed at the next open.
    }
    this.#db.close();
  }

  // --- internals ------------------------------------------------------------------------------

  /**
   * Folds the minute rows of hour `h` into hourly rows for the next series (by id, from the fold
   * cursor) whose 60 minute slots fit in `budget`, at least one series. While an hour is folded
   * in chunks, `fold_hour` and `fold_next` in meta say which series of it are done: upsertRows
   * skips a row of those as it skips rows before `folded_before`, so no minute is counted both as
   * a minute row and in an hourly row. The hour is done when no series is left.
   */
  #foldChunk(h: number, budget: number): { rows: number; work: number } {
    const cursor = this.#foldCursor();
    // The oldest row is past the hour being folded: that hour has no row left, it is done.
    if (cursor && cursor.hour < h) this.#raiseFoldedBefore((cursor.hour + 1) * 60);
    const from = cursor && cursor.hour === h ? cursor.next : 0;
    const limit = Number.isFinite(budget) ? Math.max(1, Math.floor(budget / 60)) : -1;
    const ids = (this.#st.seriesFrom.all(from, limit) as { id: number }[]).map((r) => r.id);
    if (ids.length === 0) {
      // Every series of the hour is folded (the rest had no rows in it): the hour is done.
      this.#st.minDelRange.run(h * 60, h * 60 + 60);
      this.#raiseFoldedBefore((h + 1) * 60);
      this.#clearFoldCursor();
      return { rows: 0, work: 1 };
    }
    const lo = ids[0]!;
    const hi = ids.at(-1)!;
    const rows = this.#st.minHourSeries.all(h * 60, h * 60 + 59, lo, hi) as unknown as (RawRow & { series: number })[];
    const bySeries = new Map<number, Aggregate>();
    for (const r of rows) {
      let agg = bySeries.get(r.series);
      if (!agg) bySeries.set(r.series, (agg = emptyAggregate()));
      mergeInto(agg, r);
    }
    for (const [series, agg] of bySeries) {
      // Rows of a series deleted meanwhile (none, as deleteMonitor removes them) are dropped.
      if (!this.#st.seriesExists.get(series)) continue;
      const existing = this.#st.hourGet.get(series, h) as RawRow | undefined;
      if (existing) mergeInto(agg, existing);
      this.#st.hourPut.run(series, h, agg.sent, agg.recv, agg.minNs, agg.maxNs, agg.sumNs, encodeHistogram(agg.hist.pairs()));
    }
    if (rows.length > 0) this.#st.minDelHourSeries.run(h * 60, h * 60 + 59, lo, hi);
    this.#st.metaPut.run('fold_hour', h);
    this.#st.metaPut.run('fold_next', hi + 1);
    // Cached series of this chunk may name a row just deleted as their newest.
    for (const [key, st] of this.#cache) if (st.id >= lo && st.id <= hi) this.#cache.delete(key);
    return { rows: rows.length, work: ids.length * 60 };
  }

  /** The hour being folded in chunks, and the first series of it not folded yet; undefined when none. */
  #foldCursor(): { hour: number; next: number } | undefined {
    const hour = this.#st.metaGet.get('fold_hour') as { value: number } | undefined;
    const next = this.#st.metaGet.get('fold_next') as { value: number } | undefined;
    return hour && next ? { hour: hour.value, next: next.value } : undefined;
  }

  #clearFoldCursor(): void {
    this.#st.metaDel.run('fold_hour');
    this.#st.metaDel.run('fold_next');
  }

  /** Deletes hourly rows before `cutoffHour` of the next series (from an in-memory cursor) within `budget`. */
  #pruneChunk(cutoffHour: number, budget: number): { deleted: number; work: number; done: boolean } {
    const limit = Number.isFinite(budget) ? Math.max(1, Math.floor(budget / 4)) : -1;
    const ids = (this.#st.seriesFrom.all(this.#pruneNext, limit) as { id: number }[]).map((r) => r.id);
    let deleted = 0;
    for (const id of ids) deleted += Number(this.#st.hourDelOld.run(id, cutoffHour).changes);
    const done = limit < 0 || ids.length < limit;
    this.#pruneNext = done ? 0 : ids.at(-1)! + 1;
    return { deleted, work: ids.length * 4 + deleted, done };
  }

  /** Minute rows before this minute number have been folded into hourly rows. */
  #foldedBefore(): number {
    const r = this.#st.metaGet.get('folded_before') as { value: number } | undefined;
    return r ? r.value : 0;
  }

  #raiseFoldedBefore(minute: number): void {
    if (minute > this.#foldedBefore()) this.#st.metaPut.run('folded_before', minute);
  }

  /** The series of (monitor, agent), created when the monitor exists; null when it does not. */
  #series(monitor: number, agent: string, t: number): SeriesState | null {
    const key = `${monitor} ${agent}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const raw = this.#st.seriesGet.get(monitor, agent) as Raw | undefined;
    let s: SeriesState;
    if (raw) {
      s = {
        id: raw['id'] as number,
        monitor,
        firstT: raw['first_t'] as number,
        lastT: raw['last_t'] as number,
        latest: raw['latest'] as string | null,
        sent: raw['sent'] as number,
        recv: raw['recv'] as number,
        minNs: raw['min_ns'] as number | null,
        maxNs: raw['max_ns'] as number | null,
        sumMs: raw['sum_ms'] as number,
        hist: raw['hist'] as Uint8Array,
        last: undefined,
      };
    } else {
      const r = this.#st.seriesIns.run(monitor, agent, t);
      if (Number(r.changes) === 0) return null;
      s = { id: Number(r.lastInsertRowid), monitor, firstT: t, lastT: t, latest: null, sent: 0, recv: 0, minNs: null, maxNs: null, sumMs: 0, hist: new Uint8Array(0), last: null };
    }
    this.#cache.set(key, s);
    return s;
  }

  /** Drops the series cache when another connection has committed since it was filled. */
  #checkCache(): void {
    const version = (this.#st.dataVersion.get() as { data_version: number }).data_version;
    if (version !== this.#cacheVersion) {
      this.#cache.clear();
      this.#cacheVersion = version;
    }
  }

  /** Runs `fn` in one write transaction, committed (and fsynced) before it returns. */
  #write<T>(doing: string, fn: () => T): T {
    return this.#guard(doing, () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = fn();
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        this.#rollback();
        // The cache may hold what was just rolled back.
        this.#cache.clear();
        throw err;
      }
    });
  }

  /** Runs `fn` in one read transaction: its statements see one state of the file. */
  #read<T>(doing: string, fn: () => T): T {
    return this.#guard(doing, () => {
      this.#db.exec('BEGIN');
      try {
        return fn();
      } finally {
        this.#rollback();
      }
    });
  }

  #rollback(): void {
    // SQLite may have rolled back already (disk full, I/O error); then ROLLBACK has nothing to do.
    try {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
    } catch {
      // Nothing was committed; the connection stays usable.
    }
  }

  #guard<T>(doing: string, fn: () => T): T {
    if (!this.#db.isOpen) throw new MeshprobeError(ErrorCode.Store, `store ${this.#file}: closed (while ${doing})`);
    try {
      return fn();
    } catch (err) {
      throw storeError(this.#file, doing, err);
    }
  }
}

function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  // Minute numbers lo..hi as a table, walked in order: each row of a series is then one
  // primary-key lookup (CROSS JOIN keeps the numbers as the outer loop).
  const minutes = 'WITH RECURSIVE ts(m) AS (SELECT ?1 UNION ALL SELECT m + 1 FROM ts WHERE m < ?2)';
  return {
    insMonitor: p(`INSERT INTO monitors (owner, name, type, target, probe, interval_ms, trace_ms, from_sel, alerts, notify, paused, created_at, updated_at, rev, options)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    getMonitor: p('SELECT * FROM monitors WHERE id = ?'),
    findMonitor: p('SELECT * FROM monitors WHERE owner = ? AND name = ?'),
    listAll: p('SELECT * FROM monitors ORDER BY id'),
    listOwner: p('SELECT * FROM monitors WHERE owner = ? ORDER BY id'),
    countOwner: p('SELECT count(*) AS n FROM monitors WHERE owner = ?'),
    updMonitor: p(`UPDATE monitors SET name = ?, interval_ms = ?, trace_ms = ?, from_sel = ?, alerts = ?, notify = ?, paused = ?, updated_at = ?, rev = ?
      WHERE id = ?`),
    delMonitor: p('DELETE FROM monitors WHERE id = ?'),

    seriesOf: p('SELECT * FROM series WHERE monitor = ? ORDER BY agent'),
    seriesGet: p('SELECT * FROM series WHERE monitor = ? AND agent = ?'),
    seriesExists: p('SELECT 1 AS x FROM series WHERE id = ?'),
    seriesFrom: p('SELECT id FROM series WHERE id >= ? ORDER BY id LIMIT ?'),
    seriesIns: p(`INSERT INTO series (monitor, agent, first_t, last_t, latest, sent, recv, min_ns, max_ns, sum_ms, hist)
      SELECT id, ?2, ?3, ?3, NULL, 0, 0, NULL, NULL, 0, x'' FROM monitors WHERE id = ?1`),
    seriesUpd: p(`UPDATE series SET first_t = ?, last_t = ?, latest = ?, sent = ?, recv = ?, min_ns = ?, max_ns = ?, sum_ms = ?, hist = ?
      WHERE id = ?`),

    minGet: p(`SELECT ${MINUTE_COLUMNS} FROM minute_rows WHERE t = ? AND series = ?`),
    minPut: p(`INSERT INTO minute_rows (t, series, ${MINUTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (t, series) DO UPDATE SET sent = excluded.sent, recv = excluded.recv, min_ns = excluded.min_ns,
        max_ns = excluded.max_ns, sum_ns = excluded.sum_ns, hist = excluded.hist, x = excluded.x`),
    minRange: p(`${minutes} SELECT r.t, r.sent, r.recv, r.min_ns, r.max_ns, r.sum_ns, r.hist
      FROM ts CROSS JOIN minute_rows r ON r.t = ts.m AND r.series = ?3`),
    minDelSeries: p(`${minutes} DELETE FROM minute_rows WHERE series = ?3 AND t IN ts`),
    minOldest: p('SELECT min(t) AS t FROM minute_rows'),
    minHourSeries: p(`${minutes} SELECT r.series, r.sent, r.recv, r.min_ns, r.max_ns, r.sum_ns, r.hist
      FROM ts CROSS JOIN minute_rows r ON r.t = ts.m AND r.series BETWEEN ?3 AND ?4`),
    minDelHourSeries: p(`${minutes} DELETE FROM minute_rows WHERE t IN ts AND series BETWEEN ?3 AND ?4`),
    minDelRange: p('DELETE FROM minute_rows WHERE t >= ? AND t < ?'),

    hourGet: p(`SELECT ${ROW_COLUMNS} FROM hour_rows WHERE series = ? AND h = ?`),
    hourPut: p(`INSERT INTO hour_rows (series, h, ${ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (series, h) DO UPDATE SET sent = excluded.sent, recv = excluded.recv, min_ns = excluded.min_ns,
        max_ns = excluded.max_ns, sum_ns = excluded.sum_ns, hist = excluded.hist`),
    hourRange: p(`SELECT h, ${ROW_COLUMNS} FROM hour_rows WHERE series = ? AND h >= ? AND h < ? ORDER BY h`),
    hourDelOld: p('DELETE FROM hour_rows WHERE series = ? AND h < ?'),

    metaGet: p('SELECT value FROM meta WHERE key = ?'),
    dataVersion: p('PRAGMA data_version'),
    metaDel: p('DELETE FROM meta WHERE key = ?'),
    metaPut: p('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),

    routeGet: p('SELECT at, hops FROM routes WHERE monitor = ? AND agent = ?'),
    routePut: p(`INSERT INTO routes (monitor, agent, at, addr, hops, reached) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (monitor, agent) DO UPDATE SET at = excluded.at, addr = excluded.addr, hops = excluded.hops, reached = excluded.reached`),
    routeChangeIns: p('INSERT OR IGNORE INTO route_changes (monitor, at, agent, from_hops, to_hops) VALUES (?, ?, ?, ?, ?)'),
    routeChanges: p('SELECT agent, at, from_hops, to_hops FROM route_changes WHERE monitor = ? AND at >= ? ORDER BY at, agent'),
    routeChangesDelOld: p('DELETE FROM route_changes WHERE at < ?'),

    addrLatest: p('SELECT at, addr FROM addresses WHERE monitor = ? AND agent = ? ORDER BY at DESC LIMIT 1'),
    addrIns: p('INSERT OR IGNORE INTO addresses (monitor, agent, at, addr) VALUES (?, ?, ?, ?)'),
    addrChanges: p(`SELECT agent, at, addr, prev FROM (
        SELECT agent, at, addr, lag(addr) OVER (PARTITION BY agent ORDER BY at) AS prev FROM addresses WHERE monitor = ?1
      ) WHERE at >= ?2 ORDER BY at, agent`),
    // The newest address of each (monitor, agent) stays, however old: it is what the next one is compared with.
    addrDelOld: p(`DELETE FROM addresses WHERE at < ?1 AND EXISTS (
        SELECT 1 FROM addresses b WHERE b.monitor = addresses.monitor AND b.agent = addresses.agent AND b.at > addresses.at)`),

    alertGet: p('SELECT holding, since, notified_at FROM alert_state WHERE monitor = ? AND rule = ?'),
    alertPut: p(`INSERT INTO alert_state (monitor, rule, holding, since, notified_at)
      SELECT id, ?2, ?3, ?4, ?5 FROM monitors WHERE id = ?1
      ON CONFLICT (monitor, rule) DO UPDATE SET holding = excluded.holding, since = excluded.since, notified_at = excluded.notified_at`),
  };
}

function toMonitor(r: Raw): MonitorRecord {
  return {
    id: r['id'] as number,
    owner: r['owner'] as string,
    name: r['name'] as string,
    type: r['type'] as MonitorType,
    target: r['target'] as string,
    probe: r.probe as string,
    intervalMs: r['interval_ms'] as number,
    traceMs: (r['trace_ms'] as number | null) ?? null,
    ...probeOptions(r['options'] as string | null | undefined),
    from: JSON.parse(r['from_sel'] as string),
    alerts: JSON.parse(r['alerts'] as string),
    notify: JSON.parse(r['notify'] as string),
    paused: r['paused'] === 1,
    createdAt: r['created_at'] as number,
    updatedAt: r['updated_at'] as number,
    rev: r['rev'] as number,
  };
}

/** The `options` column: the probe options that are set. */
function probeOptions(json: string | null | undefined): Pick<MonitorRecord, 'legacy' | 'fixedTimeout'> {
  if (!json) return {};
  const o = JSON.parse(json) as { legacy?: unknown; fixedTimeout?: unknown };
  return { ...(o.legacy === true ? { legacy: true } : {}), ...(o.fixedTimeout === true ? { fixedTimeout: true } : {}) };
}

function nameTaken(name: string): MeshprobeError {
  return new MeshprobeError(ErrorCode.BadRequest, `a monitor named "${name}" exists already: choose another --name`);
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function toMinuteRow(m: number, t: number, r: RawRow, hist: HistogramPairs = decodeHistogram(r.hist)): MinuteRow {
  const row: MinuteRow = { m, t, sent: r.sent, recv: r.recv, sum: r.sum_ns / NS_PER_MS, hist };
  if (r.min_ns !== null) row.min = r.min_ns / NS_PER_MS;
  if (r.max_ns !== null) row.max = r.max_ns / NS_PER_MS;
  if (r.x) row.x = JSON.parse(r.x) as MinuteRowExtras;
  return row;
}

/** The fields of a row kept only for a series' newest row, as JSON (null when there are none). */
function extrasOf(row: MinuteRow): string | null {
  const extras: Partial<MinuteRow> = {};
  if (row.last !== undefined) extras.last = row.last;
  if (row.lastAt !== undefined) extras.lastAt = row.lastAt;
  if (row.ewma !== undefined) extras.ewma = row.ewma;
  if (row.addr !== undefined) extras.addr = row.addr;
  if (row.err !== undefined) extras.err = row.err;
  return Object.keys(extras).length > 0 ? JSON.stringify(extras) : null;
}

/** Pairs as the store keeps them (bucket ascending, on the grid, positive integer counts): as given when they are. */
function normalized(pairs: HistogramPairs): HistogramPairs {
  let prev = MIN_BUCKET - 1;
  for (const [k, c] of pairs) {
    if (!(Number.isInteger(k) && k > prev && k <= OVERFLOW_BUCKET && Number.isInteger(c) && c > 0)) return Histogram.from(pairs).pairs().map(([b, n]) => [b, Math.trunc(n)]);
    prev = k;
  }
  return pairs;
}

function emptyAggregate(): Aggregate {
  return { sent: 0, recv: 0, minNs: null, maxNs: null, sumNs: 0, hist: new Histogram() };
}

function mergeInto(agg: Aggregate, r: RawRow): void {
  agg.sent += r.sent;
  agg.recv += r.recv;
  agg.minNs = lesser(agg.minNs, r.min_ns);
  agg.maxNs = greater(agg.maxNs, r.max_ns);
  agg.sumNs += r.sum_ns;
  agg.hist.merge(decodeHistogram(r.hist));
}

function aggregateView(agg: Aggregate): Omit<SampleAggregate, 't' | 'agent'> {
  return { sent: agg.sent, recv: agg.recv, min: fromNs(agg.minNs), max: fromNs(agg.maxNs), sum: agg.sumNs / NS_PER_MS, hist: agg.hist.pairs() };
}

function toNs(ms: number | undefined): number | null {
  return typeof ms === 'number' && Number.isFinite(ms) ? Math.round(ms * NS_PER_MS) : null;
}

function fromNs(ns: number | null): number | null {
  return ns === null ? null : ns / NS_PER_MS;
}

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

function lesser(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function greater(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
