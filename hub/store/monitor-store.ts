/**
 * The hub's store of monitors and their samples (design §12): an interface, so that a later
 * multi-hub deployment can put it on PostgreSQL; sqlite-store.ts is the embedded default
 * (node:sqlite, WAL, in the hub's data dir). Every method is synchronous and durable on return:
 * a change is committed (and fsynced) before the caller acts on it or acknowledges it. A failure
 * throws a MeshprobeError with MP_ERR_STORE and a one-line reason; nothing is half-written.
 */
import type { HistogramPairs } from '../../shared/model/histogram.ts';
import type { MinuteRow, MonitorType, RouteRecord } from '../../shared/model/monitor-types.ts';

/** A monitor as stored. */
export interface MonitorRecord {
  id: number;
  /** The subject that created it (`telegram:42`, `email:a@b`, a token's sub). */
  owner: string;
  /** Unique per owner. */
  name: string;
  type: MonitorType;
  /** As given: name, address, or name@address. */
  target: string;
  /** What agents probe (the address of name@address, else the target). */
  probe: string;
  intervalMs: number;
  traceMs: number | null;
  /** Probe options fixed at creation (MonitorAssignment `legacy`, `fixedTimeout`); absent = not set. */
  legacy?: true;
  fixedTimeout?: true;
  /** Agent selectors (`--from`); empty = every capable agent. */
  from: string[];
  /** Alert rules as typed (`loss>5% for 5m`). */
  alerts: string[];
  /** Where alerts go: the chat or mail address that created it, and an optional webhook. */
  notify: { telegram?: string; email?: string; webhook?: string };
  paused: boolean;
  createdAt: number;
  updatedAt: number;
  /** Bumped on every change that agents must see (MonitorAssignment.rev). */
  rev: number;
}

export type NewMonitor = Omit<MonitorRecord, 'id' | 'createdAt' | 'updatedAt' | 'rev'>;
export type MonitorPatch = Partial<Pick<MonitorRecord, 'name' | 'intervalMs' | 'traceMs' | 'from' | 'alerts' | 'notify' | 'paused'>>;

/** Aggregated samples of one agent (or all) over a span: a minute row, an hourly rollup, or a merge of them. */
export interface SampleAggregate {
  /** Start of the span, ms since the epoch. */
  t: number;
  agent: string;
  sent: number;
  recv: number;
  min: number | null;
  max: number | null;
  sum: number;
  hist: HistogramPairs;
}

/** What upsertRows changed: for each row that grew, the stored row before (undefined if new). */
export interface RowChange {
  agent: string;
  row: MinuteRow;
  previous: MinuteRow | undefined;
}

export interface RouteChange {
  monitor: number;
  agent: string;
  at: number;
  from: (string | null)[];
  to: (string | null)[];
}

export interface AddressChange {
  monitor: number;
  agent: string;
  at: number;
  from: string | null;
  to: string;
}

export interface MonitorStore {
  /** Creates a monitor; throws MP_ERR_BAD_REQUEST when the owner already has one of that name. */
  createMonitor(input: NewMonitor, now?: number): MonitorRecord;
  /** Changes a monitor (bumping rev); undefined when there is none with that id. */
  updateMonitor(id: number, patch: MonitorPatch, now?: number): MonitorRecord | undefined;
  /** Deletes a monitor with its samples, routes and alerts; whether it existed. */
  deleteMonitor(id: number): boolean;
  getMonitor(id: number): MonitorRecord | undefined;
  /** By owner and name. */
  findMonitor(owner: string, name: string): MonitorRecord | undefined;
  /** Every monitor, or an owner's, by id. */
  listMonitors(owner?: string): MonitorRecord[];
  countMonitors(owner: string): number;

  /**
   * Stores minute rows from `agent` in one transaction: a row replaces the stored row of the same
   * (monitor, agent, minute) only when it has grown (more sent); rows of unknown monitors are
   * skipped. Returns the rows that changed, with what was there before.
   */
  upsertRows(agent: string, rows: readonly MinuteRow[]): RowChange[];
  /** The newest row of each agent of a monitor (last, EWMAs, address, err). */
  latestRows(monitor: number): Map<string, MinuteRow>;
  /** Totals since the monitor began (minute and hourly rows merged), per agent. */
  totals(monitor: number): Map<string, SampleAggregate>;
  /**
   * Samples in [from, to) merged into steps of `stepMs` (a multiple of 60,000; hourly rows count
   * whole for steps of an hour or more, and spread into the step they start in otherwise), per agent
   * (or one agent), t ascending.
   */
  samples(monitor: number, q: { agent?: string; from: number; to: number; stepMs: number }): SampleAggregate[];

  /** Records a route-watch trace; returns the change when it differs from the agent's previous route. */
  recordRoute(agent: string, route: RouteRecord): RouteChange | undefined;
  routeChanges(monitor: number, since: number): RouteChange[];
  /** Records the address an agent probes; returns the change when it differs from the previous one. */
  recordAddress(monitor: number, agent: string, address: string, at: number): AddressChange | undefined;
  addressChanges(monitor: number, since: number): AddressChange[];

  /** Alert state per (monitor, rule): when it started holding (ms) or null. Kept across restarts. */
  alertState(monitor: number, rule: string): { holding: boolean; since: number; notifiedAt: number | null } | undefined;
  setAlertState(monitor: number, rule: string, state: { holding: boolean; since: number; notifiedAt: number | null }): void;

  /**
   * Folds minute rows older than `minuteRetentionMs` into hourly rows (adding counts, so exact) and
   * deletes hourly rows older than `hourRetentionMs`. Idempotent; safe to run any time.
   * With `maxRows`, one call does about that many rows' work and returns `more: true` when work is
   * left for the next call (which goes on where it stopped); without it, one call does it all.
   */
  rollup(now: number, opts: { minuteRetentionMs: number; hourRetentionMs: number; maxRows?: number }): { minutesFolded: number; hoursDeleted: number; more?: true };

  close(): void;
}
