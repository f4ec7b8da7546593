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
import { matrixEvents, singlePingEvents, sweepEvents, traceroute6Events, tracerouteEvents } from '../../helpers/phone-fixtures.ts';
import { shortAddress } from '../../../shared/measurements/traceroute/text.ts';

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

test('traceroute: a reverse name shares the hop line when it fits, else gets a short line of its own, and is dropped only beyond 36 columns', () => {
  const text = renderText(tracerouteEvents(), { compact: true }).trimEnd().split('\n');
  // gw.lab.example (203.0.113.1) with three RTTs is 47 columns: the name goes under the address.
  assert.equal(text[text.indexOf(text.find((l) => l.startsWith(' 1  '))!) + 1], '    gw.lab.example', text.join('\n'));
  // ae12.edge3.fra1.backbone.example.net is 36 characters: with the indent it would be 40, so it is left out.
  assert.ok(!text.some((l) => l.includes('ae12.edge3')), text.join('\n'));
  const short = renderText(tracerouteEvents().map((e) => (e.type === 'hop' && e.ttl === 1 ? { ...e, responders: [{ ...e.responders[0]!, name: 'gw', rttsMs: [1.5] }], sent: 1, received: 1 } : e)), { compact: true });
  assert.match(short, /^ 1 {2}gw \(203\.0\.113\.1\) 1\.50$/m);
});

test('traceroute over IPv6: every line fits 36 columns, long addresses keep their last groups, the full ones are in Details', () => {
  const text = renderText(traceroute6Events(), { compact: true }).trimEnd().split('\n');
  assert.ok(longest(text) <= PHONE_COLUMNS, text.join('\n'));
  assert.ok(text.some((l) => /^ 2 {2}…:[0-9a-f:]*def0:1 11\.2 11\.4 11\.9$/.test(l)), text.join('\n'));
  // The second responder of hop 3 on a line of its own, under the first.
  const at = text.findIndex((l) => l.startsWith(' 3  '));
  assert.match(text[at]!, /^ 3 {2}…[0-9a-f:]*:ffff 23\.4 23\.9$/);
  assert.match(text[at + 1]!, /^ {4}…[0-9a-f:]*:fffe 24\.1$/);
  assert.equal(text[at + 2], '    ae1.edge.example');
  assert.ok(text.includes(' 4 * * *'), text.join('\n'));
  // Details: the same phone layout with every address whole.
  const details = renderText(traceroute6Events(), { compact: true, fullAddresses: true });
  assert.ok(details.includes('2001:db8:ffff:1234:5678:9abc:def0:1'), details);
  assert.ok(details.includes('2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe'), details);
});

test('shortAddress: IPv4 and short addresses as they are, IPv6 compressed first, then cut to its last groups', () => {
  assert.equal(shortAddress('198.51.100.200', 5), '198.51.100.200');
  assert.equal(shortAddress('2001:db8::1', 20), '2001:db8::1');
  assert.equal(shortAddress('2001:0db8:0000:0000:0000:0000:0000:0001', 12), '2001:db8::1');
  assert.equal(shortAddress('2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', 16), '…:dddd:eeee:ffff');
  assert.equal(shortAddress('2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', 3), '…:ffff');
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
