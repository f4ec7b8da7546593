import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { escapeHtml, renderHtml, renderHtmlText } from '../../../shared/render/html-renderer.ts';
import { GRADE_STYLE } from '../../../shared/render/quality.ts';

const stats = { sent: 2, received: 2, lossPct: 0, minMs: 1, avgMs: 1.5, maxMs: 2, mdevMs: 0.5, p50Ms: 1, p90Ms: 2, p99Ms: 2 };

function pingPart(agent: string, target: string, avgMs: number | null, lossPct = 0): MeasurementEvent[] {
  return [
    { type: 'start', agent, target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: { count: 2 } },
    { type: 'reply', agent, target, seq: 1, ttl: 64, rttMs: avgMs ?? 1, bytes: 64, from: target },
    { type: 'summary', agent, target, measurement: 'ping', durationMs: 1001, ...stats, avgMs, lossPct, received: avgMs === null ? 0 : 2 },
  ];
}

test('several agents × targets render as a matrix with cells graded by the worse of latency and loss, with a symbol', () => {
  const events = [...pingPart('a', '127.0.0.1', 0.05), ...pingPart('a', '::1', 150), ...pingPart('b', '127.0.0.1', 60, 50), ...pingPart('b', '::1', null, 100),
    { type: 'done', parts: 4, sent: 8, received: 6, errors: 0, durationMs: 1010 } as MeasurementEvent];
  const html = renderHtml(events, { command: 'ping -s a,b 127.0.0.1 ::1' });
  const matrix = html.slice(html.indexOf('meshprobe-matrix'), html.indexOf('</table>', html.indexOf('meshprobe-matrix')));
  assert.ok(matrix.length > 0, 'a matrix table');
  // Row a: good, then poor (150 ms); row b: 60 ms is fair but 50 % loss makes it bad; then down.
  const cells = [...matrix.matchAll(/<td style="[^"]*background:(#[0-9a-f]{6})"[^>]*>([^<]*)/g)].map((m) => [m[1], m[2]!.trim()]);
  assert.deepEqual(cells, [
    [GRADE_STYLE.good.background, '✓ 0.050 ms'],
    [GRADE_STYLE.poor.background, '! 150 ms'],
    [GRADE_STYLE.bad.background, '✗ 50% loss (60.0 ms)'],
    [GRADE_STYLE.down.background, '✗ no answer'],
  ]);
  assert.match(matrix, /^meshprobe-matrix mp-cards"/, 'stacks into cards on a phone');
  assert.match(html, /<meta name="viewport"/);
  assert.match(html, /^<p[^>]*><b>ping 127\.0\.0\.1 ::1 from 2 agents: 0\.050–150 ms, 25% loss<\/b>/m, 'the answer first');
  assert.match(html, /4 parts, 8 sent, 6 received, 0 failed/);
});

test('one agent and one target: a ping block with replies and statistics, no matrix', () => {
  const html = renderHtml(pingPart('local', '127.0.0.1', 0.031));
  assert.doesNotMatch(html, /meshprobe-matrix/);
  assert.match(html, /64 bytes from 127\.0\.0\.1: seq=1 ttl=64 time=0\.031 ms/);
  assert.match(html, /rtt min\/avg\/max\/mdev [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/);
  assert.doesNotMatch(html, /<table/, 'no ten-column table to overflow a phone');
});

test('traceroute renders a hop table with a row per responder and * for silent hops', () => {
  const events: MeasurementEvent[] = [
    { type: 'start', agent: 'lax1', target: 'example.com', measurement: 'traceroute', address: '192.0.2.9', family: 4, protocol: 'udp', params: {} },
    { type: 'hop', agent: 'lax1', target: 'example.com', ttl: 1, responders: [{ address: '198.18.0.1', name: 'gw.lab', rttsMs: [0.412, 0.5] }, { address: '198.18.0.2', rttsMs: [0.6] }], sent: 3, received: 3, lossPct: 0 },
    { type: 'hop', agent: 'lax1', target: 'example.com', ttl: 2, responders: [], sent: 3, received: 0, lossPct: 100 },
    { type: 'hop', agent: 'lax1', target: 'example.com', ttl: 3, responders: [{ address: '192.0.2.9', rttsMs: [3], annotation: '!H' }], sent: 3, received: 1, lossPct: 66.7 },
    { type: 'summary', agent: 'lax1', target: 'example.com', measurement: 'traceroute', durationMs: 50, ...stats, reached: true, hops: 3 },
  ];
  const html = renderHtml(events);
  assert.match(html, /<th[^>]*>hop<\/th>/);
  const rows = html.match(/<tr>.*?<\/tr>/g)!.filter((r) => r.includes('<td'));
  assert.equal(rows.length, 4);
  assert.match(rows[0]!, />1<\/td>.*198\.18\.0\.1.*gw\.lab.*0\.412 ms  0\.500 ms.*0%/);
  assert.match(rows[1]!, /<td[^>]*><\/td>.*198\.18\.0\.2/);
  assert.match(rows[2]!, />2<\/td><td[^>]*>\*<\/td>/);
  assert.match(rows[3]!, /192\.0\.2\.9 <b>!H<\/b>/);
  assert.match(html, /destination reached in 3 hops/);
});

test('a sweep gives the count and the hosts that answered as ranges, not a row per host', () => {
  const events: MeasurementEvent[] = [
    ...['198.18.0.1', '198.18.0.2', '198.18.0.3'].map((address, i) => ({ type: 'host', agent: 'a', target: '198.18.0.0/30', address, rttMs: i === 1 ? null : 0.2 }) as MeasurementEvent),
    { type: 'summary', agent: 'a', target: '198.18.0.0/30', measurement: 'probe', durationMs: 5, ...stats, hostsUp: 2, hostsTotal: 4 },
  ];
  const html = renderHtml(events, { picture: () => ({ src: 'cid:p1', alt: 'the sweep' }) });
  assert.match(html, /2 of 4 hosts answered/);
  assert.match(html, /<pre[^>]*>198\.18\.0\.1, 198\.18\.0\.3<\/pre>/);
  assert.match(html, /<img src="cid:p1" alt="the sweep"/);
  assert.doesNotMatch(html, /<table/);
});

test('every value from the wire is escaped', () => {
  const evil = '<script>alert(1)</script>';
  const html = renderHtml([
    { type: 'error', agent: evil, target: '"x"', code: 'MP_ERR_RESOLVE', message: `cannot resolve ${evil}` },
    { type: 'error', code: 'MP_ERR_NO_AGENT', message: evil },
  ], { command: evil, note: evil });
  assert.doesNotMatch(html, /<script>/);
  assert.match(html, /&lt;script&gt;/);
  assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  assert.doesNotMatch(renderHtmlText(evil), /<script>/);
});

test('two targets × ICMP errors: each block under its target in seq order, and the footer counts them as unreachable', () => {
  const targets = ['198.18.1.9', '198.18.1.10'];
  const evs: MeasurementEvent[] = targets.map((target) => ({ type: 'start', agent: 'lax1', target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: {} }));
  for (const seq of [2, 3, 1]) {
    for (const target of targets) {
      evs.push(seq === 1
        ? { type: 'timeout', agent: 'lax1', target, seq }
        : { type: 'icmp-error', agent: 'lax1', target, seq, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.1.1', message: 'Destination Host Unreachable' });
    }
  }
  for (const target of targets) evs.push({ type: 'summary', agent: 'lax1', target, measurement: 'ping', sent: 3, received: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null, durationMs: 2000 });
  evs.push({ type: 'done', parts: 2, sent: 6, received: 0, errors: 0, durationMs: 2100 });
  const html = renderHtml(evs);
  for (const target of targets) {
    const block = new RegExp(`<b>PING ${target.replace(/\./g, '\\.')}</b> from <b>lax1</b></p>\\n<pre[^>]*>no answer for seq=1\\nFrom 198\\.18\\.1\\.1 seq=2 Destination Host Unreachable\\nFrom 198\\.18\\.1\\.1 seq=3 Destination Host Unreachable</pre>`);
    assert.match(html, block);
  }
  assert.match(html, /2 parts, 6 sent, 0 received, 4 unreachable, 0 failed, 2100 ms/);
  assert.doesNotMatch(html, /0 errors/);
});
