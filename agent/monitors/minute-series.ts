/**
 * One monitor's results on this agent, folded per minute (design §11): sent, received, min, max,
 * sum, the log-scale histogram (shared/model/histogram.ts), the last round trip and the
 * time-weighted EWMAs (shared/model/ewma.ts), which run on across minutes.
 *
 * A probe counts in the minute its outcome is known (reply, error or timeout), not the minute it
 * left: a row is then complete when its minute ends, never changed by a late reply, and
 * `recv ≤ sent` holds in every row. Time comes from the caller (the service's clock), so tests
 * cross minute boundaries without waiting for them.
 */
import { ewmaMoveAll } from '../../shared/model/ewma.ts';
import { Histogram } from '../../shared/model/histogram.ts';
import type { MinuteRow, MinuteRowExtras } from '../../shared/model/monitor-types.ts';
import type { MonitorExtrasSink } from './monitor-engine.ts';

const MINUTE_MS = 60_000;

/** Start of the minute holding `at` (ms since the epoch). */
export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

type Gauge = Parameters<MonitorExtrasSink['gauge']>[0];

/**
 * The series' numbers, side by side in one Float64Array (indices below): a reply touches one or two
 * cache lines instead of a dozen. V8 keeps each double field of an object in a box of its own, and
 * at 1,000 monitors, whose state has gone cold between two replies, those misses were most of the
 * agent's per-reply JavaScript (the TCP echo monitors' bench).
 */
const T = 0;
const SENT = 1;
const RECV = 2;
const MIN = 3;
const MAX = 4;
const SUM = 5;
/** The last round trip and its time (NaN: none yet). */
const LAST = 6;
const LAST_AT = 7;
/** The three EWMAs (EWMA_TAUS_MS) and the time of their last sample (NaN: none yet): ewmaMoveAll's layout. */
const EWMA = 8;
const EWMA_AT = 11;
const FWD_SUM = 12;
const REV_SUM = 13;
const OUTCOMES = 14;
const FIELDS = 15;

export class MinuteSeries implements MonitorExtrasSink {
  readonly id: number;
  readonly #v = new Float64Array(FIELDS);
  #hist = new Histogram();
  /** The extras (TCP echo, one-way delay): counters of the open minute, gauges carried on; undefined until one is recorded. */
  #counts: Partial<Record<'timeouts' | 'drops' | 'connects', number>> | undefined;
  #gauges: Partial<Record<Gauge, number>> | undefined;
  #fwd: Histogram | undefined;
  #rev: Histogram | undefined;
  /** The address probed now, and why nothing can be probed (one line), if so. */
  addr: string | undefined;
  err: string | undefined;
  /** Changed since the open row was last taken by {@link openRow} with `clean`. */
  dirty = false;
  /** Rows of minutes that ended, oldest first, until {@link takeClosed}. */
  #closed: MinuteRow[] = [];

  constructor(id: number, now: number) {
    this.id = id;
    const v = this.#v;
    v[T] = minuteOf(now);
    v[MIN] = Number.POSITIVE_INFINITY;
    v[LAST] = v[LAST_AT] = v[EWMA_AT] = Number.NaN;
  }

  /** Total outcomes recorded over the series' life (the first one triggers a live report). */
  get outcomes(): number {
    return this.#v[OUTCOMES]!;
  }

  /** Records one probe's outcome at `at`: its round trip in ms, or undefined when it was lost. */
  record(at: number, rttMs: number | undefined): void {
    const v = this.#v;
    if (at >= v[T]! + MINUTE_MS) this.roll(at);
    v[SENT]!++;
    v[OUTCOMES]!++;
    this.dirty = true;
    if (rttMs === undefined || !(rttMs >= 0) || rttMs === Number.POSITIVE_INFINITY) return;
    v[RECV]!++;
    if (rttMs < v[MIN]!) v[MIN] = rttMs;
    if (rttMs > v[MAX]!) v[MAX] = rttMs;
    v[SUM]! += rttMs;
    this.#hist.add(rttMs);
    v[LAST] = rttMs;
    v[LAST_AT] = Math.round(at);
    ewmaMoveAll(v, EWMA, rttMs, at);
  }

  /** One more of a per-minute counter (at the service's clock now). */
  count(name: 'timeouts' | 'drops' | 'connects', at = Date.now()): void {
    this.roll(at);
    this.#counts ??= {};
    this.#counts[name] = (this.#counts[name] ?? 0) + 1;
    this.dirty = true;
  }

  gauge(name: Gauge, value: number): void {
    if (!Number.isFinite(value)) return;
    this.#gauges ??= {};
    if (this.#gauges[name] === value) return;
    this.#gauges[name] = value;
    this.dirty = true;
  }

  oneWay(forwardMs: number, reverseMs: number, at = Date.now()): void {
    this.roll(at);
    if (Number.isFinite(forwardMs)) {
      (this.#fwd ??= new Histogram()).add(Math.max(forwardMs, 0));
      this.#v[FWD_SUM]! += forwardMs;
    }
    if (Number.isFinite(reverseMs)) {
      (this.#rev ??= new Histogram()).add(Math.max(reverseMs, 0));
      this.#v[REV_SUM]! += reverseMs;
    }
    this.dirty = true;
  }

  /** Empties the open minute's counts (the last round trip and the EWMAs run on). */
  #resetMinute(): void {
    const v = this.#v;
    v[SENT] = v[RECV] = v[MAX] = v[SUM] = 0;
    v[MIN] = Number.POSITIVE_INFINITY;
    this.#hist = new Histogram();
    this.#resetExtras();
  }

  #resetExtras(): void {
    if (this.#counts) this.#counts = {};
    if (this.#fwd) this.#fwd = new Histogram();
    if (this.#rev) this.#rev = new Histogram();
    this.#v[FWD_SUM] = 0;
    this.#v[REV_SUM] = 0;
  }

  /** Closes the open minute when `now` is past it (a row is kept when anything happened in it, or it has an error). */
  roll(now: number): void {
    const t = minuteOf(now);
    if (t <= this.#v[T]!) return;
    const row = this.#row();
    if (row.sent > 0 || row.err !== undefined) this.#closed.push(row);
    this.#v[T] = t;
    this.#resetMinute();
    this.dirty = this.err !== undefined;
  }

  /** Closes the open minute now, whatever the time (the monitor stops). */
  close(): void {
    const row = this.#row();
    if (row.sent > 0 || row.err !== undefined) this.#closed.push(row);
    this.#resetMinute();
    this.#v[T] = Number.POSITIVE_INFINITY; // nothing more is recorded into it
  }

  /** The rows of ended minutes since the last call. */
  takeClosed(): MinuteRow[] {
    const rows = this.#closed;
    this.#closed = [];
    return rows;
  }

  /** The open minute's row so far (undefined when nothing happened in it yet). */
  openRow(): MinuteRow | undefined {
    if (this.#v[SENT] === 0 && this.err === undefined) return undefined;
    this.dirty = false;
    return this.#row();
  }

  /**
   * Seeds the open minute with a row sent before (an agent that restarts within a minute goes on
   * from what it had reported, since the hub keeps only the larger of two rows of a minute).
   */
  resume(row: MinuteRow): void {
    const v = this.#v;
    if (row.t !== v[T] || row.m !== this.id) return;
    v[SENT] = row.sent;
    v[RECV] = row.recv;
    if (row.min !== undefined) v[MIN] = row.min;
    if (row.max !== undefined) v[MAX] = row.max;
    v[SUM] = row.sum;
    this.#hist = Histogram.from(row.hist);
    if (row.last !== undefined && row.lastAt !== undefined) {
      v[LAST] = row.last;
      v[LAST_AT] = row.lastAt;
    }
    if (row.ewma && row.lastAt !== undefined) {
      v.set(row.ewma.slice(0, 3), EWMA);
      v[EWMA_AT] = row.lastAt;
    }
    // The extras go on from what was reported too: the hub adds only what a row grew by.
    const x = row.x;
    if (x) {
      this.#counts = {};
      for (const k of ['timeouts', 'drops', 'connects'] as const) if (x[k] !== undefined) this.#counts[k] = x[k];
      if (x.fwd) {
        this.#fwd = Histogram.from(x.fwd);
        v[FWD_SUM] = x.fwdSum ?? 0;
      }
      if (x.rev) {
        this.#rev = Histogram.from(x.rev);
        v[REV_SUM] = x.revSum ?? 0;
      }
    }
  }

  /** The row's `x`: what was recorded of the extras, undefined when none ever was. */
  #extras(): MinuteRowExtras | undefined {
    if (!this.#counts && !this.#gauges && !this.#fwd && !this.#rev) return undefined;
    const x: MinuteRowExtras = {};
    for (const [k, v] of Object.entries(this.#counts ?? {})) x[k as 'timeouts'] = v;
    for (const [k, v] of Object.entries(this.#gauges ?? {})) (x as Record<string, number>)[k] = k === 'connected' || k === 'unstable' ? (v ? 1 : 0) : round(v);
    if (this.#fwd && this.#fwd.total > 0) {
      x.fwd = this.#fwd.pairs();
      x.fwdSum = round(this.#v[FWD_SUM]!);
    }
    if (this.#rev && this.#rev.total > 0) {
      x.rev = this.#rev.pairs();
      x.revSum = round(this.#v[REV_SUM]!);
    }
    return x;
  }

  #row(): MinuteRow {
    const v = this.#v;
    const row: MinuteRow = { m: this.id, t: v[T]!, sent: v[SENT]!, recv: v[RECV]!, sum: round(v[SUM]!), hist: this.#hist.pairs() };
    if (v[RECV]! > 0) {
      row.min = round(v[MIN]!);
      row.max = round(v[MAX]!);
    }
    if (!Number.isNaN(v[LAST]!)) {
      row.last = round(v[LAST]!);
      row.lastAt = v[LAST_AT]!;
    }
    if (!Number.isNaN(v[EWMA_AT]!)) row.ewma = [round(v[EWMA]!), round(v[EWMA + 1]!), round(v[EWMA + 2]!)];
    if (this.addr !== undefined) row.addr = this.addr;
    if (this.err !== undefined) row.err = this.err;
    const x = this.#extras();
    if (x) row.x = x;
    return row;
  }
}

/** To the nanosecond: the clock's resolution, without float noise on the wire. */
function round(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}
