import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTcpSyn, encodeTcp, parseTcp, synOptions, tcpReplyKind, TcpFlags } from '../../../agent/packet/tcp-packet.ts';
import { internetChecksum, pseudoHeader } from '../../../agent/packet/inet-checksum.ts';
import { parseIpv4Header } from '../../../agent/packet/ipv4-header.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

// Fixtures computed with an independent implementation (Python struct + RFC 1071 sum).
const SYN4 = 'afc800500102030400000000a002faf09aed0000020405b40402080a000000010000000001030307';
const SYN6 = 'afc800500102030400000000a002faf098ee0000020405b40402080a000000010000000001030307';
// Captured on Linux loopback (IP header included): the SYN-ACK of a real connect().
const SYNACK_CAPTURED = '4500003c0000400040063cba7f0000017f000001d5fbeb04b7e20bc13bf8f18ea012ffcbfe3000000204ffd70402080a18969372e32033da0103030a';

test('tcp: a SYN with MSS, SACK, timestamps and window scale encodes byte for byte (v4 checksum)', () => {
  const b = buildTcpSyn({ srcPort: 45000, dstPort: 80, seq: 0x01020304, mss: 1460, tsVal: 1, windowScale: 7 }, { src: '127.0.0.1', dst: '127.0.0.1' });
  assert.equal(Buffer.from(b).toString('hex'), SYN4);
});

test('tcp: the same SYN over IPv6 differs only in the checksum (v6 pseudo-header)', () => {
  const b = buildTcpSyn({ srcPort: 45000, dstPort: 80, seq: 0x01020304, tsVal: 1 }, { src: '::1', dst: '::1' });
  assert.equal(Buffer.from(b).toString('hex'), SYN6);
  assert.equal(internetChecksum(pseudoHeader({ src: '::1', dst: '::1' }, 6, b.length), b), 0, 'checksum verifies');
});

test('tcp: a SYN without timestamps pads options to a multiple of 4', () => {
  const o = synOptions({ sackPermitted: true });
  assert.equal(o.length % 4, 0);
  const b = encodeTcp({ srcPort: 1, dstPort: 2, seq: 3, flags: TcpFlags.SYN, options: Uint8Array.of(2, 4, 5, 0xb4, 1) });
  assert.equal(b.length, 28);
  assert.equal(b[12]! >> 4, 7);
});

test('tcp: a captured Linux SYN-ACK parses to ports, ack, MSS and kind syn-ack', () => {
  const pkt = hex(SYNACK_CAPTURED);
  const ip = parseIpv4Header(pkt)!;
  assert.equal(ip.protocol, 6);
  assert.equal(ip.src, '127.0.0.1');
  const h = parseTcp(pkt.subarray(ip.headerLength))!;
  assert.equal(h.srcPort, 0xd5fb);
  assert.equal(h.dstPort, 0xeb04);
  assert.equal(h.ack, 0x3bf8f18e);
  assert.equal(h.mss, 0xffd7);
  assert.equal(tcpReplyKind(h), 'syn-ack');
});

test('tcp: RST and RST-ACK are kind rst; a bare ACK is neither', () => {
  assert.equal(tcpReplyKind({ flags: TcpFlags.RST | TcpFlags.ACK }), 'rst');
  assert.equal(tcpReplyKind({ flags: TcpFlags.RST }), 'rst');
  assert.equal(tcpReplyKind({ flags: TcpFlags.ACK }), undefined);
});

test('tcp: an 8-byte ICMP quote parses with partial=true and is refused otherwise', () => {
  const q = hex(SYN4).subarray(0, 8);
  assert.equal(parseTcp(q), undefined);
  const h = parseTcp(q, true)!;
  assert.deepEqual([h.srcPort, h.dstPort, h.seq], [45000, 80, 0x01020304]);
});
