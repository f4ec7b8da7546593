// The shape of the Telegram templates on a phone (issue 17): the longest line of each, for
// representative data, and the matrix of 3 agents × 2 targets with one lossy pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderText } from '../../../shared/render/text-renderer.ts';
import { MeasurementFold } from '../../../shared/render/measurement-fold.ts';
import { headline, summarizeParts } from '../../../shared/render/run-summary.ts';
import { compactMatrix, PHONE_COLUMNS } from '../../../shared/render/compact-matrix.ts';
import { formatAgentList } from '../../../shared/render/agent-list.ts';
import { SweepGrid } from '../../../shared/render/sweep-grid.ts';
import { aliveRanges } from '../../../shared/render/probe-picture.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { matrixEvents, singlePingEvents, sweepEvents, tracerouteEvents } from '../../helpers/phone-fixtures.ts';

const longest = (lines: string[]) => Math.max(...lines.map((l) => [...l].length));
const fold = (events: MeasurementEvent[]) => {
  const f = new MeasurementFold();
  for (const e of events) f.add(e);
  return f;
};

test('ping, one pair: every line fits 36 columns, iputils look kept', () => {
  const text = renderText(singlePingEvents(), { compact: true }).trimEnd().split('\n');
  assert.ok(longest(text) <= PHONE_COLUMNS, text.join('\n'));
  assert.equal(text[0], 'PING a.example (198.51.100.7)');
  assert.equal(text[1], 'seq=1 ttl=55 time=124 ms');
  assert.ok(text.includes('3 sent, 3 received'));
  assert.ok(text.some((l) => /^min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/.test(l)));
});

test('traceroute: hop lines fit 36 columns with IPv4 responders (names are in the Details/email)', () => {
  const text = renderText(tracerouteEvents(), { compact: true }).trimEnd().split('\n');
  assert.ok(longest(text) <= PHONE_COLUMNS, text.join('\n'));
  assert.ok(text.includes(' 3 * * *'), text.join('\n'));
  assert.ok(text.some((l) => /^ 2  203\.0\.113\.2 [\d.]+ [\d.]+ [\d.]+$/.test(l)), text.join('\n'));
});

test('matrix of 3 agents × 2 targets with one lossy pair: rows agents, columns targets, loss shown and graded, ≤ 36 columns', () => {
  const parts = summarizeParts(fold(matrixEvents()));
  const lines = compactMatrix(parts);
  assert.deepEqual(lines, [
    '       a.example  b.example',
    'lax1   ✓ 12.3 ms  ✓ 48.1 ms',
    'fra1   ! 151 ms   ✗ 60% loss',
    'nyc1   ~ 71.4 ms  ✓ 23.9 ms',
  ]);
  assert.ok(longest(lines) <= PHONE_COLUMNS);
  assert.equal(headline(parts), 'ping a.example b.example from 3 agents: 9.80–151 ms, 10% loss');
});

test('a matrix too wide for a table becomes one block per target, still ≤ 36 columns', () => {
  const events = matrixEvents().map((e) => ('target' in e && e.target ? { ...e, target: e.target.replace('.example', '.very-long-name.example') } : e)) as MeasurementEvent[];
  const lines = compactMatrix(summarizeParts(fold(events)));
  assert.ok(longest(lines) <= PHONE_COLUMNS, lines.join('\n'));
  assert.equal(lines[0], 'a.very-long-name.example');
  assert.match(lines[1]!, /^  lax1 +✓ 12\.3 ms$/);
});

test('probe: the alive ranges beside the picture and the counts line fit a phone caption', () => {
  const grid = new SweepGrid('198.51.100.0/24');
  for (const e of sweepEvents()) grid.add(e);
  const ranges = aliveRanges(grid);
  assert.deepEqual(ranges, ['198.51.100.1-40, 198.51.100.42-90, 198.51.100.200']);
  const c = grid.counts();
  assert.deepEqual([c.reachable, c.silent, c.pending], [90, 129, 37]);
});

test('list: one agent per line, ≤ 36 columns for names of ordinary length', () => {
  const lines = formatAgentList([
    { name: 'lax1', country: 'US', city: 'Los Angeles', asn: 64500, capabilities: ['icmp'] },
    { name: 'fra1', country: 'DE', city: 'Frankfurt', asn: 64501, capabilities: ['icmp'] },
  ] as never, { layout: 'lines' }).trimEnd().split('\n');
  assert.ok(longest(lines) <= PHONE_COLUMNS, lines.join('\n'));
});
