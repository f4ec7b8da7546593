// The probe picture explains itself: title, axes, a legend whose counts are the host events'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { encodePng } from '../../../shared/render/png.ts';
import { aliveRanges, INK, PAPER, probePicture } from '../../../shared/render/probe-picture.ts';
import { Raster, textWidth, GLYPH_H } from '../../../shared/render/raster.ts';
import { SweepGrid } from '../../../shared/render/sweep-grid.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';

function decode(bytes: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(bytes));
}
function px(png: PNG, x: number, y: number): string {
  const o = (y * png.width + x) * 4;
  return `${png.data[o]},${png.data[o + 1]},${png.data[o + 2]}`;
}
/** Whether a region of the decoded PNG holds any pixel other than the paper. */
function inked(png: PNG, r: { x: number; y: number; width: number; height: number }): boolean {
  for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) if (px(png, x, y) !== PAPER.join(',')) return true;
  return false;
}

test('a /24 picture decodes with a title, a legend whose counts equal the host events, and cells where the layout says', () => {
  const t = '198.18.3.0/24';
  const events: MeasurementEvent[] = [];
  for (let i = 0; i < 200; i++) events.push({ type: 'host', agent: 'lax1', target: t, address: `198.18.3.${i}`, rttMs: i % 3 === 0 ? null : 0.5 + i });
  const grid = new SweepGrid(t);
  for (const e of events) grid.add(e);
  const alive = events.filter((e) => e.type === 'host' && e.rttMs !== null).length;
  const silent = events.length - alive;
  const pic = probePicture(grid, { agent: 'lax1', time: '2026-05-01 12:00 UTC', state: 'done in 1.0 s' });
  const png = decode(encodePng(pic.image, { deflate: (b) => deflateSync(b) }));
  assert.equal(png.width, pic.image.width);
  assert.ok(png.width <= 600, 'fits a phone screen without much scaling');
  assert.ok(inked(png, pic.title), 'the title is drawn');
  assert.ok(inked(png, pic.legend), 'the legend is drawn');
  const counts = Object.fromEntries(pic.legend.entries.map((e) => [e.label, e.count]));
  assert.deepEqual(counts, { alive, 'no answer': silent, 'not probed': 256 - 200 });
  // The legend's text is what it says: redraw each entry's text alone and compare pixel by pixel.
  for (const e of pic.legend.entries) {
    assert.equal(e.text, `${e.label} ${e.count}`);
    const w = textWidth(e.text);
    const ref = new Raster(w, GLYPH_H, PAPER);
    ref.text(0, 0, e.text, INK);
    for (let y = 0; y < GLYPH_H; y++) for (let x = 0; x < w; x++) assert.equal(px(png, e.at.x + x, e.at.y + y), ref.at(x, y).join(','), `legend "${e.text}" pixel ${x},${y}`);
  }
  // Cell 3 (no answer) and cell 4 (alive) sit where the grid region says.
  const g = pic.grid;
  const centre = (i: number) => [g.x + (i % g.columns) * g.cellPx + 4, g.y + Math.floor(i / g.columns) * g.cellPx + 4] as const;
  assert.equal(px(png, ...centre(3)), '48,48,56');
  assert.notEqual(px(png, ...centre(4)), '48,48,56');
  assert.equal(px(png, ...centre(250)), '16,16,16');
  assert.deepEqual(aliveRanges(grid).join(' ').includes('198.18.3.1-2'), true);
});

test('a /16 picture labels the rows with the /24s and stays within 600 px', () => {
  const grid = new SweepGrid('198.18.0.0/16');
  grid.set('198.18.7.9', 'reachable', 3);
  const pic = probePicture(grid, { agent: 'fra1' });
  assert.equal(pic.grid.columns, 256);
  assert.equal(pic.grid.cellPx, 2);
  assert.ok(pic.image.width <= 600 && pic.image.height <= 640, `${pic.image.width}×${pic.image.height}`);
  assert.equal(pic.legend.entries[0]!.count, 1);
});
