import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readMrt, MrtError } from '../../../hub/bgp/mrt-reader.ts';
import { RouteIndex, type ImportProgress } from '../../../hub/bgp/route-index.ts';
import { writeMrt, type WriterPeer, type WriterRib } from '../../helpers/mrt-writer.ts';

const PEERS: WriterPeer[] = [
  { address: '198.18.0.2', asn: 64496 },
  { address: '2001:db8::2', asn: 64497 },
];
const RIBS: WriterRib[] = [
  { prefix: '198.18.0.0/15', entries: [{ peer: 0, asPath: [64496, 64510, 64500], nextHop: '198.18.0.2' }, { peer: 1, asPath: [64497, 64500], nextHop: '198.18.0.3' }] },
  { prefix: '198.18.4.0/24', entries: [{ peer: 0, asPath: [64496, 64501], nextHop: '198.18.0.2' }] },
  { prefix: '198.19.0.0/16', entries: [{ peer: 1, asPath: [64497, 64499, [64502, 64503]], nextHop: '198.18.0.3' }] },
  // Add-path (RFC 8050): two paths of one peer for one prefix.
  { prefix: '2001:db8:1::/48', entries: [{ peer: 1, asPath: [64497, 64502], nextHop: '2001:db8::2', pathId: 1 }, { peer: 1, asPath: [64497, 64510, 64502], nextHop: '2001:db8::3', pathId: 2 }] },
  { prefix: '2001:db8::/32', entries: [{ peer: 1, asPath: [64497, 64504], nextHop: '2001:db8::2' }] },
];

async function withIndex(body: (idx: RouteIndex, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-bgp-'));
  const idx = RouteIndex.open(dir);
  try {
    await body(idx, dir);
  } finally {
    idx.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('the reader yields the peer table, then each RIB entry with path, origin, next hop and add-path id', async () => {
  const items = [];
  const bytes = writeMrt(PEERS, RIBS);
  // Split at odd places: records span chunks.
  for await (const x of readMrt(Readable.from([bytes.subarray(0, 7), bytes.subarray(7, 100), bytes.subarray(100)]))) items.push(x);
  assert.equal(items[0]!.kind, 'peers');
  const routes = items.flatMap((x) => (x.kind === 'route' ? [x.route] : []));
  assert.equal(routes.length, 7);
  assert.deepEqual(routes[0]!.asPath, ['64496', '64510', '64500']);
  assert.equal(routes[0]!.originAs, 64500);
  assert.equal(routes[3]!.asPath.at(-1), '{64502,64503}');
  assert.equal(routes[3]!.originAs, undefined, 'an AS_SET of two has no one origin');
  assert.deepEqual(routes.slice(4, 6).map((r) => [r.prefix, r.pathId, r.nextHop]), [['2001:db8:1::/48', 1, '2001:db8::2'], ['2001:db8:1::/48', 2, '2001:db8::3']]);
});

test('a truncated dump is one line naming the offset', async () => {
  const bytes = writeMrt(PEERS, RIBS);
  await assert.rejects(
    async () => {
      for await (const _ of readMrt(Readable.from([bytes.subarray(0, bytes.length - 5)]))) void _;
    },
    (e: Error) => e instanceof MrtError && /truncated: it ends inside the record at byte \d+/.test(e.message) && !e.message.includes('\n'),
  );
});

test('lookups: longest prefix for addresses (v4, v6), exact or covering prefix, origin, neighbour, path segment', async () => {
  await withIndex(async (idx, dir) => {
    const file = join(dir, 'rib.mrt');
    await writeFile(file, writeMrt(PEERS, RIBS));
    const progress: ImportProgress[] = [];
    const st = await idx.import([file], { batch: 2, progress: (p) => progress.push(p) });
    assert.deepEqual({ routes: st.routes, prefixes: st.prefixes, peers: st.peers }, { routes: 7, prefixes: 5, peers: 2 });
    assert.ok(progress.length >= 3 && progress.at(-1)!.bytesRead === progress.at(-1)!.bytesTotal);
    assert.deepEqual(idx.lookupAddress('198.18.4.9').map((r) => [r.prefix, r.asPath, r.peer, r.peerAs]), [['198.18.4.0/24', '64496 64501', '198.18.0.2', 64496]]);
    assert.deepEqual(idx.lookupAddress('198.18.5.9').map((r) => [r.prefix, r.originAs]), [['198.18.0.0/15', 64500], ['198.18.0.0/15', 64500]]);
    assert.deepEqual(idx.lookupAddress('2001:db8:1::5').map((r) => r.pathId), [1, 2]);
    assert.equal(idx.lookupAddress('2001:db8:2::1')[0]?.prefix, '2001:db8::/32');
    assert.deepEqual(idx.lookupAddress('192.0.2.1'), []);
    assert.equal(idx.lookupPrefix('198.18.4.0/24')[0]?.prefix, '198.18.4.0/24');
    assert.equal(idx.lookupPrefix('198.18.6.0/24')[0]?.prefix, '198.18.0.0/15', 'no exact: the covering prefix');
    assert.deepEqual(idx.byOrigin(64502).map((r) => r.prefix), ['2001:db8:1::/48', '2001:db8:1::/48']);
    assert.deepEqual(idx.byNeighbor(64496).map((r) => r.prefix), ['198.18.0.0/15', '198.18.4.0/24']);
    assert.deepEqual(idx.byPath([64510, 64500]).map((r) => r.prefix), ['198.18.0.0/15']);
    assert.deepEqual(idx.byPath([64510]).map((r) => r.prefix).sort(), ['198.18.0.0/15', '2001:db8:1::/48']);
    assert.deepEqual(idx.byPath([6451]), [], 'a segment matches whole AS numbers');
    assert.deepEqual(idx.info('198.18.200.1'), { prefix: '198.18.0.0/15', originAsn: 64500 });
  });
});

test('a truncated file in an import leaves the table in use as it was, with a one-line error', async () => {
  await withIndex(async (idx, dir) => {
    const good = join(dir, 'good.mrt');
    await writeFile(good, writeMrt(PEERS, RIBS));
    await idx.import([good]);
    const bytes = writeMrt(PEERS, [{ prefix: '203.0.113.0/24', entries: [{ peer: 0, asPath: [64496, 64999], nextHop: '198.18.0.2' }] }, ...RIBS]);
    const bad = join(dir, 'bad.mrt');
    await writeFile(bad, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(idx.import([bad], { batch: 1 }), (e: Error) => e instanceof MrtError && e.message.startsWith(`${bad}: the dump is truncated`) && !e.message.includes('\n'));
    assert.equal(idx.status?.routes, 7);
    assert.deepEqual(idx.byOrigin(64999), [], 'nothing of the broken file is visible, though whole batches of it were committed to staging');
    const badGz = join(dir, 'bad.mrt.gz');
    await writeFile(badGz, gzipSync(bytes).subarray(0, 60));
    await assert.rejects(idx.import([badGz]), /truncated/);
    assert.equal(idx.lookupAddress('198.18.4.1')[0]?.prefix, '198.18.4.0/24');
    // A new hub on the same data directory sees the same table.
    const again = RouteIndex.open(dir);
    try {
      assert.equal(again.status?.routes, 7);
      assert.equal(again.lookupAddress('198.18.4.1')[0]?.prefix, '198.18.4.0/24', 'the IPv4 networks are read back at open');
      assert.equal(again.lookupAddress('198.18.5.1')[0]?.prefix, '198.18.0.0/15');
    } finally {
      again.close();
    }
  });
});

test('gzip and bzip2 dumps import alike; the same files are not imported twice', async () => {
  await withIndex(async (idx, dir) => {
    const plain = writeMrt(PEERS, RIBS);
    const gz = join(dir, 'rib.gz');
    await writeFile(gz, gzipSync(plain));
    assert.equal((await idx.import([gz])).routes, 7);
    const first = idx.status!.importedAt;
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await idx.import([gz])).importedAt, first, 'unchanged files: nothing to do');
    const bz = join(dir, 'rib.bz2');
    const z = spawnSync('bzip2', ['-c'], { input: plain });
    if (z.status !== 0) return;
    await writeFile(bz, z.stdout);
    assert.equal((await idx.import([gz, bz])).routes, 14, 'two files: one table');
    assert.equal(idx.status?.peers, 4);
  });
});

test('IPv4 longest-prefix match agrees with a brute-force scan, /0 and /32 included', async () => {
  await withIndex(async (idx, dir) => {
    // A seeded table of nested prefixes of every length in 198.18.0.0/15, plus a default route.
    let seed = 42;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const nets = new Map<string, { net: number; len: number }>();
    nets.set('0.0.0.0/0', { net: 0, len: 0 });
    for (let i = 0; i < 400; i++) {
      const len = 15 + Math.floor(rnd() * 18);
      const a = (0xc6120000 + Math.floor(rnd() * 0x20000)) >>> 0;
      const net = len === 0 ? 0 : ((a >>> (32 - len)) << (32 - len)) >>> 0;
      nets.set(`${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`, { net, len });
    }
    const ribs = [...nets.keys()].map((prefix, i) => ({ prefix, entries: [{ peer: 0, asPath: [64496, 64512 + i], nextHop: '198.18.0.2' }] }));
    const file = join(dir, 'nested.mrt');
    await writeFile(file, writeMrt(PEERS, ribs));
    await idx.import([file]);
    for (let i = 0; i < 2000; i++) {
      const a = (0xc6120000 + Math.floor(rnd() * 0x20000)) >>> 0;
      let best: string | undefined;
      let bestLen = -1;
      for (const [text, { net, len }] of nets) {
        const covers = len === 0 || ((a >>> (32 - len)) << (32 - len)) >>> 0 === net;
        if (covers && len > bestLen) [best, bestLen] = [text, len];
      }
      const addr = `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
      assert.equal(idx.lookupAddress(addr)[0]?.prefix, best, addr);
    }
    assert.equal(idx.lookupAddress('203.0.113.7')[0]?.prefix, '0.0.0.0/0');
  });
});
