// The CLI's live table (mtr): redrawn in place on a terminal (cursor up over the previous frame,
// paced), the report in its place at the end; piped, the text renderer's lines pass unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveView } from '../../bin/live-view.ts';
import type { HopEvent, MeasurementEvent } from '../../shared/model/events.ts';
import { TextRenderer } from '../../shared/render/text-renderer.ts';

const agent = 'lax1';
const target = '198.18.1.9';

function run(): MeasurementEvent[] {
  const hop = (ttl: number, round: number, address: string, lossPct = 0): HopEvent => ({
    type: 'hop', agent, target, ttl, round, sent: round, received: round, lossPct,
    responders: [{ address, rttsMs: [ttl * 1.5] }],
    rtt: { lastMs: ttl * 1.5, avgMs: ttl * 1.5, bestMs: ttl, worstMs: ttl * 2, stdevMs: 0.1 },
  });
  const out: MeasurementEvent[] = [{ type: 'start', agent, target, measurement: 'mtr', address: target, family: 4, protocol: 'icmp', params: { count: 2 } }];
  for (const round of [1, 2]) for (const ttl of [1, 2]) out.push(hop(ttl, round, ttl === 1 ? '198.18.0.1' : target));
  out.push({ type: 'info', address: '198.18.0.1', info: { asn: 64500, asName: 'Lab Net' } });
  out.push({ type: 'summary', agent, target, measurement: 'mtr', address: target, durationMs: 2000, sent: 2, received: 2, lossPct: 0, minMs: 3, avgMs: 3, maxMs: 3, mdevMs: 0, p50Ms: 3, p90Ms: 3, p99Ms: 3 });
  out.push({ type: 'done', parts: 1, sent: 2, received: 2, errors: 0, durationMs: 2000 });
  return out;
}

function play(view: LiveView, clock: { t: number }): string {
  const renderer = new TextRenderer({});
  let out = '';
  for (const e of run()) {
    clock.t += 300;
    out += view.render(e, renderer.push(e));
  }
  return out;
}

test('piped: the text renderer output passes unchanged (hops as first seen, then the report)', () => {
  const clock = { t: 0 };
  const renderer = new TextRenderer({});
  const plain = run().map((e) => renderer.push(e)).join('');
  assert.equal(play(new LiveView({ tty: false }), clock), plain);
  assert.doesNotMatch(plain, /\x1b\[/);
});

test('on a terminal: frames drawn over each other, the late AS drawn in, then the report in place of the frame', () => {
  const clock = { t: 0 };
  const out = play(new LiveView({ tty: true, columns: 100, intervalMs: 200, now: () => clock.t }), clock);
  // The start line, then the first frame (header + no hops yet): 1 line.
  assert.match(out, /^mtr to 198\.18\.1\.9 \(198\.18\.1\.9\), 2 rounds\nHOST: lax1 +Loss% +Snt +Last +Avg +Best +Wrst StDev\x1b\[K\n/);
  // Each later frame moves up over the one before it: 1 line, then 2, then 3 (hops + header).
  assert.ok(out.includes('\x1b[1F'), 'up over the 1-line frame');
  assert.ok(out.includes('\x1b[3F'), 'up over the 3-line frame');
  // The info event redraws with the AS column filled in.
  assert.match(out, / {2}1\. AS64500 {2}198\.18\.0\.1/);
  // At the end the frame is erased and the report printed once, plainly.
  const end = out.lastIndexOf('\x1b[J');
  assert.ok(end > 0);
  const report = out.slice(end + 3);
  assert.doesNotMatch(report, /\x1b/);
  assert.match(report, /^HOST: lax1/m);
  assert.match(report, /^ {2}2\. AS\?\?\? +198\.18\.1\.9 +0\.0% +2 /m);
  assert.ok(!out.includes('  1. 198.18.0.1\n'), 'the first-seen hop lines are not printed between frames');
});

test('a narrow terminal gets the 36-column table', () => {
  const clock = { t: 0 };
  const out = play(new LiveView({ tty: true, columns: 40, now: () => clock.t }), clock);
  const frames = out.slice(0, out.lastIndexOf('\x1b[J')).replace(/\x1b\[\d*[FK]/g, '').split('\n');
  assert.ok(frames.includes(' #  host            loss snt    avg'), frames.join('\n'));
  assert.ok(Math.max(...frames.map((l) => l.length)) <= 40, frames.join('\n'));
});
