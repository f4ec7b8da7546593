/**
 * Alert rules of monitors (issue 13 item 10): `loss>5% for 5m`, `p95>50ms for 10m`. A rule holds
 * when the metric, over the last window of minute rows of an agent (merged, so exact), is beyond
 * the threshold. Metrics: `loss` (percent), `p50`, `p95`, `p99` (from the histogram, as the upper
 * bound of the bucket that holds the quantile), `avg`, `min`, `max` (ms). Comparisons `>`, `>=`,
 * `<`, `<=`. Latencies take `us`, `ms` (the default) or `s`; the window is a duration of
 * shared/model/duration.ts, whole minutes from 1 minute to 1 day (default 5 minutes).
 */
import { formatDuration, parseDurationMs } from './duration.ts';
import { Histogram, type HistogramPairs } from './histogram.ts';

/** What a rule can look at. */
export const ALERT_METRICS = ['loss', 'p50', 'p95', 'p99', 'avg', 'min', 'max'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export type AlertOp = '>' | '>=' | '<' | '<=';

/** A parsed rule. `text` is its canonical spelling (what the store keys the rule's state by). */
export interface AlertRule {
  metric: AlertMetric;
  op: AlertOp;
  /** Percent for `loss`, ms otherwise. */
  threshold: number;
  windowMs: number;
  text: string;
}

/** Bounds of a rule. */
export const AlertRuleLimits = {
  minWindowMs: 60_000,
  maxWindowMs: 86_400_000,
  defaultWindowMs: 300_000,
  maxLatencyMs: 60_000,
  maxLength: 80,
} as const;

const LATENCY_UNIT: Record<string, number> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000 };

/** The rule of `text`, or a one-line reason naming what is wrong and how a good rule looks. */
export function parseAlertRule(text: string): { ok: true; rule: AlertRule } | { ok: false; message: string } {
  const fail = (why: string) => ({ ok: false as const, message: `alert ${JSON.stringify(text.slice(0, AlertRuleLimits.maxLength))}: ${why} (e.g. 'loss>5% for 5m', 'p95>50ms for 10m')` });
  if (text.length > AlertRuleLimits.maxLength) return fail(`longer than ${AlertRuleLimits.maxLength} characters`);
  const m = /^\s*([a-z0-9]+)\s*(>=|<=|>|<)\s*(\d+(?:\.\d+)?|\.\d+)\s*(%|us|µs|ms|s)?\s*(?:for\s+(\S+))?\s*$/i.exec(text);
  if (!m) return fail('expected METRIC>VALUE [for WINDOW]');
  const metric = m[1]!.toLowerCase() as AlertMetric;
  if (!ALERT_METRICS.includes(metric)) return fail(`unknown metric ${m[1]}; one of ${ALERT_METRICS.join(', ')}`);
  const op = m[2] as AlertOp;
  const value = Number(m[3]);
  const unit = m[4]?.toLowerCase();
  let threshold: number;
  if (metric === 'loss') {
    if (unit !== undefined && unit !== '%') return fail('loss is a percentage (5%)');
    if (value > 100) return fail('loss is at most 100%');
    threshold = value;
  } else {
    if (unit === '%') return fail(`${metric} is a latency (50ms, 0.5s, 200us)`);
    threshold = value * LATENCY_UNIT[unit ?? 'ms']!;
    if (threshold > AlertRuleLimits.maxLatencyMs) return fail(`${metric} is at most ${AlertRuleLimits.maxLatencyMs / 1000}s`);
  }
  let windowMs: number = AlertRuleLimits.defaultWindowMs;
  if (m[5] !== undefined) {
    const w = parseDurationMs(m[5]);
    if (w === undefined) return fail(`window ${m[5]} is not a duration (5m, 1h)`);
    windowMs = Math.ceil(w / 60_000) * 60_000;
    if (windowMs < AlertRuleLimits.minWindowMs || windowMs > AlertRuleLimits.maxWindowMs) {
      return fail(`the window is ${formatDuration(AlertRuleLimits.minWindowMs)} to ${formatDuration(AlertRuleLimits.maxWindowMs)}`);
    }
  }
  const shown = metric === 'loss' ? `${threshold}%` : `${Number(threshold.toPrecision(6))}ms`;
  return { ok: true, rule: { metric, op, threshold, windowMs, text: `${metric}${op}${shown} for ${formatDuration(windowMs)}` } };
}

/** Aggregated samples over a rule's window (one agent's minute rows merged). */
export interface AlertWindow {
  sent: number;
  received: number;
  min: number | null;
  max: number | null;
  sum: number;
  hist: HistogramPairs;
}

/** The metric's value over `w`, or null when it has none (nothing sent; no reply for latencies). */
export function alertMetricValue(metric: AlertMetric, w: AlertWindow): number | null {
  if (metric === 'loss') return w.sent > 0 ? (100 * Math.max(0, w.sent - w.received)) / w.sent : null;
  if (w.received <= 0) return null;
  switch (metric) {
    case 'avg':
      return w.sum / w.received;
    case 'min':
      return w.min;
    case 'max':
      return w.max;
    default:
      return Histogram.from(w.hist).quantile(Number(metric.slice(1)) / 100) ?? null;
  }
}

/** Whether `value` is beyond the rule's threshold; a missing value never holds. */
export function ruleHolds(rule: AlertRule, value: number | null): boolean {
  if (value === null) return false;
  switch (rule.op) {
    case '>':
      return value > rule.threshold;
    case '>=':
      return value >= rule.threshold;
    case '<':
      return value < rule.threshold;
    case '<=':
      return value <= rule.threshold;
  }
}

/** `12.5%` for loss, `3.25ms` for latencies: a metric's value as messages show it. */
export function formatAlertValue(metric: AlertMetric, value: number): string {
  return metric === 'loss' ? `${Number(value.toFixed(1))}%` : `${Number(value.toPrecision(4))}ms`;
}
