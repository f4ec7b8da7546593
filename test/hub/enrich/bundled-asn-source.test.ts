import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BundledAsnSource, parseCsvLine } from '../../../hub/enrich/bundled-asn-source.ts';

/** A directory laid out as @ip-location-db/asn is (`first,last,asn,name` per line). */
async function fixture(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-asn-'));
  await writeFile(join(dir, 'asn-ipv4.csv'), ['1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."', '8.8.8.0,8.8.8.255,15169,Google LLC', '9.9.9.0,9.9.9.255,19281,"Quad9 ""Foundation"""', ''].join('\n'));
  await writeFile(join(dir, 'asn-ipv6.csv'), ['2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC', 'bad,line', ''].join('\n'));
  return dir;
}

test('CSV lines with quotes and commas split as RFC 4180 says', () => {
  assert.deepEqual(parseCsvLine('1.0.0.0,1.0.0.255,13335,"Cloudflare, Inc."'), ['1.0.0.0', '1.0.0.255', '13335', 'Cloudflare, Inc.']);
  assert.deepEqual(parseCsvLine('a,"b ""c""",d'), ['a', 'b "c"', 'd']);
});

test('the bundled ASN data answers ranges of both families once loaded, and nothing between ranges', async () => {
  const dir = await fixture();
  try {
    const s = new BundledAsnSource(dir);
    await s.load();
    assert.equal(s.error, undefined);
    assert.equal(s.size, 4);
    assert.deepEqual(s.lookup('1.0.0.1'), { asn: 13335, asName: 'Cloudflare, Inc.' });
    assert.deepEqual(s.lookup('8.8.8.255'), { asn: 15169, asName: 'Google LLC' });
    assert.deepEqual(s.lookup('9.9.9.9'), { asn: 19281, asName: 'Quad9 "Foundation"' });
    assert.equal(s.lookup('8.8.9.0'), undefined);
    assert.equal(s.lookup('0.0.0.1'), undefined);
    assert.deepEqual(s.lookup('2001:4860:4860::8888'), { asn: 15169, asName: 'Google LLC' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loading starts at the first public address, not at a private one, and never blocks a lookup', async () => {
  const dir = await fixture();
  try {
    let loaded = 0;
    const s = new BundledAsnSource(dir, () => loaded++);
    assert.equal(s.lookup('10.0.0.1'), undefined);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(loaded, 0, 'a private address does not load the data');
    assert.equal(s.lookup('8.8.8.8'), undefined, 'the first lookup answers at once, with nothing yet');
    await s.load();
    assert.equal(loaded, 1);
    assert.equal(s.lookup('8.8.8.8')?.asn, 15169);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a directory without the files reports why, once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-asn-'));
  try {
    const errors: (string | undefined)[] = [];
    const s = new BundledAsnSource(dir, (e) => errors.push(e));
    await s.load();
    assert.match(s.error ?? '', /asn-ipv4\.csv is missing/);
    assert.equal(errors.length, 1);
    assert.equal(s.lookup('8.8.8.8'), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
