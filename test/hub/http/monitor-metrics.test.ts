/**
 * The monitor families of /metrics (issue 13 item 7): parsed with an independent reader of the
 * text format (test/helpers/prom-text.ts), bucket counts against a known sample set, meshping's
 * names only when asked (the hub's /metrics: monitor-extras-wiring.test.ts).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { Histogram } from '../../../shared/model/histogram.ts';
import type { MonitorSeries, SeriesExtras } from '../../../hub/core/monitor-series.ts';
import { escapeLabelValue, exportedSampleNames, meshpingLe, monitorExposition } from '../../../hub/http/monitor-metrics.ts';
import { parsePromText, type PromFamily } from '../../helpers/prom-text.ts';

/** Round trips in ms, one per coarse region: under the grid, 50 µs, 0.3 ms, exactly 1 ms, 1.5 ms, 20 ms, over 65.5 s. */
const RTTS = [0.005, 0.05, 0.3, 1, 1.5, 20, 70_000];

function series(over: Partial<MonitorSeries> & { rtts?: number[] } = {}): MonitorSeries {
  const rtts = over.rtts ?? RTTS;
  const histogram = Histogram.from([]);
  for (const r of rtts) histogram.add(r);
  return {
    monitorId: 1,
    monitor: 'uplink',
    target: 'gw.example@192.0.2.1',
    address: '192.0.2.1',
    agent: 'lax1',
    sent: rtts.length + 3,
    received: rtts.length,
    sumMs: rtts.reduce((a, b) => a + b, 0),
    histogram,
    routeChanges: 2,
    minMs: Math.min(...rtts),
    maxMs: Math.max(...rtts),
    ...over,
  };
}

function family(f: Map<string, PromFamily>, name: string): PromFamily {
  const x = f.get(name);
  assert.ok(x, `family ${name} missing`);
  return x;
}

test('rtt histogram: coarse buckets in seconds hold the cumulative counts of a known sample set', () => {
  const f = parsePromText(monitorExposition([series()]));
  const rtt = family(f, 'meshprobe_monitor_rtt_seconds');
  assert.equal(rtt.type, 'histogram');
  const buckets = rtt.samples.filter((s) => s.name.endsWith('_bucket'));
  assert.equal(buckets.length, 25, '24 octave bounds and +Inf');
  // Expected from the definition: a round trip counts under every bound ≥ it (2^j ms, j = −7…16).
  for (const b of buckets) {
    const leS = Number(b.labels['le'] === '+Inf' ? Infinity : b.labels['le']);
    const expected = RTTS.filter((r) => r <= 2 ** -7 || r / 1000 <= leS * (1 + 1e-12)).length;
    assert.equal(b.value, expected, `le=${b.labels['le']}`);
  }
  assert.equal(buckets[0]!.labels['le'], '0.0000078125');
  assert.equal(buckets.at(-2)!.labels['le'], '65.536');
  const sum = rtt.samples.find((s) => s.name.endsWith('_sum'))!;
  assert.ok(Math.abs(sum.value - RTTS.reduce((a, b) => a + b, 0) / 1000) < 1e-9);
  assert.equal(rtt.samples.find((s) => s.name.endsWith('_count'))!.value, RTTS.length);
  assert.deepEqual(buckets[0]!.labels, { monitor: 'uplink', target: 'gw.example@192.0.2.1', address: '192.0.2.1', agent: 'lax1', le: '0.0000078125' });
});

test('counters: sent, received, lost = sent − received, route changes', () => {
  const f = parsePromText(monitorExposition([series(), series({ agent: 'fra1', sent: 5, received: 5, rtts: [1, 2, 3, 4, 5], routeChanges: 0 })]));
  const value = (name: string, agent: string) => family(f, name).samples.find((s) => s.labels['agent'] === agent)!.value;
  assert.equal(family(f, 'meshprobe_monitor_sent_total').type, 'counter');
  assert.equal(value('meshprobe_monitor_sent_total', 'lax1'), 10);
  assert.equal(value('meshprobe_monitor_received_total', 'lax1'), 7);
  assert.equal(value('meshprobe_monitor_lost_total', 'lax1'), 3);
  assert.equal(value('meshprobe_monitor_lost_total', 'fra1'), 0);
  assert.equal(value('meshprobe_monitor_route_changes_total', 'lax1'), 2);
  assert.equal(value('meshprobe_monitor_route_changes_total', 'fra1'), 0);
});

test('label values are escaped as the text format wants (backslash, quote, newline) and read back equal', () => {
  const odd = 'a"b\\c\nd';
  assert.equal(escapeLabelValue(odd), 'a\\"b\\\\c\\nd');
  const f = parsePromText(monitorExposition([series({ target: odd, address: null })]));
  const s = family(f, 'meshprobe_monitor_sent_total').samples[0]!;
  assert.equal(s.labels['target'], odd);
  assert.equal(s.labels['address'], '');
});

test('meshping names appear only with compat, in ms on the fine grid, non-empty buckets only', () => {
  const plain = parsePromText(monitorExposition([series()]));
  assert.ok(![...plain.keys()].some((k) => k.startsWith('meshping_')), 'no meshping names without compat');

  const rtts = [0.2, 0.21, 0.8, 1, 1, 12.5, 12.6, 300];
  const f = parsePromText(monitorExposition([series({ rtts, sent: 10 })], { compat: 'meshping' }));
  for (const name of ['meshping_sent', 'meshping_recv', 'meshping_lost']) assert.equal(family(f, name).type, 'counter');
  const labels = { name: 'uplink', target: '192.0.2.1', agent: 'lax1' };
  assert.deepEqual(family(f, 'meshping_sent').samples, [{ name: 'meshping_sent', labels, value: 10 }]);
  assert.equal(family(f, 'meshping_recv').samples[0]!.value, 8);
  assert.equal(family(f, 'meshping_lost').samples[0]!.value, 2);
  assert.equal(family(f, 'meshping_min').samples[0]!.value, 0.2);
  assert.equal(family(f, 'meshping_max').samples[0]!.value, 300);
  const pings = family(f, 'meshping_pings');
  const buckets = pings.samples.filter((s) => s.name === 'meshping_pings_bucket');
  // 0.2 ≤ 2^(−23/10) = 0.2031 < 0.21: neighbouring buckets, told apart below 1 ms.
  const byLe = buckets.map((b) => [b.labels['le'], b.value]);
  assert.deepEqual(byLe, [
    [meshpingLe(-23), 1],
    [meshpingLe(-22), 2],
    [meshpingLe(-3), 3],
    [meshpingLe(0), 5],
    [meshpingLe(37), 7],
    [meshpingLe(83), 8],
    ['+Inf', 8],
  ]);
  assert.equal(meshpingLe(0), '1.00');
  assert.equal(meshpingLe(37), '13.00');
  assert.equal(meshpingLe(-23), '0.203');
  assert.equal(pings.samples.find((s) => s.name === 'meshping_pings_sum')!.value, rtts.reduce((a, b) => a + b, 0));
  assert.equal(pings.samples.find((s) => s.name === 'meshping_pings_count')!.value, 8);
});

test('meshping min and max are left out until something was received', () => {
  const f = parsePromText(monitorExposition([series({ rtts: [], sent: 4, received: 0, minMs: null, maxMs: null })], { compat: 'meshping' }));
  assert.equal(family(f, 'meshping_min').samples.length, 0);
  assert.equal(family(f, 'meshping_max').samples.length, 0);
  assert.deepEqual(family(f, 'meshping_pings').samples.map((s) => [s.name, s.labels['le'], s.value]), [
    ['meshping_pings_bucket', '+Inf', 0],
    ['meshping_pings_sum', undefined, 0],
    ['meshping_pings_count', undefined, 0],
  ]);
});

/** Extras of a series: a TCP echo monitor's (connection figures) or a one-way delay monitor's. */
function extras(over: Partial<SeriesExtras> = {}): SeriesExtras {
  return { timeouts: 0, drops: 0, connects: 0, forward: new Histogram(), forwardSumMs: 0, reverse: new Histogram(), reverseSumMs: 0, ...over };
}

test('every sample name in the exposition is one exportedSampleNames() lists, and the other way round', () => {
  const forward = new Histogram();
  forward.add(1.5);
  const withExtras = [
    series(),
    series({ agent: 'echo', extras: extras({ connected: 1, connects: 1, rtoMs: 100, lossWindowPct: 0, lastMs: 0.2 }) }),
    series({ agent: 'owd', extras: extras({ forward, forwardSumMs: 1.5, offsetMs: 0.1, offsetErrMs: 0.05, unstable: 0 }) }),
  ];
  for (const compat of [undefined, 'meshping'] as const) {
    const f = parsePromText(monitorExposition(withExtras, compat ? { compat } : {}));
    const names = new Set([...f.values()].flatMap((x) => x.samples.map((s) => s.name)));
    assert.deepEqual([...names].sort(), exportedSampleNames(compat ? { compat } : {}).sort());
  }
});

test('3,000 series (1,000 monitors × 3 agents): one valid exposition of about 93,000 lines', () => {
  const list: MonitorSeries[] = [];
  for (let m = 0; m < 1000; m++) {
    for (const agent of ['lax1', 'fra1', 'sin1']) list.push(series({ monitorId: m + 1, monitor: `m${m}`, agent, target: `10.0.${m >> 8}.${m & 255}`, address: `10.0.${m >> 8}.${m & 255}` }));
  }
  const text = monitorExposition(list);
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  assert.equal(lines, 3000 * 31);
  const f = parsePromText(text);
  assert.equal(family(f, 'meshprobe_monitor_sent_total').samples.length, 3000);
});
