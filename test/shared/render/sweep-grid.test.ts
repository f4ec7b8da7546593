import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepGrid, CELL_PENDING, CELL_REACHABLE, CELL_SILENT, MAX_GRID_CELLS } from '../../../shared/render/sweep-grid.ts';
import { parseCidr } from '../../../shared/net/cidr.ts';

const layouts: [string, number, number][] = [
  ['127.1.0.0/24', 16, 16],
  ['127.1.0.0/16', 256, 256],
  ['127.1.0.0/25', 16, 8],
  ['127.1.0.0/28', 4, 4],
  ['127.1.0.0/31', 2, 1],
  ['127.1.0.1/32', 1, 1],
  ['2001:db8::/120', 16, 16],
  ['2001:db8::/112', 256, 256],
];
for (const [p, cols, rows] of layouts) {
  test(`${p} lays out as ${cols} columns × ${rows} rows`, () => {
    const g = new SweepGrid(p);
    assert.equal(g.columns, cols);
    assert.equal(g.rows, rows);
    assert.equal(g.size, cols * rows);
  });
}

test('a /16 maps the third octet to the row and the fourth to the column', () => {
  const g = new SweepGrid('127.1.0.0/16');
  const i = g.indexOf('127.1.7.200');
  assert.equal(i, 7 * 256 + 200);
  assert.deepEqual(g.position(i), { row: 7, column: 200 });
  assert.equal(g.indexAt(7, 200), i);
  assert.equal(g.addressAt(i), '127.1.7.200');
  assert.equal(g.indexOf('127.2.0.0'), -1);
  assert.equal(g.indexAt(256, 0), -1);
  assert.equal(g.indexAt(0, 256), -1);
});

test('host events fill cells and the counts follow, also when a cell changes state', () => {
  const g = new SweepGrid('127.1.0.0/24');
  assert.deepEqual(g.counts(), { reachable: 0, silent: 0, unreachable: 0, pending: 256, total: 256 });
  assert.equal(g.add({ type: 'host', agent: 'a', target: '127.1.0.0/24', address: '127.1.0.1', rttMs: 0.05 }), true);
  assert.equal(g.add({ type: 'host', agent: 'a', target: '127.1.0.0/24', address: '127.1.0.2', rttMs: null }), true);
  assert.equal(g.add({ type: 'host', agent: 'a', target: '127.1.0.0/24', address: '127.9.0.2', rttMs: 1 }), false, 'outside the prefix');
  assert.equal(g.add({ type: 'done', parts: 1, sent: 1, received: 1, errors: 0, durationMs: 1 }), false);
  assert.equal(g.state(1), 'reachable');
  assert.equal(g.state(2), 'silent');
  assert.equal(g.state(3), 'pending');
  assert.deepEqual([...g.cells.slice(0, 4)], [CELL_PENDING, CELL_REACHABLE, CELL_SILENT, CELL_PENDING]);
  assert.deepEqual(g.counts(), { reachable: 1, silent: 1, unreachable: 0, pending: 254, total: 256 });
  g.set('127.1.0.2', 'reachable');
  g.set(1, 'reachable');
  assert.deepEqual(g.counts(), { reachable: 2, silent: 0, unreachable: 0, pending: 254, total: 256 });
  assert.equal(g.set(256, 'silent'), false);
  assert.equal(g.caption(), '127.1.0.0/24: 2 up, 0 silent, 254 pending (256 addresses)');
});

test('text rendering packs two rows per line in half blocks (golden, /28)', () => {
  const g = new SweepGrid('198.18.0.0/28');
  // row 0: .0 .1 .2 .3   row 1: .4 .5 .6 .7   row 2: .8–.11   row 3: .12–.15
  for (const i of [0, 1, 4, 6]) g.set(i, 'reachable');
  g.set(5, 'silent');
  g.set(3, 'silent');
  for (const i of [8, 9, 10, 11, 12, 13, 14, 15]) g.set(i, 'silent');
  g.set(13, 'reachable');
  assert.equal(g.toText(), '█▀▄·\n·▄··\n');
  assert.equal(new SweepGrid('198.18.0.0/28').toText(), '    \n    \n', 'all pending is blank');
});

test('an odd number of rows leaves the last line with only top halves', () => {
  const g = new SweepGrid('127.1.0.0/31', { columns: 1 });
  assert.equal(g.rows, 2);
  const h = new SweepGrid('127.1.0.0/30', { columns: 1 });
  h.set(2, 'reachable');
  h.set(3, 'reachable');
  assert.equal(h.toText(), ' \n█\n');
  const odd = new SweepGrid('127.1.0.0/31');
  odd.set(0, 'reachable');
  assert.equal(odd.toText(), '▀ \n');
});

test('ANSI rendering colours every half cell, coalescing runs and resetting at the line end', () => {
  const g = new SweepGrid('127.1.0.0/30');
  g.set(0, 'reachable');
  g.set(1, 'reachable');
  g.set(2, 'silent');
  assert.equal(g.toText({ ansi: true }), '\x1b[32;100m▀\x1b[32;49m▀\x1b[0m\n');
});

test('a /24 renders as 8 lines of 16 characters', () => {
  const g = new SweepGrid('127.1.0.0/24');
  for (let i = 0; i < 256; i++) g.set(i, i % 2 ? 'reachable' : 'silent');
  const lines = g.toText().split('\n').filter(Boolean);
  assert.equal(lines.length, 8);
  for (const l of lines) assert.equal(l, '·█'.repeat(8));
});

test('a narrower layout can be chosen for small terminals', () => {
  const g = new SweepGrid('127.1.0.0/16', { columns: 64 });
  assert.equal(g.rows, 1024);
  assert.deepEqual(g.position(g.indexOf('127.1.1.0')), { row: 4, column: 0 });
});

test('bad prefixes and layouts are RangeErrors with a reason', () => {
  assert.throws(() => new SweepGrid('nope'), /not a CIDR prefix/);
  assert.throws(() => new SweepGrid('10.0.0.0/8'), new RegExp(`at most ${MAX_GRID_CELLS}`));
  assert.throws(() => new SweepGrid('127.1.0.0/24', { columns: 3 }), /power of two/);
  assert.throws(() => new SweepGrid('127.1.0.0/24', { columns: 512 }), /power of two/);
  const r = parseCidr('2001:db8::/64');
  assert.ok(r.ok);
  assert.throws(() => new SweepGrid(r.prefix), RangeError);
});

test('rttMs gives what the PNG draws: the RTT when answered, null when silent, undefined when pending', () => {
  const g = new SweepGrid('127.1.0.0/30');
  g.add({ type: 'host', agent: 'a', target: '127.1.0.0/30', address: '127.1.0.1', rttMs: 0.25 });
  g.add({ type: 'host', agent: 'a', target: '127.1.0.0/30', address: '127.1.0.2', rttMs: null });
  g.set(3, 'reachable');
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => g.rttMs(i)), [undefined, 0.25, null, 0, undefined]);
  g.set(1, 'silent');
  assert.equal(g.rttMs(1), null, 'a cell that turns silent forgets its RTT');
});
