/**
 * Enrichment (issue 16, design §10): lookups per second from an `.mmdb` file through
 * hub/enrich/mmdb-source.ts (maxmind's reader) on a database of 200,000 networks written by
 * test/helpers/mmdb-writer.ts, the same through the Enricher without its cache (every lookup
 * new), and the time enrichment adds to a 30-hop trace's events (the last line waits for
 * nothing else). With @ip-location-db/asn installed, the bundled source's rate too.
 *
 *   node bench/enrich.ts [--json]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MmdbSource } from '../hub/enrich/mmdb-source.ts';
import { Enricher, specialRangeSource } from '../hub/enrich/enricher.ts';
import { BundledAsnSource, bundledAsnDirectory } from '../hub/enrich/bundled-asn-source.ts';
import type { HopEvent } from '../shared/model/events.ts';
import { writeMmdb, type MmdbValue } from '../test/helpers/mmdb-writer.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' } } });
const N = 200_000;
const nets: [string, MmdbValue][] = [];
for (let i = 0; i < N; i++) {
  const a = 0x0100_0000 + i * 256 * 37;
  nets.push([`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.0/24`, { autonomous_system_number: 1 + (i % 60_000), autonomous_system_organization: `Org ${i % 5000}` }]);
}
const dir = await mkdtemp(join(tmpdir(), 'mp-bench-enrich-'));
try {
  const file = join(dir, 'asn.mmdb');
  await writeFile(file, writeMmdb(nets, { databaseType: 'GeoLite2-ASN' }));
  const src = new MmdbSource(file, { watchIntervalMs: 0 });
  const addrs = Array.from({ length: 100_000 }, (_, i) => {
    const a = 0x0100_0000 + ((i * 2654435761) >>> 0) % (N * 256 * 37);
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  });
  const rate = (f: (a: string) => unknown, rounds = 5) => {
    for (const a of addrs.slice(0, 10_000)) f(a);
    const t = performance.now();
    for (let r = 0; r < rounds; r++) for (const a of addrs) f(a);
    return (rounds * addrs.length) / ((performance.now() - t) / 1000);
  };
  const mmdbPerS = rate((a) => src.lookup(a));
  // A fresh enricher per round: no hits in its cache (the reader's own LRU still helps, as in use).
  const enricherPerS = rate((a) => new Enricher({ sources: [specialRangeSource, src], cacheSize: 1 }).lookup(a), 2);
  const hop = (ttl: number): HopEvent => ({ type: 'hop', agent: 'a', target: 't', ttl, responders: [{ address: addrs[ttl]!, rttMs: [1, 1.1, 1.2] }] }) as unknown as HopEvent;
  const times: number[] = [];
  for (let run = 0; run < 200; run++) {
    const e = new Enricher({ sources: [specialRangeSource, src] });
    const t = performance.now();
    for (let ttl = 1; ttl <= 30; ttl++) e.enrich(hop(ttl + run * 30));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  let bundledPerS: number | null = null;
  const bdir = bundledAsnDirectory();
  if (bdir) {
    const b = new BundledAsnSource(bdir);
    await b.load();
    bundledPerS = rate((a) => b.lookup(a), 2);
  }
  src.close();
  const r = { networks: N, mmdbPerS, enricherUncachedPerS: enricherPerS, trace30HopsP50Ms: times[100]!, trace30HopsP99Ms: times[198]!, bundledPerS };
  if (values.json) console.log(JSON.stringify(r));
  else console.log(r);
} finally {
  await rm(dir, { recursive: true, force: true });
}
