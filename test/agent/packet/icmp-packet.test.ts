import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEchoRequest, classifyIcmpError, echoPayload, errorFromInfo, ipv6ToString, parseIcmp, parseIpHeader } from '../../../agent/packet/icmp-packet.ts';
import { internetChecksum } from '../../../agent/packet/inet-checksum.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// Captured on this machine's loopback with the raw-socket addon (real kernel output).
const real = {
  echoRequest4: '4500001c79ba40000501fe247f0000017f0000010800f7fe00010000',
  echoReply4: '4500001c79bb0000400103247f0000017f0000010000fffe00010000',
  echoReply6: '81007eb800020001',
  portUnreach4:
    '45c0003d85f800004001f6057f0000017f00000103039c2000000000450000217cd240004011bff77f0000017f0000019c41829a000dfe2068656c6c6f',
  portUnreach6:
    '01047d5f000000006000acf6000d114000000000000000000000000000000001000000000000000000000000000000019c42829b000d002068656c6c6f',
};
// Built by hand with correct lengths and checksums, for errors loopback cannot produce.
const built = {
  timeExceeded4:
    '450000381c460000fe011357c6120101c61200020b00d2dd00000000450000541c46000001010834c6120002c6120909080007e712340007',
  fragNeeded4:
    '450000381c460000fd011357c6120201c61200020304dff500000578450000241c46000003110654c6120002c6120909829a829b00241234',
  hostUnreach4TcpSyn:
    '450000381c460000fc011357c6120301c6120002030162b200000000450000241c4600004006c95ec6120002c6120909c35000500badcafe',
  paramProblem4:
    '450000381c460000fc011357c6120301c61200020c0045b314000000450000241c4600004006c95ec6120002c6120909c35000500badcafe',
  timeExceeded6:
    '03000000000000006000000000183a0120010db800000000000000000000000220010db8000000000000000000000009800000004321000922222222222222222222222222222222',
  packetTooBig6:
    '02000000000005006000000000183a0120010db800000000000000000000000220010db8000000000000000000000009800000004321000922222222222222222222222222222222',
  timeExceeded6Tcp:
    '0300000000000000600000000010060220010db800000000000000000000000220010db8000000000000000000000009c35000500badcafe00000000a002faf0',
  paramProblem6:
    '04010000000000286000000000183a0120010db800000000000000000000000220010db8000000000000000000000009800000004321000922222222222222222222222222222222',
};

test('internetChecksum of a packet with its checksum in place is 0', () => {
  const ip = hex(real.echoReply4).subarray(0, 20);
  assert.equal(internetChecksum(ip), 0);
  assert.equal(internetChecksum(hex('01')), 0xfeff); // odd length pads with a zero byte
});

test('buildEchoRequest v4 reproduces the captured echo request byte for byte', () => {
  const b = buildEchoRequest({ family: 4, identifier: 1, sequence: 0, payload: new Uint8Array(0) });
  assert.deepEqual(Buffer.from(b).toString('hex'), real.echoRequest4.slice(40));
});

test('buildEchoRequest v6 leaves the checksum to the kernel', () => {
  const b = buildEchoRequest({ family: 6, identifier: 0xabcd, sequence: 0x1234, payload: echoPayload(4) });
  assert.equal(Buffer.from(b).toString('hex'), '80000000abcd123400010203');
});

test('buildEchoRequest default payload is 56 bytes (64-byte ICMP message)', () => {
  const b = buildEchoRequest({ family: 4, identifier: 7, sequence: 9 });
  assert.equal(b.length, 64);
  assert.equal(internetChecksum(b), 0);
});

const echoCases: { name: string; bytes: string; family: 4 | 6; withIpHeader?: boolean; expect: Record<string, unknown> }[] = [
  { name: 'v4 echo reply with IP header', bytes: real.echoReply4, family: 4, expect: { kind: 'echo-reply', identifier: 1, sequence: 0, bytes: 8, ttl: 64, source: '127.0.0.1' } },
  { name: 'v4 echo request seen on lo', bytes: real.echoRequest4, family: 4, expect: { kind: 'echo-request', identifier: 1, sequence: 0, bytes: 8, ttl: 5, source: '127.0.0.1' } },
  { name: 'v4 echo reply from a datagram socket (no IP header)', bytes: real.echoReply4.slice(40), family: 4, withIpHeader: false, expect: { kind: 'echo-reply', identifier: 1, sequence: 0, bytes: 8 } },
  { name: 'v6 echo reply', bytes: real.echoReply6, family: 6, expect: { kind: 'echo-reply', identifier: 2, sequence: 1, bytes: 8 } },
];

for (const c of echoCases) {
  test(`parseIcmp: ${c.name}`, () => {
    const m = parseIcmp(hex(c.bytes), { family: c.family, ...(c.withIpHeader !== undefined ? { withIpHeader: c.withIpHeader } : {}) });
    assert.ok(m && (m.kind === 'echo-reply' || m.kind === 'echo-request'));
    assert.equal(m.kind, c.expect.kind);
    assert.equal(m.identifier, c.expect.identifier);
    assert.equal(m.sequence, c.expect.sequence);
    assert.equal(m.bytes, c.expect.bytes);
    if ('ttl' in c.expect) assert.equal(m.ip?.ttl, c.expect.ttl);
    if ('source' in c.expect) assert.equal(m.ip?.source, c.expect.source);
  });
}

const errorCases: {
  name: string;
  bytes: string;
  family: 4 | 6;
  expect: { errorKind: string; type: number; code: number; message: string; from?: string; mtu?: number; pointer?: number; original: Record<string, unknown> };
}[] = [
  {
    name: 'v4 port unreachable quoting UDP (real)',
    bytes: real.portUnreach4,
    family: 4,
    expect: { errorKind: 'unreachable', type: 3, code: 3, message: 'Destination Port Unreachable', from: '127.0.0.1', original: { destination: '127.0.0.1', udp: { sourcePort: 40001, destinationPort: 33434 } } },
  },
  {
    name: 'v6 port unreachable quoting UDP (real)',
    bytes: real.portUnreach6,
    family: 6,
    expect: { errorKind: 'unreachable', type: 1, code: 4, message: 'Destination unreachable: Port unreachable', original: { destination: '::1', udp: { sourcePort: 40002, destinationPort: 33435 } } },
  },
  {
    name: 'v4 time exceeded quoting an echo request',
    bytes: built.timeExceeded4,
    family: 4,
    expect: { errorKind: 'time-exceeded', type: 11, code: 0, message: 'Time to live exceeded', from: '198.18.1.1', original: { destination: '198.18.9.9', icmp: { identifier: 0x1234, sequence: 7 } } },
  },
  {
    name: 'v4 fragmentation needed with the next-hop MTU',
    bytes: built.fragNeeded4,
    family: 4,
    expect: { errorKind: 'packet-too-big', type: 3, code: 4, message: 'Frag needed and DF set (mtu = 1400)', mtu: 1400, original: { udp: { sourcePort: 33434, destinationPort: 33435 } } },
  },
  {
    name: 'v4 host unreachable quoting a TCP SYN',
    bytes: built.hostUnreach4TcpSyn,
    family: 4,
    expect: { errorKind: 'unreachable', type: 3, code: 1, message: 'Destination Host Unreachable', original: { tcp: { sourcePort: 50000, destinationPort: 80, sequence: 0x0badcafe } } },
  },
  {
    name: 'v4 parameter problem with its pointer',
    bytes: built.paramProblem4,
    family: 4,
    expect: { errorKind: 'parameter-problem', type: 12, code: 0, message: 'Parameter problem: pointer = 20', pointer: 20, original: {} },
  },
  {
    name: 'v6 hop limit exceeded quoting an echo request',
    bytes: built.timeExceeded6,
    family: 6,
    expect: { errorKind: 'time-exceeded', type: 3, code: 0, message: 'Time exceeded: Hop limit', original: { destination: '2001:db8::9', icmp: { identifier: 0x4321, sequence: 9 } } },
  },
  {
    name: 'v6 packet too big with the MTU',
    bytes: built.packetTooBig6,
    family: 6,
    expect: { errorKind: 'packet-too-big', type: 2, code: 0, message: 'Packet too big: mtu=1280', mtu: 1280, original: { icmp: { identifier: 0x4321, sequence: 9 } } },
  },
  {
    name: 'v6 time exceeded quoting TCP',
    bytes: built.timeExceeded6Tcp,
    family: 6,
    expect: { errorKind: 'time-exceeded', type: 3, code: 0, message: 'Time exceeded: Hop limit', original: { tcp: { sourcePort: 50000, destinationPort: 80, sequence: 0x0badcafe } } },
  },
  {
    name: 'v6 parameter problem (unknown header) with the pointer',
    bytes: built.paramProblem6,
    family: 6,
    expect: { errorKind: 'parameter-problem', type: 4, code: 1, message: 'Parameter problem: Unknown header at 40', pointer: 40, original: {} },
  },
];

for (const c of errorCases) {
  test(`parseIcmp: ${c.name}`, () => {
    const m = parseIcmp(hex(c.bytes), { family: c.family });
    assert.ok(m && m.kind === 'error', `expected an error message, got ${m?.kind}`);
    assert.equal(m.errorKind, c.expect.errorKind);
    assert.equal(m.type, c.expect.type);
    assert.equal(m.code, c.expect.code);
    assert.equal(m.message, c.expect.message);
    if (c.expect.from) assert.equal(m.ip?.source, c.expect.from);
    if (c.expect.mtu !== undefined) assert.equal(m.mtu, c.expect.mtu);
    if (c.expect.pointer !== undefined) assert.equal(m.pointer, c.expect.pointer);
    assert.ok(m.original, 'the quoted packet is decoded');
    const o = c.expect.original;
    if (o.destination) assert.equal(m.original.ip.destination, o.destination);
    if (o.icmp) assert.deepEqual({ identifier: m.original.icmp?.identifier, sequence: m.original.icmp?.sequence }, o.icmp);
    if (o.udp) assert.deepEqual({ sourcePort: m.original.udp?.sourcePort, destinationPort: m.original.udp?.destinationPort }, o.udp);
    if (o.tcp) assert.deepEqual(m.original.tcp, o.tcp);
  });
}

test('parseIcmp returns null for truncated and foreign input', () => {
  assert.equal(parseIcmp(hex('4500'), { family: 4 }), null);
  assert.equal(parseIcmp(hex(real.echoReply4).subarray(0, 24), { family: 4 }), null);
  assert.equal(parseIcmp(hex('810000'), { family: 6 }), null);
  // an IPv4 header carrying UDP is not ours to parse
  assert.equal(parseIcmp(hex(real.portUnreach4).subarray(28), { family: 4 }), null);
});

test('parseIcmp reports other ICMP types as kind other', () => {
  const m = parseIcmp(hex('8600000040000708000000000000000000'), { family: 6 }); // router advertisement
  assert.equal(m?.kind, 'other');
  assert.equal(m?.type, 134);
});

test('classifyIcmpError covers unknown codes in iputils wording', () => {
  assert.equal(classifyIcmpError(4, 3, 42)?.message, 'Dest Unreachable, Bad Code: 42');
  assert.equal(classifyIcmpError(6, 1, 9)?.message, 'Destination unreachable: Unknown code 9');
  assert.equal(classifyIcmpError(4, 0, 0), null);
});

test('errorFromInfo takes the MTU from the error-queue info field', () => {
  assert.equal(errorFromInfo(4, 3, 4, 1400)?.mtu, 1400);
  assert.equal(errorFromInfo(6, 2, 0, 1280)?.message, 'Packet too big: mtu=1280');
  assert.equal(errorFromInfo(4, 12, 0, 20)?.pointer, 20);
});

test('parseIpHeader skips IPv6 extension headers', () => {
  // hop-by-hop (8 bytes) then ICMPv6
  const h = hex('6000000000100001' + '00'.repeat(15) + '01' + '00'.repeat(15) + '02' + '3a00000000000000' + '8000000000000000');
  const ip = parseIpHeader(h);
  assert.equal(ip?.protocol, 58);
  assert.equal(ip?.headerLength, 48);
  assert.equal(ip?.source, '::1');
});

test('ipv6ToString follows RFC 5952', () => {
  const cases: [string, string][] = [
    ['00000000000000000000000000000001', '::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['00000000000000000000ffffc6120001', '::ffff:198.18.0.1'],
    ['20010db8000100020003000400050006', '2001:db8:1:2:3:4:5:6'],
    ['00000000000000000000000000000000', '::'],
  ];
  for (const [h, s] of cases) assert.equal(ipv6ToString(hex(h)), s);
});
