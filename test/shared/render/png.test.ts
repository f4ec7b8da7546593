import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { encodePng } from '../../../shared/render/png.ts';
import { Raster, textWidth } from '../../../shared/render/raster.ts';
import { gradeOf, GRADE_STYLE } from '../../../shared/render/quality.ts';

function decode(bytes: Uint8Array): PNG {
  return PNG.sync.read(Buffer.from(bytes));
}

test('encodePng with a deflate function writes a PNG that pngjs decodes to the same pixels', () => {
  const r = new Raster(40, 20, [255, 255, 255]);
  r.fill(5, 5, 10, 10, [200, 10, 30]);
  r.text(16, 4, 'a1', [0, 0, 0]);
  const png = decode(encodePng(r, { deflate: (b) => new Uint8Array(deflateSync(b)) }));
  assert.equal(png.width, 40);
  assert.equal(png.height, 20);
  for (const [x, y] of [[0, 0], [6, 6], [39, 19], [16, 4]]) {
    const o = (y! * 40 + x!) * 4;
    assert.deepEqual([...png.data.subarray(o, o + 3)], r.at(x!, y!), `pixel ${x},${y}`);
  }
});

test('encodePng without a compressor stores the data and stays valid, also past 65,535 bytes and 256 colours', () => {
  const r = new Raster(300, 300);
  for (let i = 0; i < 300; i++) r.fill(i, 0, 1, 300, [i % 256, (i * 7) % 256, 100]);
  const png = decode(encodePng(r));
  assert.equal(png.width, 300);
  const o = (10 * 300 + 299) * 4;
  assert.deepEqual([...png.data.subarray(o, o + 3)], [299 % 256, (299 * 7) % 256, 100]);
});

test('text is drawn in the 5×7 font: width 6 px per character less the last gap', () => {
  assert.equal(textWidth('abc'), 17);
  assert.equal(textWidth('abc', 2), 34);
  const r = new Raster(20, 10);
  const end = r.text(0, 0, 'I', [0, 0, 0]);
  assert.equal(end, 6);
  // `I` is a bar in the middle column and serifs on rows 0 and 6.
  assert.deepEqual(r.at(2, 3), [0, 0, 0]);
  assert.deepEqual(r.at(0, 3), [255, 255, 255]);
});

test('a grade is the worse of latency and loss: fast with 60 % loss is bad, not good', () => {
  assert.equal(gradeOf(5, 0), 'good');
  assert.equal(gradeOf(5, 60), 'bad');
  assert.equal(gradeOf(80, 0), 'fair');
  assert.equal(gradeOf(80, 5), 'poor');
  assert.equal(gradeOf(null, 100), 'down');
  assert.equal(gradeOf(400, 0), 'bad');
  assert.notEqual(GRADE_STYLE.good.symbol, GRADE_STYLE.poor.symbol);
});
