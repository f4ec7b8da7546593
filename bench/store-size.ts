/**
 * What the monitor store costs on disk and in writes (issue 13 item 4), run by hand:
 *
 *   node --disable-warning=ExperimentalWarning bench/store-size.ts [--series 3000] [--amp-series 10000] [--amp-minutes 4] [--json]
 *
 * 1. Size. 1,000 monitors × 3 agents (3,000 series) of 1 Hz pings with realistic histograms
 *    (LAN-ish round trips of 0.05–0.5 ms and WAN-ish of 5–150 ms with jitter and rare spikes,
 *    ~5–15 non-empty buckets a minute): one hour of minute rows written through upsertRows as
 *    agents send them, then one day of hourly rows (each the merge of 60 such minutes, written
 *    with the columns and encoding rollup writes). Bytes per row are the pages each table
 *    occupies after VACUUM (dbstat: payload, headers, slack and interior pages), and one year
 *    with the defaults (14 days of minute rows, 400 days of hourly rows) is extrapolated.
 * 2. Write amplification. 10,000 monitors × 1 agent (10,000 rows a minute), with the agent
 *    re-sending its open minute rows every 10 s (6 growing versions of each row a minute), in
 *    report frames of 4,096 rows: bytes this process caused to be written (/proc/self/io
 *    write_bytes, and wchar for the bytes of its write calls) per byte of row data, counting
 *    every re-send as row data and also only the rows finally stored; and the time of each
 *    upsertRows of 4,096 rows.
 * 3. Histograms as BLOB of varints against JSON text, over the same minute and hourly rows.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { encodeHistogram } from '../hub/store/histogram-blob.ts';
import { DEFAULT_HOUR_RETENTION_MS, DEFAULT_MINUTE_RETENTION_MS } from '../hub/store/retention.ts';
import { openSqliteStore, STORE_FILE_NAME } from '../hub/store/sqlite-store.ts';
import { Histogram } from '../shared/model/histogram.ts';
import type { MinuteRow } from '../shared/model/monitor-types.ts';

const { values } = parseArgs({
  options: {
    series: { type: 'string', default: '3000' },
    'amp-series': { type: 'string', default: '10000' },
    'amp-minutes': { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const SERIES = Number(values.series);
const AMP_SERIES = Number(values['amp-series']);
const AMP_MINUTES = Number(values['amp-minutes']);
const AGENTS = 3;
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const DAY_MIN = 1440;

/** mulberry32: the same rows every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(13);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

interface Profile {
  base: number;
  jitter: number;
  loss: number;
}
/** Two in three series LAN-ish, one in three WAN-ish. */
function profileOf(i: number): Profile {
  return i % 3 === 2
    ? { base: 5 + rand() * 145, jitter: 0.02 + rand() * 0.06, loss: rand() < 0.1 ? 0.02 : 0.001 }
    : { base: 0.05 + rand() * 0.45, jitter: 0.1 + rand() * 0.2, loss: 0.0005 };
}
function rtt(p: Profile): number {
  const v = p.base * Math.exp(Math.abs(gauss()) * p.jitter) * (rand() < 0.01 ? 2 + rand() * 8 : 1);
  return Math.round(v * 1e6) / 1e6;
}
/** A minute of `sent` probes of profile p, as an agent reports it. */
function minuteRow(m: number, t: number, p: Profile, sent: number): MinuteRow {
  const h = new Histogram();
  let recv = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < sent; i++) {
    if (rand() < p.loss) continue;
    const v = rtt(p);
    h.add(v);
    recv++;
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const row: MinuteRow = { m, t, sent, recv, sum, hist: h.pairs(), last: max, lastAt: t + 59_000, ewma: [sum / recv, sum / recv, sum / recv] };
  if (recv > 0) {
    row.min = min;
    row.max = max;
  }
  return row;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
function io(): { writeBytes: number; wchar: number } {
  const text = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(text)![1]);
  return { writeBytes: field('write_bytes'), wchar: field('wchar') };
}
function tableStats(file: string): Map<string, { bytes: number; payload: number }> {
  const db = new DatabaseSync(file);
  db.exec('VACUUM');
  const out = new Map<string, { bytes: number; payload: number }>();
  for (const r of db.prepare('SELECT name, sum(pgsize) AS bytes, sum(payload) AS payload FROM dbstat GROUP BY name').all() as any[]) {
    out.set(r.name, { bytes: r.bytes, payload: r.payload });
  }
  db.close();
  return out;
}

// --- 1. size ----------------------------------------------------------------------------------
const sizeDir = mkdtempSync(join(tmpdir(), 'mp-store-size-'));
const histSizes = { minuteBlob: 0, minuteJson: 0, minuteBuckets: 0, hourBlob: 0, hourJson: 0, hourBuckets: 0 };
let minuteRows = 0;
let hourRows = 0;
const sizeCallMs: number[] = [];
{
  const store = openSqliteStore(sizeDir);
  const monitors = SERIES / AGENTS;
  const ids: number[] = [];
  for (let i = 0; i < monitors; i++) {
    ids.push(store.createMonitor({ owner: 'admin', name: `m${i}`, type: 'ping', target: `t${i}.test`, probe: `t${i}.test`, intervalMs: 1000, traceMs: null, from: [], alerts: [], notify: {}, paused: false }).id);
  }
  const profiles = Array.from({ length: SERIES }, (_, i) => profileOf(i));
  for (let minute = 0; minute < 60; minute++) {
    for (let a = 0; a < AGENTS; a++) {
      const rows = ids.map((m, i) => minuteRow(m, T0 + minute * MIN, profiles[i * AGENTS + a]!, 60));
      for (const r of rows) {
        histSizes.minuteBlob += encodeHistogram(r.hist).length;
        histSizes.minuteJson += JSON.stringify(r.hist).length;
        histSizes.minuteBuckets += r.hist.length;
      }
      const started = performance.now();
      store.upsertRows(`agent${a}`, rows);
      sizeCallMs.push(performance.now() - started);
      minuteRows += rows.length;
    }
  }
  store.close();

  // One day of hourly rows per series, each the merge of 60 minutes, as rollup writes them.
  const db = new DatabaseSync(join(sizeDir, STORE_FILE_NAME));
  const series = db.prepare('SELECT id FROM series ORDER BY id').all() as { id: number }[];
  const put = db.prepare('INSERT INTO hour_rows (series, h, sent, recv, min_ns, max_ns, sum_ns, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.exec('BEGIN');
  series.forEach(({ id }, i) => {
    const p = profiles[i]!;
    for (let hour = 0; hour < 24; hour++) {
      const h = new Histogram();
      let sent = 0;
      let recv = 0;
      let sum = 0;
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (let minute = 0; minute < 60; minute++) {
        const r = minuteRow(0, 0, p, 60);
        h.merge(r.hist);
        sent += r.sent;
        recv += r.recv;
        sum += r.sum;
        if (r.min !== undefined) min = Math.min(min, r.min);
        if (r.max !== undefined) max = Math.max(max, r.max);
      }
      const pairs = h.pairs();
      const blob = encodeHistogram(pairs);
      histSizes.hourBlob += blob.length;
      histSizes.hourJson += JSON.stringify(pairs).length;
      histSizes.hourBuckets += pairs.length;
      put.run(id, Math.floor(T0 / 3_600_000) - 24 + hour, sent, recv, Math.round(min * 1e6), Math.round(max * 1e6), Math.round(sum * 1e6), blob);
      hourRows++;
    }
  });
  db.exec('COMMIT');
  db.close();
}
const stats = tableStats(join(sizeDir, STORE_FILE_NAME));
rmSync(sizeDir, { recursive: true, force: true });
const perMinuteRow = stats.get('minute_rows')!.bytes / minuteRows;
const perHourRow = stats.get('hour_rows')!.bytes / hourRows;
const yearSeries = 3000;
const minuteRowsKept = (DEFAULT_MINUTE_RETENTION_MS / MIN) * yearSeries;
const hourRowsYear = ((365 * DAY_MIN - DEFAULT_MINUTE_RETENTION_MS / MIN) / 60) * yearSeries;
const hourRowsSteady = (DEFAULT_HOUR_RETENTION_MS / 3_600_000) * yearSeries;

// --- 2. write amplification -------------------------------------------------------------------
const ampDir = mkdtempSync(join(tmpdir(), 'mp-store-amp-'));
const callMs: number[] = [];
const callCpuMs: number[] = [];
let rowWrites = 0;
let ioBefore = io();
let steadyFrom = io();
const ampStore = openSqliteStore(ampDir);
{
  const ids: number[] = [];
  for (let i = 0; i < AMP_SERIES; i++) {
    ids.push(ampStore.createMonitor({ owner: 'admin', name: `m${i}`, type: 'ping', target: `t${i}.test`, probe: `t${i}.test`, intervalMs: 1000, traceMs: null, from: [], alerts: [], notify: {}, paused: false }).id);
  }
  const profiles = ids.map((_, i) => profileOf(i));
  ioBefore = io();
  for (let minute = 0; minute <= AMP_MINUTES; minute++) {
    // Minute 0 creates the series; the figures are of the minutes after it.
    if (minute === 1) steadyFrom = io();
    // Each re-send is the minute so far: a row that grows by 10 probes every 10 s.
    const partial = ids.map(() => ({ sent: 0, recv: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: 0, h: new Histogram() }));
    for (let round = 1; round <= 6; round++) {
      const rows: MinuteRow[] = ids.map((m, i) => {
        const acc = partial[i]!;
        const more = minuteRow(m, 0, profiles[i]!, 10);
        acc.sent += more.sent;
        acc.recv += more.recv;
        acc.sum += more.sum;
        if (more.min !== undefined) acc.min = Math.min(acc.min, more.min);
        if (more.max !== undefined) acc.max = Math.max(acc.max, more.max);
        acc.h.merge(more.hist);
        const r: MinuteRow = { m, t: T0 + minute * MIN, sent: acc.sent, recv: acc.recv, sum: acc.sum, hist: acc.h.pairs(), ewma: [1, 1, 1], last: 1, lastAt: T0 };
        if (acc.recv > 0) {
          r.min = acc.min;
          r.max = acc.max;
        }
        return r;
      });
      for (let i = 0; i < rows.length; i += 4096) {
        const batch = rows.slice(i, i + 4096);
        const started = performance.now();
        const cpu = process.cpuUsage();
        ampStore.upsertRows('agent0', batch);
        const used = process.cpuUsage(cpu);
        if (batch.length === 4096 && minute > 0) {
          callMs.push(performance.now() - started);
          callCpuMs.push((used.user + used.system) / 1000);
        }
        if (minute > 0) rowWrites += batch.length;
      }
    }
  }
}
const ioAfter = io();
ampStore.close();
const ampStats = tableStats(join(ampDir, STORE_FILE_NAME));
rmSync(ampDir, { recursive: true, force: true });
const ampRows = AMP_SERIES * (AMP_MINUTES + 1);
const payloadPerRow = ampStats.get('minute_rows')!.payload / ampRows;
const steadyWrite = ioAfter.writeBytes - steadyFrom.writeBytes;
const steadyWchar = ioAfter.wchar - steadyFrom.wchar;
const sentData = rowWrites * payloadPerRow;
const finalData = AMP_SERIES * AMP_MINUTES * payloadPerRow;

const result = {
  size: {
    series: SERIES,
    minuteRows,
    hourRows,
    bytesPerMinuteRow: perMinuteRow,
    bytesPerHourRow: perHourRow,
    upsert1000RowsMs: { p50: quantile(sizeCallMs, 0.5), max: Math.max(...sizeCallMs) },
    year: {
      series: yearSeries,
      minuteRows: minuteRowsKept,
      minuteBytes: minuteRowsKept * perMinuteRow,
      hourRowsAfterOneYear: hourRowsYear,
      hourBytesAfterOneYear: hourRowsYear * perHourRow,
      totalAfterOneYear: minuteRowsKept * perMinuteRow + hourRowsYear * perHourRow,
      totalSteadyState: minuteRowsKept * perMinuteRow + hourRowsSteady * perHourRow,
    },
  },
  histograms: {
    minute: { buckets: histSizes.minuteBuckets / minuteRows, blob: histSizes.minuteBlob / minuteRows, json: histSizes.minuteJson / minuteRows },
    hour: { buckets: histSizes.hourBuckets / hourRows, blob: histSizes.hourBlob / hourRows, json: histSizes.hourJson / hourRows },
  },
  amplification: {
    series: AMP_SERIES,
    minutes: AMP_MINUTES,
    rowWrites,
    payloadPerRow,
    writeBytes: steadyWrite,
    wchar: steadyWchar,
    perSentByte: { writeBytes: steadyWrite / sentData, wchar: steadyWchar / sentData },
    perStoredByte: { writeBytes: steadyWrite / finalData, wchar: steadyWchar / finalData },
    perMinute: { writeBytes: steadyWrite / AMP_MINUTES, wchar: steadyWchar / AMP_MINUTES },
    includingSeriesCreation: ioAfter.writeBytes - ioBefore.writeBytes,
    upsert4096RowsMs: { p50: quantile(callMs, 0.5), p95: quantile(callMs, 0.95), max: Math.max(...callMs) },
    upsert4096RowsCpuMs: { p50: quantile(callCpuMs, 0.5), p95: quantile(callCpuMs, 0.95) },
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  },
};

if (values.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  const gb = (b: number) => `${(b / 1e9).toFixed(2)} GB`;
  const { size, histograms: hs, amplification: amp } = result;
  console.log(`size: ${size.series} series, ${size.minuteRows} minute rows, ${size.hourRows} hourly rows (after VACUUM, dbstat)`);
  console.log(`  ${size.bytesPerMinuteRow.toFixed(1)} B per minute row, ${size.bytesPerHourRow.toFixed(1)} B per hourly row`);
  console.log(`  histograms: minute ${hs.minute.buckets.toFixed(1)} buckets, ${hs.minute.blob.toFixed(1)} B as varint BLOB vs ${hs.minute.json.toFixed(1)} B as JSON;`);
  console.log(`              hour ${hs.hour.buckets.toFixed(1)} buckets, ${hs.hour.blob.toFixed(1)} B as varint BLOB vs ${hs.hour.json.toFixed(1)} B as JSON`);
  console.log(`  one year of 1,000 monitors × 3 agents: minute rows (14 d) ${gb(size.year.minuteBytes)} + hourly rows (351 d) ${gb(size.year.hourBytesAfterOneYear)} = ${gb(size.year.totalAfterOneYear)}`);
  console.log(`  steady state (400 d of hourly rows): ${gb(size.year.totalSteadyState)}`);
  console.log(`  upsertRows of 1,000 rows: p50 ${size.upsert1000RowsMs.p50.toFixed(1)} ms, max ${size.upsert1000RowsMs.max.toFixed(1)} ms`);
  console.log(`write amplification: ${amp.series} rows a minute, re-sent every 10 s, ${amp.minutes} minutes (${amp.rowWrites} row writes of ~${amp.payloadPerRow.toFixed(0)} B payload)`);
  console.log(`  written per minute: ${mb(amp.perMinute.writeBytes)} (write_bytes), ${mb(amp.perMinute.wchar)} (wchar)`);
  console.log(`  per byte of rows sent (every re-send counted): ${amp.perSentByte.writeBytes.toFixed(1)}× write_bytes, ${amp.perSentByte.wchar.toFixed(1)}× wchar`);
  console.log(`  per byte of rows finally stored: ${amp.perStoredByte.writeBytes.toFixed(1)}× write_bytes, ${amp.perStoredByte.wchar.toFixed(1)}× wchar`);
  console.log(`  upsertRows of 4,096 rows: wall p50 ${amp.upsert4096RowsMs.p50.toFixed(1)} ms, p95 ${amp.upsert4096RowsMs.p95.toFixed(1)} ms, max ${amp.upsert4096RowsMs.max.toFixed(1)} ms;`);
  console.log(`    CPU p50 ${amp.upsert4096RowsCpuMs.p50.toFixed(1)} ms, p95 ${amp.upsert4096RowsCpuMs.p95.toFixed(1)} ms (load average ${amp.loadavg})`);
}
