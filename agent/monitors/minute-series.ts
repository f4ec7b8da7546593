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
import { EWMA_TAUS_MS, ewmaMove, type EwmaState } from '../../shared/model/ewma.ts';
import { Histogram } from '../../shared/model/histogram.ts';
import type { MinuteRow, MinuteRowExtras } from '../../shared/model/monitor-types.ts';
import type { MonitorExtrasSink } from './monitor-engine.ts';

const MINUTE_MS = 60_000;

/** Start of the minute holding `at` (ms since the epoch). */
export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

type Gauge = Parameters<MonitorExtrasSink['gauge']>[0];

export class MinuteSeries implements MonitorExtrasSink {
  readonly id: number;
  /** Start of the open minute. */
  #t: number;
  #sent = 0;
  #recv = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;
  #sum = 0;
  #hist = new Histogram();
  // NaN for "none yet" rather than undefined: fields that only ever hold numbers are updated in
  // place by V8, where a field that once held undefined boxes every new value (an allocation
  // per reply, ten thousand a second on a busy agent).
  #last = Number.NaN;
  #lastAt = Number.NaN;
  /** The three averages (EWMA_TAUS_MS), moved in place; none before the first reply. */
  #ewma: EwmaState[] | undefined;
  /** The extras (TCP echo, one-way delay): counters of the open minute, gauges carried on; undefined until one is recorded. */
  #counts: Partial<Record<'timeouts' | 'drops' | 'connects', number>> | undefined;
  #gauges: Partial<Record<Gauge, number>> | undefined;
  #fwd: Histogram | undefined;
  #rev: Histogram | undefined;
  #fwdSum = 0;
  #revSum = 0;
  /** The address probed now, and why nothing can be probed (one line), if so. */
  addr: string | undefined;
  err: string | undefined;
  /** Changed since the open row was last taken by {@link openRow} with `clean`. */
  dirty = false;
  /** Rows of minutes that ended, oldest first, until {@link takeClosed}. */
  #closed: MinuteRow[] = [];

  constructor(id: number, now: number) {
    this.id = id;
    this.#t = minuteOf(now);
  }

  /** Total outcomes recorded over the series' life (the first one triggers a live report). */
  outcomes = 0;

  /** Records one probe's outcome at `at`: its round trip in ms, or undefined when it was lost. */
  record(at: number, rttMs: number | undefined): void {
    this.roll(at);
    this.#sent++;
    this.outcomes++;
    this.dirty = true;
    if (rttMs === undefined || !Number.isFinite(rttMs) || rttMs < 0) return;
    this.#recv++;
    if (rttMs < this.#min) this.#min = rttMs;
    if (rttMs > this.#max) this.#max = rttMs;
    this.#sum += rttMs;
    this.#hist.add(rttMs);
    this.#last = rttMs;
    this.#lastAt = Math.round(at);
    if (this.#ewma) for (let i = 0; i < EWMA_TAUS_MS.length; i++) ewmaMove(this.#ewma[i]!, rttMs, at, EWMA_TAUS_MS[i]!);
    else this.#ewma = EWMA_TAUS_MS.map(() => ({ value: rttMs, at }));
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
      this.#fwdSum += forwardMs;
    }
    if (Number.isFinite(reverseMs)) {
      (this.#rev ??= new Histogram()).add(Math.max(reverseMs, 0));
      this.#revSum += reverseMs;
    }
    this.dirty = true;
  }

  #resetExtras(): void {
    if (this.#counts) this.#counts = {};
    if (this.#fwd) this.#fwd = new Histogram();
    if (this.#rev) this.#rev = new Histogram();
    this.#fwdSum = 0;
    this.#revSum = 0;
  }

  /** Closes the open minute when `now` is past it (a row is kept when anything happened in it, or it has an error). */
  roll(now: number): void {
    const t = minuteOf(now);
    if (t <= this.#t) return;
    const row = this.#row();
    if (row.sent > 0 || row.err !== undefined) this.#closed.push(row);
    this.#t = t;
    this.#sent = 0;
    this.#recv = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
    this.#sum = 0;
    this.#hist = new Histogram();
    this.#resetExtras();
    this.dirty = this.err !== undefined;
  }

  /** Closes the open minute now, whatever the time (the monitor stops). */
  close(): void {
    const row = this.#row();
    if (row.sent > 0 || row.err !== undefined) this.#closed.push(row);
    this.#sent = 0;
    this.#recv = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
    this.#sum = 0;
    this.#hist = new Histogram();
    this.#resetExtras();
    this.#t = Number.POSITIVE_INFINITY; // nothing more is recorded into it
  }

  /** The rows of ended minutes since the last call. */
  takeClosed(): MinuteRow[] {
    const rows = this.#closed;
    this.#closed = [];
    return rows;
  }

  /** The open minute's row so far (undefined when nothing happened in it yet). */
  openRow(): MinuteRow | undefined {
    if (this.#sent === 0 && this.err === undefined) return undefined;
    this.dirty = false;
    return this.#row();
  }

  /**
   * Seeds the open minute with a row sent before (an agent that restarts within a minute goes on
   * from what it had reported, since the hub keeps only the larger of two rows of a minute).
   */
  resume(row: MinuteRow): void {
    if (row.t !== this.#t || row.m !== this.id) return;
    this.#sent = row.sent;
    this.#recv = row.recv;
    if (row.min !== undefined) this.#min = row.min;
    if (row.max !== undefined) this.#max = row.max;
    this.#sum = row.sum;
    this.#hist = Histogram.from(row.hist);
    if (row.last !== undefined && row.lastAt !== undefined) {
      this.#last = row.last;
      this.#lastAt = row.lastAt;
    }
    if (row.ewma && row.lastAt !== undefined) this.#ewma = row.ewma.map((value) => ({ value, at: row.lastAt! }));
    // The extras go on from what was reported too: the hub adds only what a row grew by.
    const x = row.x;
    if (x) {
      this.#counts = {};
      for (const k of ['timeouts', 'drops', 'connects'] as const) if (x[k] !== undefined) this.#counts[k] = x[k];
      if (x.fwd) {
        this.#fwd = Histogram.from(x.fwd);
        this.#fwdSum = x.fwdSum ?? 0;
      }
      if (x.rev) {
        this.#rev = Histogram.from(x.rev);
        this.#revSum = x.revSum ?? 0;
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
      x.fwdSum = round(this.#fwdSum);
    }
    if (this.#rev && this.#rev.total > 0) {
      x.rev = this.#rev.pairs();
      x.revSum = round(this.#revSum);
    }
    return x;
  }

  #row(): MinuteRow {
    const row: MinuteRow = { m: this.id, t: this.#t, sent: this.#sent, recv: this.#recv, sum: round(this.#sum), hist: this.#hist.pairs() };
    if (this.#recv > 0) {
      row.min = round(this.#min);
      row.max = round(this.#max);
    }
    if (!Number.isNaN(this.#last)) {
      row.last = round(this.#last);
      row.lastAt = this.#lastAt;
    }
    if (this.#ewma) row.ewma = [round(this.#ewma[0]!.value), round(this.#ewma[1]!.value), round(this.#ewma[2]!.value)];
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
