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
