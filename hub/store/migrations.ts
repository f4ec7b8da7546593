/**
 * The schema of the hub's SQLite store, as numbered steps. `PRAGMA user_version` holds the
 * number of steps applied; at open, the missing ones run in one transaction (with the new
 * version), so a database is always at some step of this list, never between two. Steps are
 * only ever appended: a released step is never edited.
 *
 * Layout, and why:
 * - `series` names one (monitor, agent) pair with a small integer, so sample rows carry 2–3
 *   bytes of key instead of the agent's name; it also holds the series' running totals and the
 *   extras of its newest row (last, EWMAs, address, error), updated with each stored row.
 * - `minute_rows` are keyed (minute, series), not (series, minute): agents re-send their open
 *   minute every ~10 s, and in this order all series' rows of one minute share adjacent pages
 *   (~110 pages of 4 KiB for 10,000 series at ~45 B a row), where (series, minute) would dirty
 *   one page per series (~10,000) each round. Reads of one series walk the minutes by primary
 *   key. bench/store-size.ts measures the bytes written.
 *   No foreign key: a cascade needs an index on `series` (more writes); deleteMonitor deletes
 *   the rows itself.
 * - `hour_rows` (series, hour): written only by rollup, read per series over long ranges.
 * - Times: minute and hour numbers since the epoch (4 and 3 bytes on disk against 6 for ms);
 *   round trips as integer nanoseconds (3–6 bytes against 8 for a REAL), the precision every
 *   statistic is rounded to; histograms as varint BLOBs (histogram-blob.ts).
 */
import type { DatabaseSync } from 'node:sqlite';

export interface Migration {
  /** The user_version after this step. */
  version: number;
  /** What the step does, for logs and errors. */
  name: string;
  up(db: DatabaseSync): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'monitors, series, minute and hourly rows, routes, addresses, alert state',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
        CREATE TABLE monitors (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          owner TEXT NOT NULL,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          target TEXT NOT NULL,
          probe TEXT NOT NULL,
          interval_ms INTEGER NOT NULL,
          trace_ms INTEGER,
          from_sel TEXT NOT NULL,
          alerts TEXT NOT NULL,
          notify TEXT NOT NULL,
          paused INTEGER NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          rev INTEGER NOT NULL,
          UNIQUE (owner, name)
        );
        CREATE TABLE series (
          id INTEGER PRIMARY KEY,
          monitor INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
          agent TEXT NOT NULL,
          first_t INTEGER NOT NULL,
          last_t INTEGER NOT NULL,
          latest TEXT,
          sent INTEGER NOT NULL,
          recv INTEGER NOT NULL,
          min_ns INTEGER,
          max_ns INTEGER,
          sum_ms REAL NOT NULL,
          hist BLOB NOT NULL,
          UNIQUE (monitor, agent)
        );
        CREATE TABLE minute_rows (
          t INTEGER NOT NULL,
          series INTEGER NOT NULL,
          sent INTEGER NOT NULL,
          recv INTEGER NOT NULL,
          min_ns INTEGER,
          max_ns INTEGER,
          sum_ns INTEGER NOT NULL,
          hist BLOB NOT NULL,
          PRIMARY KEY (t, series)
        ) WITHOUT ROWID;
        CREATE TABLE hour_rows (
          series INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
          h INTEGER NOT NULL,
          sent INTEGER NOT NULL,
          recv INTEGER NOT NULL,
          min_ns INTEGER,
          max_ns INTEGER,
          sum_ns INTEGER NOT NULL,
          hist BLOB NOT NULL,
          PRIMARY KEY (series, h)
        ) WITHOUT ROWID;
        CREATE TABLE routes (
          monitor INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
          agent TEXT NOT NULL,
          at INTEGER NOT NULL,
          addr TEXT NOT NULL,
          hops TEXT NOT NULL,
          reached INTEGER NOT NULL,
          PRIMARY KEY (monitor, agent)
        ) WITHOUT ROWID;
        CREATE TABLE route_changes (
          monitor INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
          at INTEGER NOT NULL,
          agent TEXT NOT NULL,
          from_hops TEXT NOT NULL,
          to_hops TEXT NOT NULL,
          PRIMARY KEY (monitor, at, agent)
        ) WITHOUT ROWID;
        CREATE TABLE addresses (
          monitor INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
          agent TEXT NOT NULL,
          at INTEGER NOT NULL,
          addr TEXT NOT NULL,
          PRIMARY KEY (monitor, agent, at)
        ) WITHOUT ROWID;
        CREATE TABLE alert_state (
          monitor INTEGER NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
          rule TEXT NOT NULL,
          holding INTEGER NOT NULL,
          since INTEGER NOT NULL,
          notified_at INTEGER,
          PRIMARY KEY (monitor, rule)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    name: 'the BGP table imported from MRT dumps (issue 16)',
    // One row per RIB entry (prefix × peer × add-path id). `key` is the family byte, the length
    // byte and the network's bytes with host bits zero: longest-prefix match is one indexed
    // equality per prefix length present (hub/bgp/route-index.ts). `as_path` is padded with
    // spaces (' 3356 1299 64500 ') so a path segment is a LIKE of ' A B '. An import fills a
    // staging table and swaps it in (hub/bgp/mrt-import.ts), so these are never half-written.
    up(db) {
      db.exec(`
        CREATE TABLE bgp_table (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          files TEXT NOT NULL,
          signature TEXT NOT NULL,
          imported_at INTEGER NOT NULL,
          dumped_at INTEGER,
          routes INTEGER NOT NULL,
          prefixes INTEGER NOT NULL,
          peers TEXT NOT NULL,
          lengths TEXT NOT NULL
        );
        CREATE TABLE bgp_routes (
          key BLOB NOT NULL,
          prefix TEXT NOT NULL,
          peer INTEGER NOT NULL,
          path_id INTEGER NOT NULL,
          origin_as INTEGER,
          first_as INTEGER,
          as_path TEXT NOT NULL,
          next_hop TEXT,
          originated INTEGER NOT NULL
        );
        CREATE INDEX bgp_routes_key_g0 ON bgp_routes (key);
        CREATE INDEX bgp_routes_origin_g0 ON bgp_routes (origin_as);
        CREATE INDEX bgp_routes_first_g0 ON bgp_routes (first_as);
      `);
    },
  },
  {
    version: 3,
    name: 'web sessions, personal API tokens, share links',
    // The web UI's state (hub/store/web-store.ts). Sessions and personal tokens are keyed by the
    // jti of the hub token they stand for, so revoking the jti (hub/auth/) and deleting the row
    // go together. Share links hold the finished stream's events as JSON; ids are 128 random bits.
    up(db) {
      db.exec(`
        CREATE TABLE web_sessions (
          id TEXT PRIMARY KEY,
          subject TEXT NOT NULL,
          scopes TEXT NOT NULL,
          kind TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE personal_tokens (
          jti TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          label TEXT NOT NULL,
          scopes TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          revoked_at INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX personal_tokens_owner ON personal_tokens (owner);
        CREATE TABLE shares (
          id TEXT PRIMARY KEY,
          owner TEXT NOT NULL,
          command TEXT NOT NULL,
          events TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX shares_expiry ON shares (expires_at);
      `);
    },
  },
  {
    version: 4,
    name: 'extras of minute rows (TCP echo and one-way delay monitors)',
    // MinuteRow `x` (issue 14): a TCP echo monitor's timeouts, drops, connects and gauges, a one-way delay
    // monitor's one-way delay histograms and clock offset, as JSON; NULL for every other type, so
    // ping's rows cost one byte more. Rollup does not carry it into hourly rows.
    up(db) {
      db.exec('ALTER TABLE minute_rows ADD COLUMN x TEXT;');
    },
  },
  {
    version: 5,
    name: 'probe options of monitors (legacy framing, fixed timeout)',
    // `monitor add --legacy / --fixed-timeout` (issue 14): the options as a JSON object
    // ({"legacy":true,"fixedTimeout":true}); NULL for a monitor without any (every one before).
    up(db) {
      db.exec('ALTER TABLE monitors ADD COLUMN options TEXT;');
    },
  },
];

/** The version a database has once every step ran. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
