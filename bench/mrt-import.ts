/**
 * MRT import and lookup (issue 16): a generated TABLE_DUMP_V2 dump of the shape of a full IPv4
 * table (default 1,000,000 prefixes × 2 peers, /8–/24 spread like a real table, paths of 2–6
 * ASNs), imported into a fresh store; prints import time, peak RSS, and address-lookup p50/p99
 * over 20,000 random addresses.
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
  let base = 0x0100_0000;
  for (let i = 0; i < prefixes; i++) {
    const len = r() < 0.6 ? 24 : 16 + Math.floor(r() * 8);
    base = Math.ceil(base / 2 ** (32 - len)) * 2 ** (32 - len);
    const prefix = `${base >>> 24}.${(base >>> 16) & 255}.${(base >>> 8) & 255}.0/${len}`;
    base += 2 ** (32 - len);
    const origin = 1 + Math.floor(r() * 70_000);
    const mid = Array.from({ length: Math.floor(r() * 5) }, () => 1 + Math.floor(r() * 70_000));
    const entries = peers.map((p, peer) => ({ peer, asPath: [p.asn, ...mid, origin], nextHop: p.address }));
    if (!out.write(ribRecord({ prefix, entries }, i))) await once(out, 'drain');
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
  const dbSize = (await stat(join(dir, 'data', 'meshprobe.db'))).size;
  idx.close();
  const result = { prefixes: st.prefixes, routes: st.routes, dumpMb: size / 1e6, importS, routesPerS: st.routes / importS, peakRssMb, rssBeforeMb: rssBefore, dbMb: dbSize / 1e6, lookupP50Ms: q(0.5), lookupP99Ms: q(0.99), hits };
  if (values.json) console.log(JSON.stringify(result));
  else console.log(result);
} finally {
  await rm(dir, { recursive: true, force: true });
}
