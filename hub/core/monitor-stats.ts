/**
 * The statistics of one agent × monitor (issue 13 item 6) as `monitor list` / `monitor show`
 * print them, and one step of the samples API: counts, min and max from an aggregate over the
 * range, quantiles from its merged histogram, last and the time-weighted EWMAs from the newest
 * row (the agent computes those per sample; shared/model/ewma.ts).
 */
import { bucketBoundMs, Histogram, type HistogramPairs } from '../../shared/model/histogram.ts';
import type { MinuteRow, MonitorAgentStats, MonitorSample } from '../../shared/model/monitor-types.ts';
import type { SampleAggregate } from '../store/monitor-store.ts';

/** Counts over a range: a store aggregate or a live series. */
export interface RangeCounts {
  sent: number;
  recv: number;
  min: number | null;
  max: number | null;
  hist: Histogram | HistogramPairs;
}

/** The statistics line of `agent` from its counts over the range and its newest row. */
export function agentStats(agent: string, counts: RangeCounts | undefined, latest: MinuteRow | undefined): MonitorAgentStats {
  const sent = counts?.sent ?? 0;
  const received = counts?.recv ?? 0;
  const h = counts ? (counts.hist instanceof Histogram ? counts.hist : Histogram.from(counts.hist)) : new Histogram();
  const successPct = sent > 0 ? round((100 * received) / sent, 3) : null;
  const ewma = latest?.ewma;
  return {
    agent,
    address: latest?.addr ?? null,
    sent,
    received,
    successPct,
    lossPct: successPct === null ? null : round(100 - successPct, 3),
    minMs: counts?.min ?? null,
    avg15mMs: ewma ? ewma[0] : null,
    avg6hMs: ewma ? ewma[1] : null,
    avg24hMs: ewma ? ewma[2] : null,
    maxMs: counts?.max ?? null,
    lastMs: latest?.last ?? null,
    p50Ms: h.quantile(0.5) ?? null,
    p95Ms: h.quantile(0.95) ?? null,
    p99Ms: h.quantile(0.99) ?? null,
    lastAt: latest ? new Date(latest.lastAt ?? latest.t).toISOString() : null,
    ...(latest?.err !== undefined ? { error: latest.err } : {}),
  };
}

/** Adds `b` into `a` (same agent, two spans): merging is adding. */
export function mergeAggregate(a: SampleAggregate, b: SampleAggregate): SampleAggregate {
  const h = Histogram.from(a.hist);
  h.merge(b.hist);
  return {
    t: Math.min(a.t, b.t),
    agent: a.agent,
    sent: a.sent + b.sent,
    recv: a.recv + b.recv,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
    sum: a.sum + b.sum,
    hist: h.pairs(),
  };
}

/** One step of GET /v1/monitors/{id}/samples. */
export function sampleView(a: SampleAggregate): MonitorSample {
  const h = Histogram.from(a.hist);
  return {
    t: new Date(a.t).toISOString(),
    agent: a.agent,
    sent: a.sent,
    received: a.recv,
    lossPct: a.sent > 0 ? round(100 - (100 * a.recv) / a.sent, 3) : null,
    minMs: a.min,
    maxMs: a.max,
    avgMs: a.recv > 0 ? round(a.sum / a.recv, 4) : null,
    p50Ms: h.quantile(0.5) ?? null,
    p95Ms: h.quantile(0.95) ?? null,
    p99Ms: h.quantile(0.99) ?? null,
    hist: a.hist.map(([k, c]) => {
      const bound = bucketBoundMs(k);
      return [Number.isFinite(bound) ? round(bound, 6) : null, c];
    }),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
