// The sweep bitmap: decode the PNG again and look at the pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { renderSweepPng, rttColour } from '../../mcp/sweep-png.ts';
import { SweepCollector } from '../../mcp/sweep-collector.ts';

test('one cell per address, row by row: answered cells coloured by RTT, silent dark, unprobed darker', () => {
  const png = PNG.sync.read(Buffer.from(renderSweepPng({ columns: 2, rows: 2, cells: [0.1, null, 500, undefined] }, { cellPx: 3 })));
  assert.equal(png.width, 6);
  assert.equal(png.height, 6);
  const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
  assert.deepEqual(at(1, 1), rttColour(0.1));
  assert.deepEqual(at(4, 1), [48, 48, 56]);
  assert.deepEqual(at(1, 4), rttColour(500));
  assert.deepEqual(at(4, 4), [16, 16, 16]);
  assert.ok(rttColour(0.1)[1] > rttColour(0.1)[0], 'fast is green');
  assert.ok(rttColour(500)[0] > rttColour(500)[1], 'slow is red');
});

test('the collector lays a /24 out 16×16 and puts each host at its offset', () => {
  const c = new SweepCollector();
  const t = '127.5.5.0/24';
  const ev: MeasurementEvent[] = [
    { type: 'start', agent: 'l', target: t, measurement: 'probe', address: t, family: 4, protocol: 'icmp', params: {} },
    { type: 'host', agent: 'l', target: t, address: '127.5.5.17', rttMs: 0.2 },
    { type: 'host', agent: 'l', target: t, address: '127.5.5.18', rttMs: null },
  ];
  for (const e of ev) c.add(e);
  const [g] = c.grids();
  assert.ok(g);
  assert.equal(g.columns, 16);
  assert.equal(g.rows, 16);
  assert.equal(g.cells[17], 0.2);
  assert.equal(g.cells[18], null);
  assert.equal(g.cells[19], undefined);
  const [img] = c.images();
  const png = PNG.sync.read(Buffer.from(img!.data));
  // The probe picture: the 16×16 grid under a title, with a legend below.
  assert.ok(png.width >= 16 * 16 && png.height > 16 * 16, `${png.width}×${png.height}`);
});

test('cells of 4 px or more are separated by a 1 px line; their centres keep the cell colour', () => {
  const png = PNG.sync.read(Buffer.from(renderSweepPng({ columns: 2, rows: 1, cells: [0.1, null] }, { cellPx: 8 })));
  const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
  assert.deepEqual(at(7, 3), [0, 0, 0]);
  assert.deepEqual(at(3, 7), [0, 0, 0]);
  assert.deepEqual(at(3, 3), rttColour(0.1));
  assert.deepEqual(at(11, 3), [48, 48, 56]);
});

test('a SweepGrid draws exactly as the same cells given one by one', async () => {
  const { SweepGrid } = await import('../../shared/render/sweep-grid.ts');
  const g = new SweepGrid('127.5.6.0/28');
  g.add({ type: 'host', agent: 'l', target: '127.5.6.0/28', address: '127.5.6.3', rttMs: 12 });
  g.add({ type: 'host', agent: 'l', target: '127.5.6.0/28', address: '127.5.6.9', rttMs: null });
  const cells = Array.from({ length: 16 }, (_, i) => (i === 3 ? 12 : i === 9 ? null : undefined));
  assert.deepEqual(renderSweepPng(g, { cellPx: 4 }), renderSweepPng({ columns: 4, rows: 4, cells }, { cellPx: 4 }));
});
