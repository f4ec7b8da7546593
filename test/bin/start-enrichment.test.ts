/**
 * `npm start` with enrichment (issue 16): labels always, MESHPROBE_MMDB files when set; a file
 * that cannot be read stops the launcher with one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { node24, root, startMain } from '../helpers/launcher-process.ts';
import { writeMmdb } from '../helpers/mmdb-writer.ts';

async function measure(url: string, spec: object): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  assert.equal(res.status, 200);
  return (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('npm start enriches with the labels and the MESHPROBE_MMDB file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-start-mmdb-'));
  const db = join(dir, 'asn.mmdb');
  await writeFile(db, writeMmdb([['127.0.0.0/8', { autonomous_system_number: 64512, autonomous_system_organization: 'Loopback Org' }]], { databaseType: 'GeoLite2-ASN' }));
  const main = await startMain({ MESHPROBE_MMDB: db });
  try {
    const events = await measure(main.url, { type: 'ping', targets: ['127.0.0.1'], count: 1 });
    const start = events.find((e) => e['type'] === 'start');
    assert.deepEqual(start?.['info'], { asn: 64512, asName: 'Loopback Org', label: 'loopback' });
    assert.match(main.stderr(), /enrichment from .*asn\.mmdb \(GeoLite2-ASN\)/);
  } finally {
    await main.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start refuses an MESHPROBE_MMDB file it cannot read, in one line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-start-mmdb-'));
  try {
    const r = spawnSync(node24, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], {
      env: { ...process.env, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dir, MESHPROBE_MMDB: join(dir, 'missing.mmdb') },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /cannot read the MMDB file .*missing\.mmdb: ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('npm start imports MESHPROBE_MRT: route and ipinfo answer from it, and hops carry the prefix and origin AS', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-start-mrt-'));
  const dump = join(dir, 'rib.mrt.gz');
  const { gzipSync } = await import('node:zlib');
  const { writeMrt } = await import('../helpers/mrt-writer.ts');
  await writeFile(
    dump,
    gzipSync(
      writeMrt(
        [{ address: '198.18.0.2', asn: 64496 }],
        [
          { prefix: '127.0.0.0/8', entries: [{ peer: 0, asPath: [64496, 64511], nextHop: '198.18.0.2' }] },
          { prefix: '2001:db8::/32', entries: [{ peer: 0, asPath: [64496, 64512], nextHop: '198.18.0.2', pathId: 3 }] },
        ],
      ),
    ),
  );
  const main = await startMain({ MESHPROBE_MRT: dump });
  try {
    const deadline = Date.now() + 15_000;
    while (!/BGP table: 2 prefixes, 2 routes from 1 peers/.test(main.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(main.stderr(), /BGP table: 2 prefixes/);
    const cli = async (line: string) => {
      const res = await fetch(main.url + '/v1/cli', { method: 'POST', body: line });
      return { status: res.status, text: await res.text() };
    };
    const route = await cli('route 127.0.0.1');
    assert.equal(route.status, 200);
    assert.match(route.text, /^127\.0\.0\.0\/8 AS64511\n {2}path 64496 64511\n {2}via 198\.18\.0\.2 AS64496 \d+[smhd]\n$/);
    for (const line of route.text.split('\n')) assert.ok(line.length <= 36, `phone width: ${line}`);
    assert.match((await cli("route --path '64496 64512'")).text, /^2001:db8::\/32 AS64512 #3\n/);
    assert.equal((await cli('route --origin AS1')).text, 'no route\n');
    const info = await cli('ipinfo 127.0.0.1');
    assert.match(info.text, /range {3}loopback/);
    assert.match(info.text, /BGP {5}127\.0\.0\.0\/8 AS64511/);
    assert.match((await cli('whois 2001:db8::1 --json')).text, /"originAsn":64512/);
    assert.equal((await cli('route nonsense')).status, 400);
    const nd = await (await fetch(main.url + '/v1/routes?neighbor=64496&limit=1')).text();
    const lines = nd.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!['type'], 'route');
    assert.deepEqual({ ...lines[1], table: undefined }, { type: 'done', count: 1, truncated: true, table: undefined });
    const events = await measure(main.url, { type: 'traceroute', targets: ['127.0.0.1'], maxHops: 2, queriesPerHop: 1 });
    const hop = events.find((e) => e['type'] === 'hop') as { responders: Array<{ info?: object }> } | undefined;
    assert.deepEqual(hop?.responders[0]?.info, { prefix: '127.0.0.0/8', originAsn: 64511, label: 'loopback' });
  } finally {
    await main.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
