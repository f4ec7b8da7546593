// Pure-function tests: packets are built in memory; nothing is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tcpAnswer } from '../../../agent/packet/tcp-answer.ts';
import { encodeTcp, TcpFlags } from '../../../agent/packet/tcp-packet.ts';
import type { RawPacket } from '../../../agent/socket/raw-socket.ts';

const SYN_ACK = TcpFlags.SYN | TcpFlags.ACK;

function ipv4(segment: Uint8Array): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + segment.length, 2);
  h[8] = 64;
  h[9] = 6;
  return Buffer.concat([h, segment]);
}

const packet = (data: Buffer, address: string): RawPacket => ({ data, address, time: 1 });

test('an IPv4 SYN-ACK from the probed port to our port is an answer; the IP header is not counted', () => {
  const seg = encodeTcp({ srcPort: 80, dstPort: 40000, seq: 7, ack: 101, flags: SYN_ACK });
  const a = tcpAnswer(packet(ipv4(seg), '127.0.0.1'), 4, '127.0.0.1', 80, 40000);
  assert.equal(a?.kind, 'syn-ack');
  assert.equal(a?.header.ack, 101);
  assert.equal(a?.bytes, seg.length);
});

test('an IPv6 RST is an answer; raw IPv6 sockets deliver no IP header', () => {
  const seg = encodeTcp({ srcPort: 443, dstPort: 40001, seq: 0, ack: 5, flags: TcpFlags.RST | TcpFlags.ACK });
  assert.equal(tcpAnswer(packet(Buffer.from(seg), '0:0::1'), 6, '::1', 443, 40001)?.kind, 'rst');
});

test('other hosts, other ports and segments that answer no SYN are not answers', () => {
  const seg = encodeTcp({ srcPort: 80, dstPort: 40000, seq: 7, ack: 101, flags: SYN_ACK });
  assert.equal(tcpAnswer(packet(ipv4(seg), '127.0.0.2'), 4, '127.0.0.1', 80, 40000), undefined, 'other host');
  assert.equal(tcpAnswer(packet(ipv4(seg), '127.0.0.1'), 4, '127.0.0.1', 81, 40000), undefined, 'other remote port');
  assert.equal(tcpAnswer(packet(ipv4(seg), '127.0.0.1'), 4, '127.0.0.1', 80, 40002), undefined, 'other local port');
  const ack = encodeTcp({ srcPort: 80, dstPort: 40000, seq: 7, ack: 101, flags: TcpFlags.ACK });
  assert.equal(tcpAnswer(packet(ipv4(ack), '127.0.0.1'), 4, '127.0.0.1', 80, 40000), undefined, 'a bare ACK');
  assert.equal(tcpAnswer(packet(Buffer.from([0x45, 0]), '127.0.0.1'), 4, '127.0.0.1', 80, 40000), undefined, 'truncated');
});
