/**
 * The heatmap (shared/render/heatmap.ts) encoded by shared/render/png.ts and decoded by an
 * independent decoder (pngjs): the title, axis and legend regions carry ink, known cells have the
 * colours the counts give them, columns without probes are grey, the loss strip shows the loss,
 * and compared series take the red, green and blue channels.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { bucketOf, type HistogramPairs } from '../../../shared/model/histogram.ts';
import {
  COMPARE_COLOURS,
  HEATMAP_BACKGROUND,
  HEATMAP_EMPTY,
  HEATMAP_NO_DATA,
  heatmapBitmap,
  type HeatmapInput,
  type HeatmapLayout,
  type HeatmapStep,
  latencyLabel,
  lossColour,
  rampColour,
  type Rect,
} from '../../../shared/render/heatmap.ts';
import { crc32, encodePng } from '../../../shared/render/png.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2026, 0, 1);

/** Decodes with pngjs and returns a pixel reader. */
function decode(bytes: Uint8Array): { width: number; height: number; at(x: number, y: number): [number, number, number] } {
  const png = PNG.sync.read(Buffer.from(bytes));
  return {
    width: png.width,
    height: png.height,
    at: (x, y) => {
      const o = (y * png.width + x) * 4;
      return [png.data[o]!, png.data[o + 1]!, png.data[o + 2]!];
    },
  };
}

function inkIn(img: ReturnType<typeof decode>, r: Rect): number {
  let n = 0;
  for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) if (img.at(x, y).join() !== HEATMAP_BACKGROUND.join()) n++;
  return n;
}

/** The middle pixel of the cell of column `col`, fine bucket `k`. */
function cellPixel(img: ReturnType<typeof decode>, l: HeatmapLayout, col: number, k: number): [number, number, number] {
  return img.at(l.plot.x + col * l.cellWidth + (l.cellWidth >> 1), l.plot.y + (l.highBucket - k) * l.cellHeight + (l.cellHeight >> 1));
}

function render(input: HeatmapInput): { img: ReturnType<typeof decode>; layout: HeatmapLayout } {
  const { bitmap, layout } = heatmapBitmap(input);
  return { img: decode(encodePng(bitmap, { deflate: (raw) => deflateSync(raw) })), layout };
}

const k1ms = bucketOf(1); // 0
const k4ms = bucketOf(4); // 20

/** 24 hourly steps: 1 ms round trips, 4 ms in hour 6, nothing sent in hour 9, 10 % loss in hour 12. */
function day(): HeatmapStep[] {
  const out: HeatmapStep[] = [];
  for (let h = 0; h < 24; h++) {
    if (h === 9) continue;
    const hist: HistogramPairs = h === 6 ? [[k1ms, 100], [k4ms, 3500]] : [[k1ms, 3600]];
    out.push({ t: FROM + h * HOUR, sent: 3600, received: h === 12 ? 3240 : 3600, hist: h === 12 ? [[k1ms, 3240]] : hist });
  }
  return out;
}

test('png encoder: a valid PNG that an independent decoder reads back pixel for pixel', () => {
  const rgba = new Uint8Array(3 * 2 * 4);
  rgba.set([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255]);
  const img = decode(encodePng({ width: 3, height: 2, rgba }, { deflate: (raw) => deflateSync(raw) }));
  assert.deepEqual([img.width, img.height], [3, 2]);
  assert.deepEqual(img.at(0, 0), [255, 0, 0]);
  assert.deepEqual(img.at(2, 0), [0, 0, 255]);
  assert.deepEqual(img.at(1, 1), [40, 50, 60]);
  assert.equal(crc32(new TextEncoder().encode('IEND')), 0xae426082);
});

test('one series: title, axes and legend carry ink; cells coloured by count; no-probe column grey', () => {
  const { img, layout } = render({ title: 'uplink (192.0.2.1) from lax1', from: FROM, to: FROM + 24 * HOUR, stepMs: HOUR, series: [{ label: 'lax1', steps: day() }] });
  assert.equal(layout.columns, 24);
  for (const [name, r] of Object.entries({ title: layout.title, yAxis: layout.yAxis, xAxis: layout.xAxis, legend: layout.legend })) {
    assert.ok(inkIn(img, r) > 20, `${name} region has labels drawn`);
  }
  // Whole octaves around the occupied buckets (1 ms and 4 ms): 0.5 ms … 4 ms.
  assert.equal(layout.lowBucket, -9);
  assert.equal(layout.highBucket, 20);
  // The fullest cell is the top of the ramp; a measured cell without round trips is black.
  assert.deepEqual(cellPixel(img, layout, 0, k1ms), rampColour(1));
  assert.deepEqual(cellPixel(img, layout, 6, k4ms), rampColour((0.2 + (0.8 * Math.log1p(3500)) / Math.log1p(3600)) * 1.25 - 0.25));
  assert.deepEqual(cellPixel(img, layout, 0, k4ms), HEATMAP_EMPTY);
  assert.deepEqual(cellPixel(img, layout, 9, k1ms), HEATMAP_NO_DATA);
  // Loss strip: green without loss, the 10 % colour in hour 12, grey without probes.
  const strip = layout.loss[0]!;
  const stripAt = (col: number) => img.at(strip.x + col * layout.cellWidth + 1, strip.y + 2);
  assert.deepEqual(stripAt(0), lossColour(0));
  assert.deepEqual(stripAt(12), lossColour(10));
  assert.deepEqual(stripAt(9), HEATMAP_NO_DATA);
  assert.notDeepEqual(lossColour(10), lossColour(0));
});

test('compare: three series are the red, green and blue channels, adding where they overlap', () => {
  const only = (k: number) => [{ t: FROM, sent: 10, received: 10, hist: [[k, 10]] as HistogramPairs }];
  const { img, layout } = render({
    title: 'compare',
    from: FROM,
    to: FROM + 2 * HOUR,
    stepMs: HOUR,
    series: [
      { label: 'lax1', steps: [...only(0), { t: FROM + HOUR, sent: 10, received: 10, hist: [[5, 10]] }] },
      { label: 'fra1', steps: [...only(10), { t: FROM + HOUR, sent: 10, received: 10, hist: [[5, 10]] }] },
      { label: 'sin1', steps: only(20) },
    ],
  });
  assert.deepEqual(cellPixel(img, layout, 0, 0), COMPARE_COLOURS[0]);
  assert.deepEqual(cellPixel(img, layout, 0, 10), COMPARE_COLOURS[1]);
  assert.deepEqual(cellPixel(img, layout, 0, 20), COMPARE_COLOURS[2]);
  assert.deepEqual(cellPixel(img, layout, 1, 5), [255, 255, 0], 'red + green = yellow');
  assert.equal(layout.loss.length, 3);
  assert.ok(inkIn(img, layout.legend) > 30);
});

test('long ranges get a column per day; more than three series or 800 columns are refused', () => {
  const { layout } = heatmapBitmap({ title: 't', from: FROM, to: FROM + 30 * 86_400_000, stepMs: 86_400_000, series: [{ label: 'a', steps: [] }] });
  assert.equal(layout.columns, 30);
  const s = { label: 'a', steps: [] };
  assert.throws(() => heatmapBitmap({ title: 't', from: FROM, to: FROM + HOUR, stepMs: HOUR, series: [s, s, s, s] }), /1 to 3 series/);
  assert.throws(() => heatmapBitmap({ title: 't', from: FROM, to: FROM + 900 * HOUR, stepMs: HOUR, series: [s] }), /at most 800 columns/);
});

test('latency labels of octave bounds', () => {
  assert.deepEqual([2 ** -7, 2 ** -2, 1, 512, 1024, 65_536].map(latencyLabel), ['7.8us', '250us', '1ms', '512ms', '1.0s', '66s']);
});
