/**
 * probe (CIDR sweep) on loopback, where every address of 127.0.0.0/8 answers: the acceptance
 * /16 against fping in the same run, the rate limit, and refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweep } from '../../../../agent/probes/probe/sweep.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { HostEvent, MeasurementEvent, SummaryEvent } from '../../../../shared/model/events.ts';
import { rawSkipReason } from '../../../helpers/raw-capability.ts';
import { haveCommand, run } from '../../../lab/lab.ts';

async function sweep(input: Omit<MeasurementSpecInput, 'type'>): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'probe', ...input });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const ev: MeasurementEvent[] = [];
  await runSweep(r.spec, { agent: 't', signal: new AbortController().signal, emit: (e) => ev.push(e) });
  return ev;
}
const up = (ev: MeasurementEvent[]) => ev.filter((e): e is HostEvent => e.type === 'host' && e.rttMs !== null).map((e) => e.address);

test('sweep of 127.1.0.0/16 finds every address that fping -g finds in the same run', async (t) => {
  const skip = rawSkipReason() ?? (haveCommand('fping') ? null : 'fping is not installed');
  if (skip) return t.skip(skip);
  const t0 = performance.now();
  const ev = await sweep({ targets: ['127.1.0.0/16'], rate: 0, timeoutMs: 1000 });
  const ours = performance.now() - t0;
  const t1 = performance.now();
  const f = await run('fping', ['-g', '127.1.0.0/16', '-i', '0', '-r', '0', '-q', '-a']);
  const theirs = performance.now() - t1;
  const fpingHosts = f.stdout.split('\n').filter(Boolean);
  assert.ok(fpingHosts.length > 60_000, `fping found ${fpingHosts.length}`);
  const mine = new Set(up(ev));
  const missed = fpingHosts.filter((h) => !mine.has(h));
  assert.deepEqual(missed.slice(0, 10), [], `${missed.length} hosts fping found were missed`);
  const s = ev.at(-1) as SummaryEvent;
  assert.equal(s.type, 'summary');
  assert.equal(s.hostsTotal, 65_536);
  assert.equal(s.hostsUp, mine.size);
  assert.equal(ev.filter((e) => e.type === 'host').length, 65_536, 'one host event per address');
  t.diagnostic(`sweep ${ours.toFixed(0)} ms (${mine.size} up) vs fping ${theirs.toFixed(0)} ms (${fpingHosts.length} up)`);
});

test('--rate paces the sweep: 256 addresses at 1000 pps take at least 0.24 s', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const t0 = performance.now();
  const ev = await sweep({ targets: ['127.2.0.0/24'], rate: 1000 });
  const ms = performance.now() - t0;
  assert.equal(up(ev).length, 256);
  assert.ok(ms >= 240, `256 packets at 1000 pps took only ${ms.toFixed(0)} ms`);
  const start = ev[0]!;
  assert.ok(start.type === 'start' && start.params.rate === 1000 && start.params.hosts === 256);
});

test('the default rate is 1000 pps and an IPv6 prefix works too', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const ev = await sweep({ targets: ['::1/128'] });
  const start = ev[0]!;
  assert.ok(start.type === 'start' && start.params.rate === 1000 && start.family === 6);
  assert.deepEqual(up(ev), ['::1']);
});

test('a prefix larger than the sweep cap, a bad CIDR and a family mismatch are error events', async () => {
  const ev = await sweep({ targets: ['127.0.0.0/15', '127.0.0.300/24', '::1/128'], ipVersion: 4 });
  assert.deepEqual(ev.map((e) => e.type), ['error', 'error', 'error']);
  const msgs = ev.map((e) => (e as { message: string }).message);
  assert.match(msgs[0]!, /\/16/);
  assert.match(msgs[2]!, /IPv6 prefix, IPv4 was asked for/);
  assert.ok(msgs.every((m) => !m.includes('\n')));
});

test('cancelling a sweep stops sending and still ends with a summary', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const r = parseSpec({ type: 'probe', targets: ['127.3.0.0/16'], rate: 2000 });
  assert.ok(r.ok);
  const ac = new AbortController();
  const ev: MeasurementEvent[] = [];
  setTimeout(() => ac.abort(), 100);
  await runSweep(r.spec, { agent: 't', signal: ac.signal, emit: (e) => ev.push(e) });
  const s = ev.at(-1) as SummaryEvent;
  assert.equal(s.type, 'summary');
  assert.ok(s.sent < 2000, `sent ${s.sent} after cancelling at 100 ms`);
});
