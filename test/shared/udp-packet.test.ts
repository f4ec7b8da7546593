import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeUdp, parseUdp } from '../../shared/udp-packet.ts';

const payload = new TextEncoder().encode('meshprobe');
// Computed with an independent implementation (Python struct + RFC 1071 sum).
const UDP4 = '9c40829a00112c266d65736870726f6265';
const UDP6 = '9c40829a00115fd66d65736870726f6265';

test('udp: encodes header, length and the IPv4 pseudo-header checksum', () => {
  const b = encodeUdp({ srcPort: 40000, dstPort: 33434, payload }, { src: '198.18.0.1', dst: '198.18.3.2' });
  assert.equal(Buffer.from(b).toString('hex'), UDP4);
});

test('udp: encodes the IPv6 pseudo-header checksum', () => {
  const b = encodeUdp({ srcPort: 40000, dstPort: 33434, payload }, { src: '2001:db8::1', dst: '2001:db8:0:3::2' });
  assert.equal(Buffer.from(b).toString('hex'), UDP6);
});

test('udp: without addresses the checksum stays 0 (for the kernel to fill in)', () => {
  const b = encodeUdp({ srcPort: 1, dstPort: 2, payload: new Uint8Array(0) });
  assert.deepEqual([...b], [0, 1, 0, 2, 0, 8, 0, 0]);
});

test('udp: parses a header, including a truncated ICMP quote, and refuses < 8 bytes', () => {
  const h = parseUdp(Uint8Array.from(Buffer.from(UDP4, 'hex')).subarray(0, 8))!;
  assert.deepEqual([h.srcPort, h.dstPort, h.length, h.payload.length], [40000, 33434, 17, 0]);
  assert.equal(parseUdp(new Uint8Array(7)), undefined);
});

test('udp: mixing an IPv4 and an IPv6 address in the pseudo-header throws', () => {
  assert.throws(() => encodeUdp({ srcPort: 1, dstPort: 2, payload }, { src: '127.0.0.1', dst: '::1' }), /families differ/);
});
