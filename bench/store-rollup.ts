/**
 * How long the monitor store's rollup holds the hub's event loop (issue 13 item 4), run by hand:
 *
 *   node --disable-warning=ExperimentalWarning bench/store-rollup.ts [--series 10000] [--budget N] [--json]
 *
 * One hour of minute rows of `series` monitors × 1 agent (60 × series rows, 1 Hz pings with the
 * histograms of bench/store-size.ts) is written through upsertRows, then folded into hourly rows
 * twice, on two copies of the same file: in one call (what the hub did before rollup had a
 * budget), and in calls of at most `budget` rows each, as the monitor service's timer makes them
 * (MonitorDefaults.rollupRowsPerCall). Each call is synchronous, so its wall time is how long it
 * keeps the event loop; the figures are the longest call, the median, the number of calls and the
 * sum. Both copies must end with the same hourly rows.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { MonitorDefaults } from '../hub/core/monitor-service.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../hub/store/sqlite-store.ts';
import { Histogram } from '../shared/model/histogram.ts';
import type { MinuteRow } from '../shared/model/monitor-types.ts';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '10000' },
    budget: { type: 'string', default: String(MonitorDefaults.rollupRowsPerCall) },
    json: { type: 'boolean', default: false },
  },
});
const SERIES = Number(values.series);
const BUDGET = Number(values.budget);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

let seed = 13;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
function minuteRow(m: number, t: number, base: number): MinuteRow {
  const h = new Histogram();
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < 60; i++) {
    const v = Math.round(base * (1 + rand() * 0.3) * 1e6) / 1e6;
    h.add(v);
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { m, t, sent: 60, recv: 60, sum, min, max, hist: h.pairs(), last: max, lastAt: t + 59_000 };
}

const dirA = mkdtempSync(join(tmpdir(), 'mp-rollup-a-'));
const dirB = mkdtempSync(join(tmpdir(), 'mp-rollup-b-'));
try {
  {
    const store = openSqliteStore(dirA);
    const ids: number[] = [];
    for (let i = 0; i < SERIES; i++) {
      ids.push(store.createMonitor({ owner: 'admin', name: `m${i}`, type: 'ping', target: `t${i}.test`, probe: `t${i}.test`, intervalMs: 1000, traceMs: null, from: [], alerts: [], notify: {}, paused: false }).id);
    }
    const bases = ids.map((_, i) => (i % 3 === 2 ? 5 + rand() * 145 : 0.05 + rand() * 0.45));
    for (let minute = 0; minute < 60; minute++) {
      const rows = ids.map((m, i) => minuteRow(m, T0 + minute * MIN, bases[i]!));
      for (let i = 0; i < rows.length; i += 4096) store.upsertRows('agent0', rows.slice(i, i + 4096));
    }
    store.close();
  }
  copyFileSync(join(dirA, STORE_FILE_NAME), join(dirB, STORE_FILE_NAME));
  const now = T0 + 14 * DAY + 2 * HOUR;
  const opts = { minuteRetentionMs: 14 * DAY, hourRetentionMs: 400 * DAY };

  const timed = <T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const value = fn();
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
  };

  const a = openSqliteStore(dirA);
  const one = timed(() => a.rollup(now, opts));
  a.close();

  const b = openSqliteStore(dirB);
  const calls: number[] = [];
  const callCpu: number[] = [];
  let folded = 0;
  let cpuMs = 0;
  for (;;) {
    const r = timed(() => b.rollup(now, { ...opts, maxRows: BUDGET }));
    calls.push(r.wallMs);
    callCpu.push(r.cpuMs);
    cpuMs += r.cpuMs;
    folded += r.value.minutesFolded;
    if (!r.value.more) break;
  }
  b.close();

  const digest = (dir: string) => {
    const db = new DatabaseSync(join(dir, STORE_FILE_NAME));
    const h = db.prepare('SELECT count(*) AS n, sum(sent) AS sent, sum(sum_ns) AS sum, sum(length(hist)) AS hist FROM hour_rows').get();
    const m = db.prepare('SELECT count(*) AS n FROM minute_rows').get() as { n: number };
    db.close();
    return JSON.stringify({ ...h, minuteRows: m.n });
  };
  const same = digest(dirA) === digest(dirB);
  const sorted = [...calls].sort((x, y) => x - y);
  const result = {
    series: SERIES,
    minuteRows: SERIES * 60,
    oneCall: { folded: one.value.minutesFolded, wallMs: one.wallMs, cpuMs: one.cpuMs },
    budgeted: {
      budget: BUDGET,
      folded,
      calls: calls.length,
      maxWallMs: sorted.at(-1)!,
      p50WallMs: sorted[Math.floor(sorted.length / 2)]!,
      sumWallMs: calls.reduce((x, y) => x + y, 0),
      cpuMs,
      maxCpuMs: Math.max(...callCpu),
      p50CpuMs: [...callCpu].sort((x, y) => x - y)[Math.floor(callCpu.length / 2)]!,
    },
    sameHourlyRows: same,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`rollup of one hour of ${result.minuteRows.toLocaleString('en-US')} minute rows (${SERIES.toLocaleString('en-US')} series):`);
    console.log(`  one call: ${one.wallMs.toFixed(0)} ms wall, ${one.cpuMs.toFixed(0)} ms CPU`);
    const bd = result.budgeted;
    console.log(`  ${bd.budget.toLocaleString('en-US')} rows a call: ${bd.calls} calls, longest ${bd.maxWallMs.toFixed(1)} ms, median ${bd.p50WallMs.toFixed(1)} ms, sum ${bd.sumWallMs.toFixed(0)} ms wall;`);
    console.log(`    CPU a call: median ${bd.p50CpuMs.toFixed(1)} ms, most ${bd.maxCpuMs.toFixed(1)} ms, sum ${bd.cpuMs.toFixed(0)} ms`);
    console.log(`  same hourly rows both ways: ${same} (load average ${result.loadavg})`);
  }
  if (!same) process.exitCode = 1;
} finally {
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
}
