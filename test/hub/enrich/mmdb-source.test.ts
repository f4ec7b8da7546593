import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MmdbSource, mmdbRecordInfo } from '../../../hub/enrich/mmdb-source.ts';
import { createEnrichment } from '../../../hub/enrich/enrichment.ts';
import { writeMmdb } from '../../helpers/mmdb-writer.ts';

const ASN_DB = writeMmdb(
  [
    ['198.18.0.0/15', { autonomous_system_number: 64500, autonomous_system_organization: 'Bench Net' }],
    ['198.18.7.0/24', { autonomous_system_number: 64501, autonomous_system_organization: 'More Specific' }],
    ['2001:db8::/32', { autonomous_system_number: 64502, autonomous_system_organization: 'Doc Six' }],
  ],
  { databaseType: 'GeoLite2-ASN' },
);
const CITY_DB = writeMmdb(
  [['198.18.0.0/16', { country: { iso_code: 'DE' }, city: { names: { en: 'Berlin', de: 'Berlin' } }, location: { latitude: 52.52, longitude: 13.4 } }]],
  { databaseType: 'GeoLite2-City' },
);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'mp-mmdb-'));
}

test('an ASN database written by the test answers by longest match, v4 and v6', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'asn.mmdb'), ASN_DB);
    const s = new MmdbSource(join(dir, 'asn.mmdb'), { watchIntervalMs: 0 });
    assert.equal(s.name, 'mmdb:GeoLite2-ASN');
    assert.deepEqual(s.lookup('198.19.1.1'), { asn: 64500, asName: 'Bench Net' });
    assert.deepEqual(s.lookup('198.18.7.9'), { asn: 64501, asName: 'More Specific' });
    assert.deepEqual(s.lookup('2001:db8::1'), { asn: 64502, asName: 'Doc Six' });
    assert.equal(s.lookup('192.0.2.1'), undefined);
    assert.equal(s.lookup('not an address'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('record layouts of MaxMind/DB-IP, IPinfo and ip-location-db map to the same fields', () => {
  assert.deepEqual(mmdbRecordInfo({ country: { iso_code: 'DE' }, city: { names: { en: 'Berlin' } }, location: { latitude: 52.5, longitude: 13.4 } }), { country: 'DE', city: 'Berlin', lat: 52.5, lon: 13.4 });
  assert.deepEqual(mmdbRecordInfo({ asn: 'AS15169', as_name: 'Google LLC', country_code: 'us', country: 'United States' }), { asn: 15169, asName: 'Google LLC', country: 'US' });
  assert.deepEqual(mmdbRecordInfo({ country_code: 'FR', city: 'Paris', latitude: 48.85, longitude: 2.35 }), { country: 'FR', city: 'Paris', lat: 48.85, lon: 2.35 });
  assert.equal(mmdbRecordInfo({ unrelated: 1 }), undefined);
});

test('several files merge in the order given: ASN from one, place from the other', async () => {
  const dir = await tempDir();
  try {
    await writeFile(join(dir, 'asn.mmdb'), ASN_DB);
    await writeFile(join(dir, 'city.mmdb'), CITY_DB);
    const en = createEnrichment({ mmdb: [join(dir, 'city.mmdb'), join(dir, 'asn.mmdb')], bundledDirectory: null, mmdbWatchIntervalMs: 0 });
    try {
      assert.deepEqual(en.enricher.lookup('198.18.0.1'), { asn: 64500, asName: 'Bench Net', country: 'DE', city: 'Berlin', lat: 52.52, lon: 13.4, label: 'benchmark' });
      assert.equal(en.describe.length, 2);
    } finally {
      en.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a file that is no MMDB is refused with one line naming it', async () => {
  const dir = await tempDir();
  try {
    const bad = join(dir, 'bad.mmdb');
    await writeFile(bad, 'not a database');
    assert.throws(() => createEnrichment({ mmdb: [bad], bundledDirectory: null }), (e: Error) => e.message.includes(bad) && !e.message.includes('\n'));
    assert.throws(() => new MmdbSource(join(dir, 'missing.mmdb')), /cannot read the MMDB file .*ENOENT/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a replaced file is re-read and the enricher forgets what it cached; a broken replacement keeps the old copy', async () => {
  const dir = await tempDir();
  const logs: string[] = [];
  try {
    const path = join(dir, 'asn.mmdb');
    await writeFile(path, ASN_DB);
    const en = createEnrichment({ mmdb: [path], bundledDirectory: null, order: ['mmdb'], mmdbWatchIntervalMs: 20, log: (l) => logs.push(l) });
    try {
      assert.equal(en.enricher.lookup('198.18.0.1')?.asn, 64500);
      // Replaced atomically, as database updaters do.
      await writeFile(join(dir, 'next'), writeMmdb([['198.18.0.0/15', { autonomous_system_number: 65000 }]]));
      await rename(join(dir, 'next'), path);
      const deadline = Date.now() + 5000;
      while (en.enricher.lookup('198.18.0.1')?.asn !== 65000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(en.enricher.lookup('198.18.0.1')?.asn, 65000, 'the new file answers');
      await writeFile(path, 'garbage now');
      const until = Date.now() + 5000;
      while (!logs.some((l) => l.includes('cannot be read')) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logs.some((l) => l.includes('keeping the previous copy')), logs.join('\n'));
      en.enricher.clear();
      assert.equal(en.enricher.lookup('198.18.0.1')?.asn, 65000, 'the last good copy stays in use');
    } finally {
      en.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
