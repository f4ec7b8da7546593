/**
 * The monitor heatmap as pixels (issue 13 item 8), meshping's picture with labels: time across
 * (one column per hour, or per day for long ranges), latency up on the fine grid (10 buckets per
 * octave, trimmed to the octaves that hold round trips), the count of round trips in a cell as
 * colour, a loss strip under it, a title, labelled axes and a legend.
 *
 * One series is drawn in a perceptual ramp (dark blue → yellow), counts on a log scale against the
 * fullest cell. Two or three series (monitors or agents, meshping's "compare") share the picture
 * as colour channels: the first red, the second green, the third blue, each against its own fullest
 * cell, so that where they overlap the colours add (red + green = yellow). A column without any
 * probe is grey. Pure RGBA: the hub encodes it (shared/render/png.ts).
 */
import { bucketBoundMs, type HistogramPairs, MAX_BUCKET, MIN_BUCKET } from '../model/histogram.ts';
import { drawText, fillRect, GLYPH_HEIGHT, textWidth } from './bitmap-font.ts';
import type { Rgb, RgbaBitmap } from './sweep-bitmap.ts';

/** One column's worth of one series: what the samples API returns per step. */
export interface HeatmapStep {
  /** Start of the step, ms since the epoch. */
  t: number;
  sent: number;
  received: number;
  /** Fine-grid counts, [bucket, count] (shared/model/histogram.ts). */
  hist: HistogramPairs;
}

/** A monitor or an agent, drawn as one colour (channel). */
export interface HeatmapSeries {
  /** Its legend text, e.g. `lax1` or `uplink@lax1`. */
  label: string;
  steps: readonly HeatmapStep[];
}

export interface HeatmapInput {
  /** The picture's title (printable ASCII; anything else is drawn as `?`). */
  title: string;
  /** First column's start and the end of the range, ms since the epoch. */
  from: number;
  to: number;
  /** Column width in time: an hour or a day. */
  stepMs: number;
  /** One to three series. */
  series: readonly HeatmapSeries[];
}

/** A rectangle of the picture, for tests and for whoever wants to annotate it. */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Where things are in the picture. */
export interface HeatmapLayout {
  title: Rect;
  /** The latency labels left of the plot. */
  yAxis: Rect;
  /** The time labels under the loss strips. */
  xAxis: Rect;
  plot: Rect;
  /** One loss strip per series. */
  loss: Rect[];
  legend: Rect;
  columns: number;
  /** Lowest and highest fine bucket drawn (whole octaves). */
  lowBucket: number;
  highBucket: number;
  cellWidth: number;
  cellHeight: number;
}

/** Most columns one picture has (400 days at a day each fit). */
export const MAX_HEATMAP_COLUMNS = 800;
/** Most series one picture compares (one per colour channel). */
export const MAX_HEATMAP_SERIES = 3;

export const HEATMAP_BACKGROUND: Rgb = [255, 255, 255];
export const HEATMAP_INK: Rgb = [24, 24, 32];
/** A cell of a measured column that holds no round trip. */
export const HEATMAP_EMPTY: Rgb = [0, 0, 0];
/** A column in which the series sent nothing (agent away, monitor paused). */
export const HEATMAP_NO_DATA: Rgb = [110, 110, 118];
/** The colour channel of each compared series, in order. */
export const COMPARE_COLOURS: readonly Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
];

const VIRIDIS: readonly Rgb[] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The single-series ramp at `v` in [0, 1]. */
export function rampColour(v: number): Rgb {
  const x = Math.min(1, Math.max(0, v)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
}

/** The loss strip's colour: green at 0 %, yellow at 5 %, red from 20 %; grey when nothing was sent. */
export function lossColour(lossPct: number | null): Rgb {
  if (lossPct === null) return HEATMAP_NO_DATA;
  const mix = (a: Rgb, b: Rgb, f: number): Rgb => [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])), Math.round(a[2] + f * (b[2] - a[2]))];
  const green: Rgb = [26, 152, 80];
  const yellow: Rgb = [254, 224, 60];
  const red: Rgb = [215, 25, 28];
  if (lossPct <= 0) return green;
  if (lossPct <= 5) return mix(green, yellow, lossPct / 5);
  return mix(yellow, red, Math.min(1, (lossPct - 5) / 15));
}

/** Intensity of `count` against the fullest cell `max`: log scale, and a lone round trip still shows. */
export function intensity(count: number, max: number): number {
  if (!(count > 0) || !(max > 0)) return 0;
  return 0.2 + (0.8 * Math.log1p(count)) / Math.log1p(max);
}

/** `7.8us`, `250us`, `1ms`, `512ms`, `1.0s`, `66s`: an octave bound as the axis shows it. */
export function latencyLabel(ms: number): string {
  if (ms < 1) {
    const us = ms * 1000;
    return `${us < 10 ? us.toFixed(1) : Math.round(us)}us`;
  }
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** A column's time label: `HH:00` for hourly columns, `MM-DD` for daily ones (UTC). */
export function timeLabel(t: number, stepMs: number): string {
  const d = new Date(t);
  return stepMs < 86_400_000 ? `${pad2(d.getUTCHours())}:00` : `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

const PAD = 6;
const TEXT_GAP = 4;
const STRIP = 6;

/** Draws the heatmap; throws a RangeError for more than MAX_HEATMAP_SERIES series or MAX_HEATMAP_COLUMNS columns. */
export function heatmapBitmap(input: HeatmapInput): { bitmap: RgbaBitmap; layout: HeatmapLayout } {
  const { series, stepMs } = input;
  if (series.length < 1 || series.length > MAX_HEATMAP_SERIES) throw new RangeError(`a heatmap draws 1 to ${MAX_HEATMAP_SERIES} series, not ${series.length}`);
  const columns = Math.max(1, Math.ceil((input.to - input.from) / stepMs));
  if (columns > MAX_HEATMAP_COLUMNS) throw new RangeError(`a heatmap has at most ${MAX_HEATMAP_COLUMNS} columns, not ${columns}`);

  // Cells per series: column → bucket → count, and what each column sent and received.
  const cells = series.map(() => new Map<number, Map<number, number>>());
  const sums = series.map(() => new Map<number, { sent: number; received: number }>());
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  const maxCount = series.map(() => 0);
  series.forEach((s, si) => {
    for (const step of s.steps) {
      const col = Math.floor((step.t - input.from) / stepMs);
      if (col < 0 || col >= columns) continue;
      const tot = sums[si]!.get(col) ?? { sent: 0, received: 0 };
      tot.sent += step.sent;
      tot.received += step.received;
      sums[si]!.set(col, tot);
      const column = cells[si]!.get(col) ?? new Map<number, number>();
      for (const [k0, c] of step.hist) {
        const k = Math.min(MAX_BUCKET + 1, Math.max(MIN_BUCKET, k0));
        const v = (column.get(k) ?? 0) + c;
        column.set(k, v);
        if (v > maxCount[si]!) maxCount[si] = v;
        if (k < low) low = k;
        if (k > high) high = k;
      }
      cells[si]!.set(col, column);
    }
  });
  // Whole octaves, so that both ends of the axis carry a label; 1 ms ± an octave when empty.
  if (!Number.isFinite(low)) {
    low = -10;
    high = 10;
  }
  const lowBucket = Math.max(MIN_BUCKET, Math.floor((low - 1) / 10) * 10 + 1);
  const highBucket = Math.min(MAX_BUCKET + 1, Math.max(lowBucket + 9, Math.ceil(high / 10) * 10));
  const rows = highBucket - lowBucket + 1;

  const cellWidth = Math.min(24, Math.max(2, Math.floor(720 / columns)));
  const cellHeight = Math.min(8, Math.max(2, Math.floor(240 / rows)));
  const yLabels: { y: number; text: string }[] = [];
  for (let k = lowBucket; k <= highBucket; k++) if (k % 10 === 0 && k <= MAX_BUCKET) yLabels.push({ y: 0, text: latencyLabel(bucketBoundMs(k)) });
  const yAxisW = Math.max(textWidth('RTT'), ...yLabels.map((l) => textWidth(l.text))) + TEXT_GAP + 3;
  const lossLabelW = textWidth('loss');
  const left = PAD + Math.max(yAxisW, lossLabelW + TEXT_GAP);
  const plotW = columns * cellWidth;
  const plotH = rows * cellHeight;

  const title: Rect = { x: PAD, y: PAD, w: textWidth(input.title), h: GLYPH_HEIGHT };
  const plot: Rect = { x: left, y: title.y + title.h + PAD + GLYPH_HEIGHT + TEXT_GAP, w: plotW, h: plotH };
  const loss: Rect[] = series.map((_, i) => ({ x: left, y: plot.y + plotH + TEXT_GAP + i * (STRIP + 2), w: plotW, h: STRIP }));
  const xAxis: Rect = { x: left, y: loss.at(-1)!.y + STRIP + TEXT_GAP + 2, w: plotW, h: GLYPH_HEIGHT };
  const legendY = xAxis.y + GLYPH_HEIGHT + PAD + GLYPH_HEIGHT;
  const legendItems = legendEntries(input);
  const legendW = legendItems.reduce((w, e) => w + 10 + TEXT_GAP + textWidth(e.text) + 2 * PAD, 0);
  const legend: Rect = { x: PAD, y: legendY, w: legendW, h: GLYPH_HEIGHT };
  const width = Math.max(left + plotW + PAD + textWidth('UTC') + PAD, title.x + title.w + PAD, legend.x + legend.w + PAD);
  const height = legend.y + legend.h + PAD;

  const bitmap: RgbaBitmap = { width, height, rgba: new Uint8Array(width * height * 4) };
  fillRect(bitmap, 0, 0, width, height, HEATMAP_BACKGROUND);
  drawText(bitmap, title.x, title.y, input.title, HEATMAP_INK);

  // The plot: a column per step, a row per fine bucket (high latencies on top).
  for (let col = 0; col < columns; col++) {
    const measured = series.some((_, si) => (sums[si]!.get(col)?.sent ?? 0) > 0);
    for (let k = lowBucket; k <= highBucket; k++) {
      let rgb: Rgb;
      if (!measured) rgb = HEATMAP_NO_DATA;
      else if (series.length === 1) {
        const c = cells[0]!.get(col)?.get(k) ?? 0;
        rgb = c > 0 ? rampColour(intensity(c, maxCount[0]!) * 1.25 - 0.25) : HEATMAP_EMPTY;
      } else {
        rgb = [0, 0, 0];
        series.forEach((_, si) => {
          const v = intensity(cells[si]!.get(col)?.get(k) ?? 0, maxCount[si]!);
          const ch = COMPARE_COLOURS[si]!;
          for (let j = 0; j < 3; j++) rgb[j] = Math.min(255, rgb[j]! + Math.round(ch[j]! * v));
        });
      }
      fillRect(bitmap, plot.x + col * cellWidth, plot.y + (highBucket - k) * cellHeight, cellWidth, cellHeight, rgb);
    }
    series.forEach((_, si) => {
      const t = sums[si]!.get(col);
      const pct = t && t.sent > 0 ? (100 * (t.sent - t.received)) / t.sent : null;
      fillRect(bitmap, loss[si]!.x + col * cellWidth, loss[si]!.y, cellWidth, STRIP, lossColour(pct));
    });
  }

  // Axes: latency labels at octave bounds (the top edge of bucket 10·j), time labels under the strips.
  drawText(bitmap, PAD, plot.y - GLYPH_HEIGHT - TEXT_GAP, 'RTT', HEATMAP_INK);
  for (let k = lowBucket; k <= highBucket; k++) {
    if (k % 10 !== 0 || k > MAX_BUCKET) continue;
    const edge = plot.y + (highBucket - k) * cellHeight;
    const text = latencyLabel(bucketBoundMs(k));
    const y = Math.min(plot.y + plotH - GLYPH_HEIGHT, Math.max(plot.y - 2, edge - (GLYPH_HEIGHT >> 1)));
    drawText(bitmap, left - 3 - TEXT_GAP - textWidth(text), y, text, HEATMAP_INK);
    fillRect(bitmap, left - 3, edge, 3, 1, HEATMAP_INK);
  }
  drawText(bitmap, left - TEXT_GAP - lossLabelW, loss[0]!.y + ((loss.at(-1)!.y + STRIP - loss[0]!.y - GLYPH_HEIGHT) >> 1), 'loss', HEATMAP_INK);
  const every = Math.max(1, Math.ceil((textWidth('00:00') + 2 * TEXT_GAP) / cellWidth));
  const unit = stepMs < 86_400_000 ? 3_600_000 : 86_400_000;
  for (let col = 0; col < columns; col++) {
    const t = input.from + col * stepMs;
    if (Math.round(t / unit) % every !== 0) continue;
    const x = plot.x + col * cellWidth;
    if (x + textWidth('00:00') > plot.x + plotW + PAD + textWidth('UTC')) break;
    fillRect(bitmap, x, xAxis.y - 3, 1, 2, HEATMAP_INK);
    drawText(bitmap, x, xAxis.y, timeLabel(t, stepMs), HEATMAP_INK);
  }
  drawText(bitmap, plot.x + plotW + PAD, xAxis.y, 'UTC', HEATMAP_INK);

  // Legend: a swatch and the label of each series (its channel), or the ramp for one series.
  let x = legend.x;
  for (const e of legendItems) {
    fillRect(bitmap, x, legend.y, 10, GLYPH_HEIGHT, e.colour);
    x += 10 + TEXT_GAP;
    drawText(bitmap, x, legend.y, e.text, HEATMAP_INK);
    x += textWidth(e.text) + 2 * PAD;
  }
  return { bitmap, layout: { title, yAxis: { x: PAD, y: plot.y - GLYPH_HEIGHT - TEXT_GAP, w: left - PAD, h: plotH + GLYPH_HEIGHT + TEXT_GAP }, xAxis, plot, loss, legend, columns, lowBucket, highBucket, cellWidth, cellHeight } };
}

/** The legend's swatches: one per compared series, or few/many of the ramp and the one series. */
function legendEntries(input: HeatmapInput): { colour: Rgb; text: string }[] {
  if (input.series.length === 1) {
    return [
      { colour: rampColour(0), text: 'few' },
      { colour: rampColour(1), text: `many round trips: ${input.series[0]!.label}` },
      { colour: HEATMAP_NO_DATA, text: 'no probes' },
    ];
  }
  return [...input.series.map((s, i) => ({ colour: COMPARE_COLOURS[i]!, text: s.label })), { colour: HEATMAP_NO_DATA, text: 'no probes' }];
}
