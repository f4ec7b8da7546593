import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepLiveView } from '../../bin/sweep-live.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';

const start: MeasurementEvent = { type: 'start', agent: 'a', target: '10.0.0.0/30', measurement: 'probe', address: '10.0.0.0/30', family: 4, protocol: 'icmp', params: {} };
const host = (address: string, rttMs: number | null): MeasurementEvent => ({ type: 'host', agent: 'a', target: '10.0.0.0/30', address, rttMs });
const summary: MeasurementEvent = {
  type: 'summary', agent: 'a', target: '10.0.0.0/30', measurement: 'probe', sent: 4, received: 2, lossPct: 50, minMs: 1, avgMs: 1, maxMs: 1, mdevMs: 0,
  p50Ms: 1, p90Ms: 1, p99Ms: 1, durationMs: 5, hostsUp: 2, hostsTotal: 4,
};

test('not a terminal: no live frames, one final bitmap before the summary text', () => {
  const v = new SweepLiveView({ tty: false });
  assert.equal(v.render(start, 'HEAD\n'), 'HEAD\n');
  assert.equal(v.render(host('10.0.0.1', 1), ''), '');
  assert.equal(v.render(host('10.0.0.0', null), ''), '');
  v.render(host('10.0.0.2', 2), '');
  const out = v.render(summary, 'SUMMARY\n');
  assert.ok(!out.includes('\x1b'), 'no escapes when piped');
  // /30: 2 columns × 2 rows → one line of half blocks: column 0 = .0 (silent) over .2 (up), column 1 = .1 (up) over .3 (pending).
  assert.equal(out, '▄▀\n10.0.0.0/30: 2 up, 1 silent, 1 pending (4 addresses)\nSUMMARY\n');
});

test('terminal: frames are redrawn in place, throttled, and the last one always drawn', () => {
  let now = 0;
  const v = new SweepLiveView({ tty: true, width: 80, height: 24, intervalMs: 100, now: () => now });
  const first = v.render(start, 'HEAD\n');
  assert.ok(first.startsWith('HEAD\n'));
  assert.ok(!first.includes('\x1b[2F'), 'the first frame does not move up');
  now = 150;
  const redraw = v.render(host('10.0.0.1', 1), '');
  assert.ok(redraw.startsWith('\x1b[2F'), 'moves up over the 2-line frame');
  assert.match(redraw, /1 up, 0 silent, 3 pending/);
  now = 160;
  assert.equal(v.render(host('10.0.0.2', 1), ''), '', 'within 100 ms: no redraw');
  const last = v.render(summary, 'SUMMARY\n');
  assert.ok(last.startsWith('\x1b[2F'));
  assert.match(last, /2 up, 0 silent, 2 pending/);
  assert.ok(last.endsWith('SUMMARY\n'));
});

test('terminal: a bitmap wider than the terminal gets fewer columns; taller than it is drawn only at the end', () => {
  const v = new SweepLiveView({ tty: true, width: 40, height: 10 });
  const s16 = { ...start, target: '127.1.0.0/16', address: '127.1.0.0/16' } as MeasurementEvent;
  assert.equal(v.render(s16, 'HEAD\n'), 'HEAD\n', 'no live frame: 32 columns × 2048 rows cannot fit 10 lines');
  const end = v.render({ ...summary, target: '127.1.0.0/16' } as MeasurementEvent, '');
  const lines = end.split('\n');
  assert.ok(lines.length > 10);
  assert.ok(lines.slice(0, -2).every((l) => [...l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')].length <= 40));
});

test('an 80×24 terminal shows a /16 as one character per /24 (18 lines, not 512), live, and --color never writes no escapes', () => {
  const s16 = { ...start, target: '127.1.0.0/16', address: '127.1.0.0/16' } as MeasurementEvent;
  const h = (address: string, rttMs: number | null) => ({ ...host(address, rttMs), target: '127.1.0.0/16' }) as MeasurementEvent;
  for (const colour of [true, false]) {
    const v = new SweepLiveView({ tty: true, colour, width: 80, height: 24 });
    const first = v.render(s16, 'HEAD\n');
    assert.ok(first.length > 'HEAD\n'.length, 'drawn live');
    for (let i = 0; i < 256; i++) v.render(h(`127.1.3.${i}`, i < 200 ? 0.1 : null), '');
    for (let i = 0; i < 256; i++) v.render(h(`127.1.7.${i}`, null), '');
    const end = v.render({ ...summary, target: '127.1.0.0/16' } as MeasurementEvent, 'TAIL\n');
    const plain = end.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    const lines = plain.split('\n').filter((l) => l !== '' && l !== 'TAIL');
    assert.ok(lines.length <= 20, `${lines.length} lines`);
    assert.ok(lines.every((l) => [...l].length <= 80));
    assert.match(plain, /^ +\.0\.0 {4}█ {3}· {8}$/m, 'row .0.0: /24 number 3 mostly up, number 7 silent, the rest not probed');
    assert.equal(/\x1b\[3[0-9]m|\x1b\[9[0-9]m/.test(end), colour, `colours ${colour ? 'written' : 'absent'}`);
  }
});
