import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIpv4Header } from '../../../agent/packet/ipv4-header.ts';
import { internetChecksum, onesSum, foldChecksum } from '../../../agent/packet/inet-checksum.ts';

// A captured Linux SYN (loopback): 20-byte header, DF, TTL 64, TCP.
const PKT = Uint8Array.from(Buffer.from('4500003c2ac54000400611f57f0000017f000001eb04d5fb3bf8f18d', 'hex'));

test('ipv4: parses a captured header', () => {
  const h = parseIpv4Header(PKT)!;
  assert.equal(h.headerLength, 20);
  assert.equal(h.totalLength, 60);
  assert.equal(h.id, 0x2ac5);
  assert.equal(h.df, true);
  assert.equal(h.mf, false);
  assert.equal(h.ttl, 64);
  assert.equal(h.protocol, 6);
  assert.equal(h.src, '127.0.0.1');
  assert.equal(h.dst, '127.0.0.1');
  assert.equal(internetChecksum(PKT.subarray(0, 20)), 0, 'the header checksum verifies');
});

test('ipv4: refuses IPv6, short input and IHL < 5', () => {
  assert.equal(parseIpv4Header(Uint8Array.of(0x60, ...new Uint8Array(39))), undefined);
  assert.equal(parseIpv4Header(PKT.subarray(0, 19)), undefined);
  const bad = PKT.slice();
  bad[0] = 0x44;
  assert.equal(parseIpv4Header(bad), undefined);
});

test('checksum: odd-length chunks are summed as one byte stream', () => {
  const whole = Uint8Array.of(1, 2, 3, 4, 5);
  assert.equal(foldChecksum(onesSum([Uint8Array.of(1), Uint8Array.of(2, 3), Uint8Array.of(4, 5)])), internetChecksum(whole));
  assert.equal(internetChecksum(whole), ~(0x0102 + 0x0304 + 0x0500) & 0xffff);
});
