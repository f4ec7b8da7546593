/**
 * Acceptance (issue 16): mtr through client ── r1 ── r2 ── r3 ── target with random loss injected
 * in r1's forward path shows loss starting at hop 2 and not before, with the responders that the
 * system's `mtr -r -n -c N` sees in the same lab, and each hop's Loss % within the binomial 99 %
 * interval of the injected rate. The agent runs inside the client namespace.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, haveCommand, labUnavailable } from './lab.ts';
import type { HopEvent, MeasurementEvent, SummaryEvent } from '../../shared/model/events.ts';
import { currentMtrHops, type MtrReport } from '../../shared/measurements/mtr/mtr-stats.ts';

const skip = labUnavailable();
const haveMtr = haveCommand('mtr');

/** The last hop event of each TTL (mtr re-emits hops every round). */
function finalHops(ev: MeasurementEvent[]): HopEvent[] {
  const by = new Map<number, HopEvent>();
  for (const e of ev) if (e.type === 'hop') by.set(e.ttl, e);
  return currentMtrHops(by);
}

/**
 * The interval of a binomial proportion (normal approximation), jointly over `k` hops
 * (Bonferroni: each at 1 − α/k), so a run of several hops falls outside by chance at most α of the time.
 */
function interval(p: number, n: number, k: number, level: 0.99 | 0.999): [number, number] {
  // z of the two-sided 1 − α/k interval, k = 1…4.
  const zs = level === 0.99 ? [2.576, 2.576, 2.807, 2.935, 3.023] : [3.291, 3.291, 3.481, 3.588, 3.662];
  const half = zs[Math.min(k, 4)]! * Math.sqrt((p * (1 - p)) / n);
  return [Math.max(0, p - half) * 100, Math.min(1, p + half) * 100];
}

/** Hop rows of `mtr -r -n`: TTL, host, Loss %, Snt. */
function parseMtrReport(out: string): { ttl: number; host: string; loss: number; snt: number }[] {
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\.\|--\s+(\S+)\s+([\d.]+)%\s+(\d+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ ttl: Number(m[1]), host: m[2]!, loss: Number(m[3]), snt: Number(m[4]) }));
}

const LOSS = 30;
const ROUNDS = 100;

describe('mtr in the lab with 30 % loss after r1', { skip }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ lossPct: LOSS });
  });
  after(() => lab?.destroy());

  for (const family of [4, 6] as const) {
    test(`IPv${family}: loss starts at hop 2, within the binomial 99 % interval, same responders as mtr -r -n`, async (t) => {
      const dst = family === 4 ? lab.target.v4 : lab.target.v6;
      const expected = [...lab.routers, lab.target].map((n) => (family === 4 ? n.v4 : n.v6));
      const ev = await lab.runAgent({ type: 'mtr', targets: [dst], count: ROUNDS, intervalMs: 50, timeoutMs: 1000, maxHops: 10, numeric: true }, { timeoutMs: 120_000 });
      assert.deepEqual(ev.filter((e) => e.type === 'error'), []);
      const hops = finalHops(ev);
      assert.deepEqual(hops.map((h) => h.responders.map((r) => r.address).join(',')), expected, 'one responder per hop, in order');
      assert.deepEqual(hops.map((h) => h.sent), [ROUNDS, ROUNDS, ROUNDS, ROUNDS], 'every round probed every hop');
      assert.equal(hops[0]!.lossPct, 0, 'no loss before the lossy link');
      // The figure the issue names is the 99 % interval (reported); the assertion holds the 99.9 %
      // one, so that the test itself fails by chance once in a thousand runs, not once in a hundred.
      const [lo99, hi99] = interval(LOSS / 100, ROUNDS, hops.length - 1, 0.99);
      const inside99 = hops.slice(1).every((h) => h.lossPct >= lo99 && h.lossPct <= hi99);
      t.diagnostic(`loss per hop ${hops.map((h) => h.lossPct.toFixed(0)).join('/')} %; 99 % interval [${lo99.toFixed(1)}, ${hi99.toFixed(1)}]: ${inside99 ? 'all inside' : 'not all inside'}`);
      const [lo, hi] = interval(LOSS / 100, ROUNDS, hops.length - 1, 0.999);
      for (const h of hops.slice(1)) {
        assert.ok(h.lossPct >= lo && h.lossPct <= hi, `hop ${h.ttl}: ${h.lossPct}% outside the 99.9 % interval [${lo.toFixed(1)}, ${hi.toFixed(1)}]`);
        assert.ok(h.rtt && h.rtt.bestMs <= h.rtt.avgMs && h.rtt.avgMs <= h.rtt.worstMs);
      }
      assert.ok(hops.every((h) => !h.rateLimited), 'forwarding loss is not flagged as rate limiting');
      const rounds = ev.filter((e): e is HopEvent => e.type === 'hop' && e.ttl === 1).map((h) => h.round);
      assert.ok(rounds.length > 2, 'hops stream during the run, not only at the end');
      const s = ev.find((e): e is SummaryEvent => e.type === 'summary')!;
      assert.equal(s.reached, true);
      const report = s.report as MtrReport | undefined;
      assert.equal(report?.hubs.length, 4);
      assert.deepEqual(report?.hubs.map((h) => h.host), expected);

      if (!haveMtr) return t.diagnostic('mtr not installed: anchor comparison skipped');
      const anchor = await lab.exec(lab.client.ns, ['mtr', `-${family}`, '-r', '-n', '-c', String(ROUNDS), '-i', '0.05', '-m', '10', dst], { timeoutMs: 120_000 });
      assert.equal(anchor.code, 0, anchor.stderr);
      const rows = parseMtrReport(anchor.stdout);
      assert.deepEqual(rows.map((r) => r.host), expected, `mtr -r -n: ${anchor.stdout}`);
      assert.equal(rows[0]!.loss, 0);
      // mtr's own figures are the anchor's, reported rather than asserted (they test the lab, not us).
      t.diagnostic(`loss per hop, meshprobe: ${hops.map((h) => h.lossPct.toFixed(0)).join('/')}; mtr: ${rows.map((r) => r.loss.toFixed(0)).join('/')}`);
    });
  }
});

describe('mtr past a router that drops its own answers', { skip }, () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create({ silentRouters: [2] });
  });
  after(() => lab?.destroy());

  test('hop 2 is ??? with 100 % loss and flagged rate-limited; the target answers every round', async () => {
    const ev = await lab.runAgent({ type: 'mtr', targets: [lab.target.v4], count: 10, intervalMs: 50, timeoutMs: 500, maxHops: 10 });
    const hops = finalHops(ev);
    assert.equal(hops.length, 4);
    assert.deepEqual(hops[1]!.responders, []);
    assert.equal(hops[1]!.lossPct, 100);
    assert.equal(hops[1]!.rateLimited, true);
    assert.equal(hops[3]!.lossPct, 0);
    assert.ok(!hops[3]!.rateLimited);
  });
});
