import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MtrHop, currentMtrHops, mtrReport, rateLimitedHops } from '../../../../shared/measurements/mtr/mtr-stats.ts';
import { TextRenderer } from '../../../../shared/render/text-renderer.ts';
import { parseCommand } from '../../../../shared/command/grammar.ts';
import type { HopEvent } from '../../../../shared/model/events.ts';

test('a hop keeps mtr\'s columns: Last, Avg, Best, Wrst and the sample StDev, loss over settled probes', () => {
  const h = new MtrHop(2);
  for (const rtt of [1, 2, 3, 4]) h.answered('198.18.1.2', rtt);
  h.lost();
  const e = h.event('a', 't', 5, false);
  assert.deepEqual(e.rtt, { lastMs: 4, avgMs: 2.5, bestMs: 1, worstMs: 4, stdevMs: 1.291 });
  assert.equal(e.sent, 5);
  assert.equal(e.received, 4);
  assert.equal(e.lossPct, 20);
  assert.equal(e.responders[0]!.replies, 4);
});

test('ECMP: answers from two routers are two responders of one hop', () => {
  const h = new MtrHop(2);
  h.answered('198.18.1.2', 1);
  h.answered('198.18.10.2', 1);
  h.answered('198.18.1.2', 1);
  assert.deepEqual(h.event('a', 't', 3, false).responders.map((r) => [r.address, r.replies]), [['198.18.1.2', 2], ['198.18.10.2', 1]]);
});

test('rate limiting is flagged only when the excess over a later hop is significant', () => {
  assert.deepEqual(rateLimitedHops([{ lossPct: 0, settled: 100 }, { lossPct: 60, settled: 100 }, { lossPct: 0, settled: 100 }]), [false, true, false]);
  // Equal forwarding loss with sampling noise: 35 % then 28 %.
  assert.deepEqual(rateLimitedHops([{ lossPct: 0, settled: 100 }, { lossPct: 35, settled: 100 }, { lossPct: 28, settled: 100 }]), [false, false, false]);
});

test('the latest round decides which hops are listed (a too-far first-round destination drops out)', () => {
  const hop = (ttl: number, round: number): HopEvent => ({ type: 'hop', agent: 'a', target: 't', ttl, responders: [], sent: 1, received: 0, lossPct: 100, round });
  const m = new Map([[1, hop(1, 3)], [2, hop(2, 3)], [3, hop(3, 1)]]);
  assert.deepEqual(currentMtrHops(m).map((h) => h.ttl), [1, 2]);
});

test('the report has mtr --json\'s shape and the text is mtr -r\'s table', () => {
  const h = new MtrHop(1);
  h.answered('127.0.0.1', 0.05);
  h.answered('127.0.0.1', 0.09);
  const e = h.event('local', '127.0.0.1', 2, false);
  const report = mtrReport({ src: 'local', dst: '127.0.0.1', tests: 2, psize: 64 }, [e]);
  assert.deepEqual(report, {
    mtr: { src: 'local', dst: '127.0.0.1', tos: 0, tests: 2, psize: '64', bitpattern: '0x00' },
    hubs: [{ count: 1, host: '127.0.0.1', 'Loss%': 0, Snt: 2, Last: 0.09, Avg: 0.07, Best: 0.05, Wrst: 0.09, StDev: 0.028 }],
  });
  const r = new TextRenderer({ quiet: true });
  let out = r.push({ type: 'start', agent: 'local', target: '127.0.0.1', measurement: 'mtr', address: '127.0.0.1', family: 4, protocol: 'icmp', params: { count: 2, maxHops: 30 } });
  out += r.push(e);
  out += r.push({ type: 'summary', agent: 'local', target: '127.0.0.1', measurement: 'mtr', sent: 2, received: 2, lossPct: 0, minMs: 0.05, avgMs: 0.07, maxMs: 0.09, mdevMs: 0.02, p50Ms: 0.05, p90Ms: 0.09, p99Ms: 0.09, durationMs: 1, report });
  assert.equal(
    out,
    'mtr to 127.0.0.1 (127.0.0.1), 2 rounds, 30 hops max\n' +
      'HOST: local                       Loss%   Snt   Last   Avg  Best  Wrst StDev\n' +
      '  1.|-- 127.0.0.1                  0.0%     2    0.1   0.1   0.1   0.1   0.0\n',
  );
});

test('the grammar reads mtr\'s own flags: -r, -u, -T, -P PORT, -c, -i, -m', () => {
  const r = parseCommand('mtr -r -T -P 443 -c 5 -i 0.5 -m 12 -n --from lax1 198.18.0.1');
  assert.ok(r.ok && r.command === 'mtr');
  if (!r.ok || r.command !== 'mtr') return;
  assert.deepEqual(r.spec, { type: 'mtr', targets: ['198.18.0.1'], from: ['lax1'], count: 5, intervalMs: 500, protocol: 'tcp', port: 443, maxHops: 12, numeric: true });
  assert.equal(r.display?.quiet, true);
  const u = parseCommand('mtr -u 198.18.0.1');
  assert.ok(u.ok && u.command === 'mtr' && u.spec.protocol === 'udp');
});
