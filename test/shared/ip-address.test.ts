// Pure-function tests: the addresses are inputs only; no traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, ipFromBytes, ipToBytes, parseIp } from '../../shared/ip-address.ts';
import { formatIp as policyFormatIp, parseIp as policyParseIp } from '../../shared/address-policy.ts';
import { ipv4ToString, ipv6ToString } from '../../shared/icmp-packet.ts';
import { addressBytes } from '../../shared/inet-checksum.ts';

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
    assert.equal(policyFormatIp(policyParseIp(s)!), s);
    assert.deepEqual(addressBytes(s), bytes);
  }
});

test('IPv4-mapped addresses are dotted unless the caller asks for hex groups', () => {
  const ip = parseIp('::ffff:192.0.2.1')!;
  assert.equal(formatIp(6, ip.value), '::ffff:192.0.2.1');
  assert.equal(formatIp(6, ip.value, { dottedMappedV4: false }), '::ffff:c000:201');
});
