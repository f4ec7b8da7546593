import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, prefixSize, addressAt, indexInPrefix, prefixContains, prefixAddresses, checkSweepSize } from '../../../shared/net/cidr.ts';
import { parseIp, formatIp, normalizeIp, isIp } from '../../../shared/net/ip-address.ts';

const ips: [string, string | undefined][] = [
  ['127.0.0.1', '127.0.0.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['256.0.0.1', undefined],
  ['1.2.3', undefined],
  ['1.2.3.4.5', undefined],
  ['01.2.3.4', undefined],
  ['1.2.3.-4', undefined],
  ['::1', '::1'],
  ['::', '::'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['2001:db8::0:1', '2001:db8::1'],
  ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
  ['2001:db8:1:1:1:1:1:0', '2001:db8:1:1:1:1:1:0'],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['::ffff:198.18.0.1', '::ffff:198.18.0.1'],
  ['64:ff9b::198.18.0.1', '64:ff9b::c612:1'],
  ['1::2::3', undefined],
  ['1:2:3:4:5:6:7:8:9', undefined],
  ['1:2:3:4:5:6:7', undefined],
  ['12345::1', undefined],
  ['fe80::1%eth0', undefined],
  ['example.test', undefined],
  ['', undefined],
];
for (const [input, want] of ips) {
  test(`normalizeIp(${JSON.stringify(input)}) → ${want}`, () => {
    assert.equal(normalizeIp(input), want);
    assert.equal(isIp(input), want !== undefined);
  });
}

test('formatIp round-trips values of both families', () => {
  assert.equal(formatIp(4, 0x7f000001n), '127.0.0.1');
  assert.equal(formatIp(6, 1n), '::1');
  assert.equal(formatIp(6, 0x20010db8n << 96n), '2001:db8::');
  assert.deepEqual(parseIp('2001:db8::'), { family: 6, value: 0x20010db8n << 96n });
});

const prefixes: [string, { text: string; size: bigint; hostBitsSet: boolean } | string][] = [
  ['127.1.0.0/24', { text: '127.1.0.0/24', size: 256n, hostBitsSet: false }],
  ['127.1.0.9/24', { text: '127.1.0.0/24', size: 256n, hostBitsSet: true }],
  [' 198.18.0.0/15 ', { text: '198.18.0.0/15', size: 131072n, hostBitsSet: false }],
  ['10.0.0.1/32', { text: '10.0.0.1/32', size: 1n, hostBitsSet: false }],
  ['0.0.0.0/0', { text: '0.0.0.0/0', size: 1n << 32n, hostBitsSet: false }],
  ['2001:DB8::1/120', { text: '2001:db8::/120', size: 256n, hostBitsSet: true }],
  ['::/0', { text: '::/0', size: 1n << 128n, hostBitsSet: false }],
  ['::1/128', { text: '::1/128', size: 1n, hostBitsSet: false }],
  ['127.1.0.0/33', "'/33' is not a prefix length (0–32 for IPv4)"],
  ['2001:db8::/129', "'/129' is not a prefix length (0–128 for IPv6)"],
  ['127.1.0.0/', "'/' is not a prefix length (0–32 for IPv4)"],
  ['127.1.0.0/2x', "'/2x' is not a prefix length (0–32 for IPv4)"],
  ['foo/24', "'foo' is not an IPv4 or IPv6 address"],
  ['127.1.0.1', '127.1.0.1 is an address, not a prefix; write 127.1.0.1/32 for one host'],
  ['::1', '::1 is an address, not a prefix; write ::1/128 for one host'],
  ['example.test', "'example.test' is not a CIDR prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/120)"],
];
for (const [input, want] of prefixes) {
  test(`parseCidr(${JSON.stringify(input)})`, () => {
    const r = parseCidr(input);
    if (typeof want === 'string') {
      assert.deepEqual(r, { ok: false, message: want });
    } else {
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(r.prefix.text, want.text);
      assert.equal(prefixSize(r.prefix), want.size);
      assert.equal(r.prefix.hostBitsSet, want.hostBitsSet);
    }
  });
}

function prefix(s: string) {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(r.message);
  return r.prefix;
}

test('addressAt and indexInPrefix are inverse inside the prefix', () => {
  const p = prefix('127.1.0.0/16');
  assert.equal(addressAt(p, 0), '127.1.0.0');
  assert.equal(addressAt(p, 258), '127.1.1.2');
  assert.equal(addressAt(p, 65535), '127.1.255.255');
  assert.equal(indexInPrefix(p, '127.1.1.2'), 258);
  assert.throws(() => addressAt(p, 65536), RangeError);
  assert.throws(() => addressAt(p, -1), RangeError);
  const q = prefix('2001:db8::/120');
  assert.equal(addressAt(q, 255), '2001:db8::ff');
  assert.equal(indexInPrefix(q, '2001:DB8::00ff'), 255);
});

test('indexInPrefix is -1 outside the prefix, for the other family and for non-addresses', () => {
  const p = prefix('127.1.0.0/24');
  assert.equal(indexInPrefix(p, '127.1.1.0'), -1);
  assert.equal(indexInPrefix(p, '127.0.255.255'), -1);
  assert.equal(indexInPrefix(p, '::1'), -1);
  assert.equal(indexInPrefix(p, 'nope'), -1);
  assert.equal(prefixContains(p, '127.1.0.200'), true);
  assert.equal(prefixContains(p, '127.2.0.200'), false);
});

test('prefixAddresses lists every address in order', () => {
  assert.deepEqual([...prefixAddresses(prefix('198.18.0.254/31'))], ['198.18.0.254', '198.18.0.255']);
  assert.deepEqual([...prefixAddresses(prefix('2001:db8::/126'))], ['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3']);
  assert.equal([...prefixAddresses(prefix('127.1.0.0/22'))].length, 1024);
});

const sweeps: [string, string | undefined][] = [
  ['127.1.0.0/16', undefined],
  ['127.1.0.0/24', undefined],
  ['127.0.0.0/15', '127.0.0.0/15 has 131072 addresses; the largest IPv4 sweep is a /16 (65536 addresses)'],
  ['2001:db8::/112', undefined],
  ['2001:db8::/111', '2001:db8::/111 has 131072 addresses; the largest IPv6 sweep is a /112 (65536 addresses)'],
];
for (const [s, want] of sweeps) {
  test(`checkSweepSize(${s}) ${want ? 'refuses, naming the bound' : 'accepts'}`, () => assert.equal(checkSweepSize(prefix(s)), want));
}

test('checkSweepSize honours stricter limits passed in', () => {
  assert.equal(checkSweepSize(prefix('127.1.0.0/20'), { minSweepPrefixV4: 24, minSweepPrefixV6: 120 }), '127.1.0.0/20 has 4096 addresses; the largest IPv4 sweep is a /24 (256 addresses)');
});

// Moved from address-policy.test.ts: the policy's allow-lists now read prefixes with this parser.
test('parseCidr clears host bits and rejects bad prefixes', () => {
  const range = (s: string) => parseCidr(s, { bareAddress: true });
  const r = range('10.1.2.3/16');
  assert.equal(r.ok && formatIp(r.prefix.family, r.prefix.base), '10.1.0.0');
  assert.equal(range('10.0.0.0/33').ok, false);
  assert.equal(range('::/129').ok, false);
  assert.equal(range('10.0.0.0/08').ok, false);
  const host = range('::1');
  assert.equal(host.ok && host.prefix.bits, 128);
});
