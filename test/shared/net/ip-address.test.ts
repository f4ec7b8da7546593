// Pure-function tests: the addresses are inputs only; no traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, ipFromBytes, ipToBytes, parseIp, TARGET_ADDRESS } from '../../../shared/net/ip-address.ts';
import { formatIp as policyFormatIp } from '../../../shared/net/address-policy.ts';
import { ipv4ToString, ipv6ToString } from '../../../agent/packet/icmp-packet.ts';
import { addressBytes } from '../../../agent/packet/inet-checksum.ts';

const literals = ['127.0.0.1', '0.0.0.0', '255.255.255.255', '::', '::1', '2001:db8::1:0:0:1', '2001:db8:0:1::1', '2001:db8:1:2:3:4:5:6', 'fe80::1', '64:ff9b::c612:1'];

test('ipToBytes and ipFromBytes round-trip both families in network order', () => {
  assert.deepEqual([...ipToBytes(parseIp('127.1.2.3')!)], [127, 1, 2, 3]);
  assert.deepEqual([...ipToBytes(parseIp('2001:db8::1')!)], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  for (const s of [...literals, '::ffff:198.18.0.1']) assert.deepEqual(ipFromBytes(ipToBytes(parseIp(s)!)), parseIp(s), s);
});

test('ipFromBytes refuses a length that is no address', () => {
  assert.throws(() => ipFromBytes(new Uint8Array(5)), RangeError);
});

test('the packet codec, the target policy and the checksum code format and parse as ip-address does', () => {
  for (const s of literals) {
    const ip = parseIp(s)!;
    const bytes = ipToBytes(ip);
    assert.equal(formatIp(ip.family, ip.value), s);
    assert.equal(ip.family === 4 ? ipv4ToString(bytes) : ipv6ToString(bytes), s);
    assert.equal(policyFormatIp(parseIp(s, TARGET_ADDRESS)!), s);
    assert.deepEqual(addressBytes(s), bytes);
  }
});

test('IPv4-mapped addresses are dotted unless the caller asks for hex groups', () => {
  const ip = parseIp('::ffff:192.0.2.1')!;
  assert.equal(formatIp(6, ip.value), '::ffff:192.0.2.1');
  assert.equal(formatIp(6, ip.value, { dottedMappedV4: false }), '::ffff:c000:201');
});

test('formatIpRange elides the shared part: the last IPv4 octet, the last IPv6 group', async () => {
  const { formatIpRange, parseIp } = await import('../../../shared/net/ip-address.ts');
  const r = (a: string, b: string) => formatIpRange(parseIp(a)!, parseIp(b)!);
  assert.equal(r('198.18.3.1', '198.18.3.2'), '198.18.3.1-2');
  assert.equal(r('198.18.3.255', '198.18.4.0'), '198.18.3.255-198.18.4.0');
  assert.equal(r('2001:db8:3::1', '2001:db8:3::2'), '2001:db8:3::1-2');
  assert.equal(r('2001:db8::fe', '2001:db8::ff'), '2001:db8::fe-ff');
  assert.equal(r('2001:DB8:0:0:0:0:0:a', '2001:db8::ffff'), '2001:db8::a-ffff', 'canonical text, hex groups');
  // A run that crosses a group boundary differs in two groups: both in full.
  assert.equal(r('2001:db8::ffff', '2001:db8::1:0'), '2001:db8::ffff-2001:db8::1:0');
  // The first address ends in "::" (last group 0): "2001:db8::-1" would read as a typo.
  assert.equal(r('2001:db8::', '2001:db8::1'), '2001:db8::-2001:db8::1');
  assert.equal(r('::1', '::2'), '::1-2');
  // IPv4-mapped: the dotted tail's last octet, as for IPv4.
  assert.equal(r('::ffff:192.0.2.1', '::ffff:192.0.2.9'), '::ffff:192.0.2.1-9');
  assert.equal(r('2001:db8::1', '2001:db8::1'), '2001:db8::1');
});
