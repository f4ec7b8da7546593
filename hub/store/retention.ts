/**
 * How long the monitor store keeps samples (issue 13, item 4): per-minute rows for two weeks,
 * then hourly rollups for a little over a year. The hub's settings pass them to
 * MonitorStore.rollup as `minuteRetentionMs` and `hourRetentionMs`.
 */

/** Minute rows older than this are folded into hourly rows: 14 days. */
export const DEFAULT_MINUTE_RETENTION_MS = 14 * 86_400_000;

/** Hourly rows older than this are deleted: 400 days (a year and a bit, for year-on-year looks). */
export const DEFAULT_HOUR_RETENTION_MS = 400 * 86_400_000;
