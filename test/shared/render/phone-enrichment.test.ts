// Enrichment on a phone (issue 16): traceroute hop lines with each responder's AS and a short
// organisation, mtr's live table, and late `info` events drawn in — every line at most 36
// columns, checked on the longest line each template can produce.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HopEvent, MeasurementEvent } from '../../../shared/model/events.ts';
import { compactAsLine } from '../../../shared/net/address-info.ts';
import { PHONE_COLUMNS } from '../../../shared/render/compact-matrix.ts';
import { MeasurementFold } from '../../../shared/render/measurement-fold.ts';
import { renderText } from '../../../shared/render/text-renderer.ts';
import { mtrLiveLines } from '../../../shared/measurements/mtr/text.ts';
import { liveText } from '../../../bots/telegram/measurement-message.ts';
import { tracerouteEvents } from '../../helpers/phone-fixtures.ts';

const longest = (lines: string[]) => Math.max(...lines.map((l) => [...l].length));
const LONG_ORG = 'International Backbone Exchange Networks Incorporated';

/** The traceroute fixture with the network of every responder known (a 10-digit ASN, a long name). */
function enriched(): MeasurementEvent[] {
  return tracerouteEvents().map((e) =>
    e.type === 'hop' ? { ...e, responders: e.responders.map((r, i) => ({ ...r, info: { asn: 4_200_000_000 + e.ttl + i, asName: LONG_ORG, country: 'DE' } })) } : e,
  );
}

test('compactAsLine: AS and organisation cut with … to the width; the country when no name; nothing without an AS', () => {
  assert.equal(compactAsLine({ asn: 64500, asName: 'Example Net' }, 32), 'AS64500 Example Net');
  const cut = compactAsLine({ asn: 4_200_000_000, asName: LONG_ORG }, 32);
  assert.equal(cut.length, 32);
  assert.equal(cut, 'AS4200000000 International Back…');
  assert.equal(compactAsLine({ originAsn: 64511, country: 'DE' }, 32), 'AS64511 DE');
  assert.equal(compactAsLine({ label: 'RFC1918' }, 32), '');
  assert.equal(compactAsLine(undefined, 32), '');
});

test('traceroute on a phone: each responder has its AS line under it, and the longest line fits 36 columns', () => {
  const text = renderText(enriched(), { compact: true }).trimEnd().split('\n');
  assert.ok(longest(text) <= PHONE_COLUMNS, text.join('\n'));
  const at = text.findIndex((l) => l.startsWith(' 2  '));
  assert.match(text[at]!, /^ 2 {2}203\.0\.113\.2 [\d.]+ [\d.]+ [\d.]+$/);
  assert.equal(text[at + 1], '    AS4200000002 International Back…');
  assert.ok(!text.some((l) => l.startsWith(' 3 ') && l.includes('AS')), 'a silent hop has no AS line');
});

test('a late info event fills the hop in when the lines are drawn again from the fold (Telegram)', () => {
  const events = tracerouteEvents();
  const fold = new MeasurementFold({ keepEvents: true });
  for (const e of events.slice(0, -2)) fold.add(e);
  assert.ok(!renderText(fold.grouped(), { compact: true }).includes('AS64500'));
  const change = fold.add({ type: 'info', address: '203.0.113.2', info: { asn: 64500, asName: 'Example Transit' } });
  assert.deepEqual(change?.changed?.map((p) => p.target), ['a.example']);
  const again = renderText(fold.grouped(), { compact: true }).split('\n');
  const at = again.findIndex((l) => l.startsWith(' 2  '));
  assert.equal(again[at + 1], '    AS64500 Example Transit');
  // Scoped to another part: nothing changes.
  assert.deepEqual(fold.add({ type: 'info', agent: 'fra1', address: '203.0.113.4', info: { asn: 1 } })?.changed, []);
});

/** mtr from lax1: round 10 of 10, hop 2 with ECMP, hop 3 lossy and rate-limited, IPv6 and AS info on the last. */
function mtrEvents(): MeasurementEvent[] {
  const agent = 'lax1';
  const target = 'a.example';
  const hop = (ttl: number, addresses: string[], lossPct: number, avg: number, more: Partial<HopEvent> = {}): HopEvent => ({
    type: 'hop', agent, target, ttl, round: 10, sent: 10, received: Math.round(10 * (1 - lossPct / 100)), lossPct,
    responders: addresses.map((address) => ({ address, rttsMs: [avg] })),
    rtt: { lastMs: avg, avgMs: avg, bestMs: avg / 2, worstMs: avg * 2, stdevMs: 0.5 },
    ...more,
  });
  return [
    { type: 'start', agent, target, measurement: 'mtr', address: '2001:db8:ffff:ffff:ffff:ffff:ffff:1', family: 6, protocol: 'icmp', params: { count: 10 } },
    hop(1, ['2001:db8::1'], 0, 0.4),
    hop(2, ['2001:db8:1234:5678:9abc:def0:1:2', '2001:db8:1234:5678:9abc:def0:1:3'], 0, 12.3),
    { type: 'hop', agent, target, ttl: 3, round: 10, sent: 10, received: 0, lossPct: 100, responders: [], rateLimited: true },
    hop(4, ['2001:db8:ffff:ffff:ffff:ffff:ffff:1'], 10, 1234.5, { responders: [{ address: '2001:db8:ffff:ffff:ffff:ffff:ffff:1', rttsMs: [1234.5], info: { asn: 4_200_000_000, asName: LONG_ORG } }] }),
  ];
}

test('mtr live table: start, round, one line per hop with loss, sent and average, ECMP and AS lines, ≤ 36 columns', () => {
  const fold = new MeasurementFold();
  for (const e of mtrEvents()) fold.add(e);
  const part = [...fold.parts][0]!;
  const lines = mtrLiveLines(part);
  assert.ok(longest(lines) <= PHONE_COLUMNS, lines.join('\n'));
  // The long target address goes on a line of its own.
  assert.deepEqual(lines.slice(0, 2), ['mtr a.example', '2001:db8:ffff:ffff:ffff:ffff:ffff:1']);
  lines.splice(0, 1);
  assert.equal(lines[1], 'lax1, round 10/10');
  assert.equal(lines[2], ' #  host            loss snt    avg');
  assert.equal(lines[3], ' 1. 2001:db8::1       0%  10    0.4');
  assert.match(lines[4]!, /^ 2\. …[0-9a-f:]{14} +0% +10 +12\.3$/);
  assert.match(lines[5]!, /^ {4}…[0-9a-f:]{14}$/, 'the second ECMP responder');
  assert.equal(lines[6], ' 3. ???             100%  10      -');
  assert.match(lines[7]!, /^ 4\. …[0-9a-f:]{14} +10% +10 +1235$/);
  assert.equal(lines[8], '    AS4200000000 International Back…');
  assert.equal(lines.at(-1), 'rate-limited, not loss: 3');
  // Telegram draws the whole run from it, with a part's error under its table.
  fold.add({ type: 'error', agent: 'lax1', target: 'a.example', code: 'MP_ERR_AGENT_LOST', message: 'agent lax1 went away' });
  const text = liveText(fold)!.split('\n');
  assert.equal(text.at(-1), '⚠ agent lax1 went away');
  assert.ok(longest(text) <= PHONE_COLUMNS, text.join('\n'));
});

test('liveText leaves types without a live view to the appended text', () => {
  const fold = new MeasurementFold();
  for (const e of tracerouteEvents()) fold.add(e);
  assert.equal(liveText(fold), undefined);
});
