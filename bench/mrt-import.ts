/**
 * MRT import and lookup (issue 16): a generated TABLE_DUMP_V2 dump of the shape of a full IPv4
 * table (default 1,000,000 prefixes × 2 peers, /16–/24 spread like a real table with covering /8–/15
 * aggregates, paths of 2–6
 * ASNs), imported into a fresh store; prints import time, peak RSS, and address-lookup p50/p99
 * over 20,000 random addresses, beside the same lookups done in SQLite alone (the anchor).
 *
 *   node bench/mrt-import.ts [--prefixes N] [--peers N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { DatabaseSync } from 'node:sqlite';
import { RouteIndex } from '../hub/bgp/route-index.ts';
import { peerIndexRecord, ribRecord, type WriterPeer } from '../test/helpers/mrt-writer.ts';

const { values } = parseArgs({ options: { prefixes: { type: 'string' }, peers: { type: 'string' }, json: { type: 'boolean' }, write: { type: 'string' } } });
const prefixes = Number(values.prefixes ?? 1_000_000);
const peerCount = Number(values.peers ?? 2);

/** A seeded generator, so every run imports the same table. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function writeDump(file: string): Promise<void> {
  const out = createWriteStream(file);
  const peers: WriterPeer[] = Array.from({ length: peerCount }, (_, i) => ({ address: `198.18.0.${i + 2}`, asn: 64496 + i }));
  out.write(peerIndexRecord(peers));
  const r = rng(1);
  // Distinct prefixes in address order: /24s mostly, some shorter, as in a real table.
  // One in 500 is preceded by a covering /8–/15 aggregate, so that every length from /8 to /24
  // is present (as in a real table) and an address lookup probes all 17 of them.
  let base = 0x0100_0000;
  const covering = new Set<string>();
  const text = (b: number, len: number) => `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.0/${len}`;
  let seq = 0;
  for (let i = 0; i < prefixes; i++) {
    const len = r() < 0.6 ? 24 : 16 + Math.floor(r() * 8);
    base = Math.ceil(base / 2 ** (32 - len)) * 2 ** (32 - len);
    if (r() < 0.002) {
      const wide = 8 + Math.floor(r() * 8);
      const agg = text(Math.floor((base >>> 0) / 2 ** (32 - wide)) * 2 ** (32 - wide), wide);
      if (!covering.has(agg)) {
        covering.add(agg);
        const o = 1 + Math.floor(r() * 70_000);
        if (!out.write(ribRecord({ prefix: agg, entries: peers.map((p, peer) => ({ peer, asPath: [p.asn, o], nextHop: p.address })) }, seq++))) await once(out, 'drain');
      }
    }
    const prefix = text(base, len);
    base += 2 ** (32 - len);
    const origin = 1 + Math.floor(r() * 70_000);
    const mid = Array.from({ length: Math.floor(r() * 5) }, () => 1 + Math.floor(r() * 70_000));
    const entries = peers.map((p, peer) => ({ peer, asPath: [p.asn, ...mid, origin], nextHop: p.address }));
    if (!out.write(ribRecord({ prefix, entries }, seq++))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

if (values.write) {
  await writeDump(values.write);
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), 'mp-bench-mrt-'));
try {
  const file = join(dir, 'rib.mrt');
  // Written by another process, so this one's peak RSS is the import's.
  const w = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--write', file, '--prefixes', String(prefixes), '--peers', String(peerCount)], { stdio: 'inherit' });
  if (w.status !== 0) throw new Error('could not write the dump');
  const size = (await stat(file)).size;
  const rssBefore = process.resourceUsage().maxRSS / 1024;
  const idx = RouteIndex.open(join(dir, 'data'));
  const t0 = performance.now();
  const st = await idx.import([file]);
  const importS = (performance.now() - t0) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const r = rng(7);
  const times: number[] = [];
  let hits = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = 0x0100_0000 + Math.floor(r() * 0x8000_0000);
    const addr = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
    const t = performance.now();
    if (idx.lookupAddress(addr).length) hits++;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  // The anchor, in the same run: the longest match done in SQLite alone (one indexed probe per
  // length present in one IN query, then the routes of the hit), as before the in-memory search.
  const db = new DatabaseSync(join(dir, 'data', 'meshprobe.db'), { readOnly: true });
  const lengths = (JSON.parse(String((db.prepare('SELECT lengths FROM bgp_table WHERE id = 1').get() as { lengths: string }).lengths)) as { 4: number[] })[4];
  const longest = db.prepare(`SELECT key FROM bgp_routes WHERE key IN (${lengths.map(() => '?').join(',')}) ORDER BY key DESC LIMIT 1`);
  const byKey = db.prepare('SELECT * FROM bgp_routes WHERE key = ? ORDER BY peer, path_id LIMIT 10000');
  const sqlTimes: number[] = [];
  const r2 = rng(7);
  for (let i = 0; i < 20_000; i++) {
    const a = 0x0100_0000 + Math.floor(r2() * 0x8000_0000);
    const t = performance.now();
    const keys = lengths.map((len) => {
      const net = len === 0 ? 0 : ((a >>> (32 - len)) << (32 - len)) >>> 0;
      return Uint8Array.of(4, len, net >>> 24, (net >>> 16) & 255, (net >>> 8) & 255, net & 255);
    });
    const hit = longest.get(...keys) as { key: Uint8Array } | undefined;
    if (hit) byKey.all(hit.key);
    sqlTimes.push(performance.now() - t);
  }
  db.close();
  sqlTimes.sort((a, b) => a - b);
  const qs = (p: number) => sqlTimes[Math.min(sqlTimes.length - 1, Math.floor(p * sqlTimes.length))]!;
  const dbSize = (await stat(join(dir, 'data', 'meshprobe.db'))).size;
  idx.close();
  const result = { prefixes: st.prefixes, routes: st.routes, dumpMb: size / 1e6, importS, routesPerS: st.routes / importS, peakRssMb, rssBeforeMb: rssBefore, dbMb: dbSize / 1e6, lookupP50Ms: q(0.5), lookupP99Ms: q(0.99), sqlOnlyP50Ms: qs(0.5), sqlOnlyP99Ms: qs(0.99), hits, lengthsV4: lengths.length };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(result);
} finally {
  await rm(dir, { recursive: true, force: true });
}
