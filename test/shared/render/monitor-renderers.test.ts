import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MonitorAgentStats, MonitorDetail, MonitorView } from '../../../shared/model/monitor-types.ts';
import { COMPACT_WIDTH, formatMonitorCompact } from '../../../shared/render/monitor-compact.ts';
import { CAPTION_LIMIT, formatMonitorCaption, formatMonitorDetail } from '../../../shared/render/monitor-detail.ts';
import { fmtLatency, fmtPct } from '../../../shared/render/monitor-format.ts';
import { formatMonitorDetailHtml, formatMonitorListHtml } from '../../../shared/render/monitor-html.ts';
import { formatMonitorTable, MONITOR_TABLE_COLUMNS } from '../../../shared/render/monitor-table.ts';

function stats(agent: string, o: Partial<MonitorAgentStats> = {}): MonitorAgentStats {
  return {
    agent, address: '192.0.2.1', sent: 3600, received: 3582, successPct: 99.5, lossPct: 0.5, minMs: 0.021, avg15mMs: 12.34, avg6hMs: 12.5, avg24hMs: 13.1,
    maxMs: 240.2, lastMs: 11.9, p50Ms: 12.1, p95Ms: 14.9, p99Ms: 80.3, lastAt: '2025-06-01T12:34:56.000Z', ...o,
  };
}

function view(id: number, name: string, o: Partial<MonitorView> = {}): MonitorView {
  return {
    id, name, type: 'ping', target: `${name}.example.net@192.0.2.1`, probe: '192.0.2.1', intervalMs: 1000, traceMs: null, from: [], alerts: [], paused: false,
    owner: 'telegram:1', createdAt: '2025-06-01T00:00:00.000Z', updatedAt: '2025-06-01T00:00:00.000Z', agents: ['lax1', 'fra1'],
    stats: [stats('lax1'), stats('fra1', { lossPct: 100, successPct: 0, received: 0, minMs: null, avg15mMs: null, avg6hMs: null, avg24hMs: null, maxMs: null, lastMs: null, p50Ms: null, p95Ms: null, p99Ms: null })],
    ...o,
  };
}

const representative: MonitorView[] = [
  view(1, 'gw'),
  view(2, 'a-rather-long-monitor-name-for-a-phone', { probe: '2001:db8:1234:5678:9abc:def0:1234:5678', stats: [stats('very-long-agent-name-x', { sent: 123_456_789, received: 123_000_000, lossPct: 0.37, avg15mMs: 1234.5, lastMs: 65_000 })] }),
  view(3, 'paused', { paused: true, agents: [], stats: [] }),
  view(4, 'broken', { stats: [stats('lax1', { error: 'name does not resolve (NXDOMAIN) and this reason is long enough to need cutting', sent: 0, received: 0, lossPct: null, successPct: null })] }),
];

test('wide table: meshping columns in order, one table per agent, aligned', () => {
  const t = formatMonitorTable(representative);
  const lines = t.split('\n');
  const header = lines.find((l) => l.startsWith('Target'))!;
  assert.deepEqual(header.split(/\s+/), [...MONITOR_TABLE_COLUMNS]);
  assert.ok(lines.includes('from lax1:') && lines.includes('from fra1:') && lines.includes('from very-long-agent-name-x:'));
  // Every row of a table has its Loss value ending in the Loss column's last character.
  const lax = lines.slice(lines.indexOf('from lax1:') + 1, lines.indexOf('from lax1:') + 4);
  const end = lax[0]!.indexOf('Loss') + 'Loss'.length;
  for (const row of lax.slice(1)) assert.match(row.slice(0, end), /(%|-)$/, row);
  assert.match(t, /^gw +192\.0\.2\.1 +3600 +3582 +99\.5% +0\.5% +0\.021 +12\.3 +12\.5 +13\.1 +240 +11\.9$/m);
  assert.match(t, /not running:\n {2}paused {2}paused\.example\.net@192\.0\.2\.1 {2}\(paused\)/);
  assert.match(t, /problems:\n {2}broken from lax1: name does not resolve/);
  assert.ok(t.endsWith('times in ms\n'));
  assert.ok(!t.includes('\u001b['), 'no ANSI unless asked');
});

test('wide table colours the Loss column only with ansi', () => {
  const t = formatMonitorTable([view(1, 'gw')], { ansi: true });
  assert.match(t, /\u001b\[33m *0\.5%\u001b\[0m/, 'some loss in yellow');
  assert.match(t, /\u001b\[1;31m *100%\u001b\[0m/, 'all lost in bold red');
  assert.equal(t.replace(/\u001b\[[0-9;]*m/g, ''), formatMonitorTable([view(1, 'gw')]), 'same text without the escapes');
});

test('compact: every line of representative data fits 36 columns', () => {
  const c = formatMonitorCompact(representative);
  const longest = Math.max(...c.split('\n').map((l) => [...l].length));
  assert.ok(longest <= COMPACT_WIDTH, `longest line is ${longest}:\n${c}`);
  assert.equal(COMPACT_WIDTH, 36);
  assert.match(c, /^#1 gw 192\.0\.2\.1$/m);
  assert.match(c, /^agent +loss +avg15m +last$/m);
  assert.match(c, /^lax1 +!0\.5% +12\.3 +11\.9$/m);
  assert.match(c, /^fra1 +x100% +- +-$/m);
  assert.match(c, /^#3 paused 192\.0\.2\.1 \(paused\)\n {2}paused$/m);
  assert.match(c, /^very-long… /m);
});

test('empty lists say how to add a monitor', () => {
  assert.match(formatMonitorTable([]), /no monitors; add one with: monitor add TARGET/);
  assert.match(formatMonitorCompact([]), /No monitors\. Add one: \/monitor add TARGET/);
  assert.match(formatMonitorListHtml([], 'monitor list'), /No monitors/);
});

test('bounded: N monitors shown, then "… and K more"', () => {
  const many = Array.from({ length: 120 }, (_, i) => view(i, `m${i}`));
  const t = formatMonitorTable(many, { maxMonitors: 10 });
  assert.match(t, /… and 110 more monitors\n$/);
  assert.ok(!t.includes('m10 '));
  assert.match(formatMonitorCompact(many), /… and 70 more monitors$/);
  assert.match(formatMonitorListHtml(many, 'monitor list'), /… and 70 more monitors/);
  const agents = view(1, 'wide', { stats: Array.from({ length: 50 }, (_, i) => stats(`a${i}`)) });
  assert.match(formatMonitorCompact([agents]), /… and 30 more agents/);
  assert.match(formatMonitorDetail(agents), /… and 30 more agents/);
});

// Shared by every entry: the renderers must not walk them whole.
const LONG_ROUTE = Array(100_000).fill('10.0.0.1');
const NO_ROUTE = Array(100_000).fill(null);
const junk: unknown[] = [
  undefined, null, 0, 'text', {}, [], [null], [1, 'x', {}], [{ stats: 'no' }], [{ stats: [null, 5, { sent: 'x', lossPct: Number.NaN }] }],
  [{ name: 'x'.repeat(100_000), target: '\u0000\u001b[31mred<script>', stats: [{ agent: { toString: () => 'obj' }, sent: Number.POSITIVE_INFINITY, lossPct: -5, avg15mMs: 1e300 }] }],
  { routeChanges: [null, { from: 'x', to: [1, 2] }], addressChanges: 5, alerting: [{}], stats: [{}] },
  { routeChanges: Array.from({ length: 10_000 }, () => ({ agent: 'a', at: 'b', from: LONG_ROUTE, to: NO_ROUTE })) },
];

test('every renderer terminates on junk, bounded, without throwing or escape sequences from the data', () => {
  for (const j of junk) {
    const html = [formatMonitorListHtml(j, '<script>'), formatMonitorDetailHtml(j, '<script>')];
    for (const out of [formatMonitorTable(j), formatMonitorCompact(j), formatMonitorDetail(j), formatMonitorCaption(j), ...html]) {
      assert.equal(typeof out, 'string');
      assert.ok(out.length < 200_000, `${out.length} characters`);
      assert.ok(!out.includes('\u001b'), 'no escape from the data');
    }
    for (const out of html) assert.ok(!out.includes('<script>'), 'HTML escaped');
  }
});

function detail(o: Partial<MonitorDetail> = {}): MonitorDetail {
  return {
    ...view(7, 'gw', { traceMs: 600_000, alerts: ['loss>5% for 5m'], from: ['lax1', 'fra1'] }),
    rangeMs: 3 * 86_400_000,
    routeChanges: [{ agent: 'lax1', at: '2025-06-01T10:00:00.000Z', from: ['10.0.0.1', '10.0.1.1', null, '192.0.2.1'], to: ['10.0.0.1', '10.0.9.9', '10.0.9.10', '192.0.2.1'] }],
    addressChanges: [{ agent: 'fra1', at: '2025-06-01T09:00:00.000Z', from: '192.0.2.1', to: '192.0.2.2' }],
    alerting: ['loss>5% for 5m'],
    heatmap: '/v1/monitors/7/heatmap.png?range=3d',
    ...o,
  };
}

test('monitor show: settings, per-agent statistics with percentiles, changes, alerts', () => {
  const t = formatMonitorDetail(detail());
  assert.match(t, /^monitor #7 gw \(gw\.example\.net@192\.0\.2\.1\)$/m);
  assert.match(t, /^probes 192\.0\.2\.1 every 1s$/m);
  assert.match(t, /^from lax1, fra1 \(now: lax1, fra1\)$/m);
  assert.match(t, /^route watch every 10m$/m);
  assert.match(t, /^ALERTING: loss>5% for 5m$/m);
  assert.match(t, /^over the last 3d \(times in ms\):$/m);
  assert.match(t, /^ {2}p50 12\.1 p95 14\.9 p99 80\.3$/m);
  assert.match(t, /^ {2}avg 15m 12\.3 6h 12\.5 24h 13\.1$/m);
  assert.match(t, /^ {2}sent 3600 recv 3582 loss !0\.5%$/m);
  assert.match(t, /^ {4}hop 2: 10\.0\.1\.1 → 10\.0\.9\.9\n {4}hop 3: \* → 10\.0\.9\.10$/m);
  assert.match(t, /^ {2}2025-06-01 09:00Z fra1: 192\.0\.2\.1 → 192\.0\.2\.2$/m);
  for (const line of t.split('\n')) if (!/gw\.example|192\.0\.2|hop|lax1, fra1|problem/.test(line)) assert.ok(line.length <= COMPACT_WIDTH, line);
});

test('caption: within Telegram\'s 1024 characters, one line per agent', () => {
  const c = formatMonitorCaption(detail());
  assert.match(c, /^#7 gw \(gw\.example\.net@192\.0\.2\.1\), last 3d\nALERTING: loss>5% for 5m\nlax1: loss !0\.5% p50 12\.1 p95 14\.9 ms\nfra1: loss x100% p50 - p95 - ms$/);
  const big = formatMonitorCaption(detail({ stats: Array.from({ length: 200 }, (_, i) => stats(`agent-${i}`)) }));
  assert.ok(big.length <= CAPTION_LIMIT);
});

test('HTML: loss coloured with a symbol beside it, the heatmap inline by cid', () => {
  const list = formatMonitorListHtml([view(1, 'gw')], 'monitor list');
  assert.match(list, /<th [^>]*>Loss<\/th>/);
  assert.match(list, /color:#9a6700;font-weight:bold">! 0\.5%<\/td>/);
  assert.match(list, /color:#b00020;font-weight:bold">x 100%<\/td>/);
  const html = formatMonitorDetailHtml(detail(), 'monitor show gw', { imageCid: 'heatmap@meshprobe' });
  assert.match(html, /<img src="cid:heatmap@meshprobe"/);
  assert.match(html, /<th [^>]*>p95<\/th>/);
  assert.match(html, /route changes, newest first/);
  assert.ok(!formatMonitorDetailHtml(detail(), 'x').includes('<img'));
});

test('number formats keep their precision and width', () => {
  assert.deepEqual([0.0214, 1.234, 12.34, 123.4, null].map(fmtLatency), ['0.021', '1.23', '12.3', '123', '-']);
  assert.deepEqual([0, 100, 99.95, 0.04, 12.345, null].map(fmtPct), ['0%', '100%', '>99.9%', '<0.1%', '12.3%', '-']);
});

test('monitor show names the probe options a reader needs to know (legacy frames, a fixed timeout), and nothing without them', () => {
  const t = formatMonitorDetail({ ...detail(), legacy: true, fixedTimeout: true });
  assert.match(t, /^probes 192\.0\.2\.1 every 1s, the older protocol \(--legacy\), a fixed timeout$/m);
  assert.doesNotMatch(formatMonitorDetail(detail()), /legacy|fixed timeout/);
});
