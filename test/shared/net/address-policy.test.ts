// Pure-function tests: the addresses below are only ever inputs to the classifier; no traffic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyAddress,
  formatIp,
  isAllowed,
  isPrefixAllowed,
  parsePolicyMode,
  type AddressKind,
} from '../../../shared/net/address-policy.ts';
import { parseIp as parseAnyIp, TARGET_ADDRESS } from '../../../shared/net/ip-address.ts';

// The policy reads addresses as targets write them (brackets, IPv6 zone); the parser is ip-address.ts.
const parseIp = (s: string) => parseAnyIp(s, TARGET_ADDRESS);

const refusedInPublic: Array<[string, AddressKind, string]> = [
  ['10.0.0.1', 'private', '10.0.0.0/8'],
  ['172.16.5.4', 'private', '172.16.0.0/12'],
  ['192.168.1.1', 'private', '192.168.0.0/16'],
  ['127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['127.255.255.254', 'loopback', '127.0.0.0/8'],
  ['169.254.1.1', 'link-local', '169.254.0.0/16'],
  ['100.64.0.1', 'cgnat', '100.64.0.0/10'],
  ['100.127.255.255', 'cgnat', '100.64.0.0/10'],
  ['192.0.2.1', 'documentation', '192.0.2.0/24'],
  ['198.51.100.7', 'documentation', '198.51.100.0/24'],
  ['203.0.113.9', 'documentation', '203.0.113.0/24'],
  ['198.18.0.1', 'benchmark', '198.18.0.0/15'],
  ['198.19.255.1', 'benchmark', '198.18.0.0/15'],
  ['224.0.0.1', 'multicast', '224.0.0.0/4'],
  ['239.255.255.250', 'multicast', '224.0.0.0/4'],
  ['0.0.0.0', 'unspecified', '0.0.0.0/32'],
  ['0.1.2.3', 'reserved', '0.0.0.0/8'],
  ['240.0.0.1', 'reserved', '240.0.0.0/4'],
  ['255.255.255.255', 'reserved', '255.255.255.255/32'],
  ['::', 'unspecified', '::/128'],
  ['::1', 'loopback', '::1/128'],
  ['::ffff:10.0.0.1', 'private', '10.0.0.0/8'],
  ['::ffff:127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['::ffff:7f00:1', 'loopback', '127.0.0.0/8'],
  ['::ffff:169.254.169.254', 'link-local', '169.254.0.0/16'],
  ['::127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['::8.8.8.8', 'reserved', '::/96'],
  ['64:ff9b::10.1.2.3', 'private', '10.0.0.0/8'],
  ['2002:c0a8:0101::1', 'private', '192.168.0.0/16'],
  ['fe80::1', 'link-local', 'fe80::/10'],
  ['fe80::1%eth0', 'link-local', 'fe80::/10'],
  ['fc00::1', 'unique-local', 'fc00::/7'],
  ['fd12:3456:789a::1', 'unique-local', 'fc00::/7'],
  ['2001:db8::1', 'documentation', '2001:db8::/32'],
  ['[2001:db8::1]', 'documentation', '2001:db8::/32'],
  ['3fff::1', 'documentation', '3fff::/20'],
  ['2001:2::1', 'benchmark', '2001:2::/48'],
  ['2001::1', 'reserved', '2001::/23'],
  ['ff02::1', 'multicast', 'ff00::/8'],
  ['fec0::1', 'reserved', 'fec0::/10'],
  ['100::1', 'reserved', '100::/64'],
  ['4000::1', 'reserved', 'outside 2000::/3'],
];

for (const [address, kind, range] of refusedInPublic) {
  test(`${address} is ${kind} (${range}) and refused by the public policy`, () => {
    const cls = classifyAddress(address);
    assert.equal(cls?.kind, kind);
    assert.equal(cls?.range, range);
    const d = isAllowed(address, 'public');
    assert.equal(d.ok, false);
    if (!d.ok) {
      assert.match(d.reason, /refused by the public policy$/);
      assert.ok(d.reason.includes(range), d.reason);
      assert.ok(!d.reason.includes('\n'));
    }
    assert.equal(isAllowed(address, 'lan').ok, true, 'lan allows every range');
  });
}

const publicAddresses = ['8.8.8.8', '1.1.1.1', '9.9.9.9', '193.0.14.129', '2606:4700:4700::1111', '2a00:1450:4001::1', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:0808:0808::1'];
for (const address of publicAddresses) {
  test(`${address} is public and allowed by the public policy`, () => {
    assert.equal(classifyAddress(address)?.kind, 'public');
    assert.equal(isAllowed(address, 'public').ok, true);
  });
}

test('the refusal reason reads as one sentence naming the address and the range', () => {
  const d = isAllowed('127.0.0.1', 'public');
  assert.deepEqual(d.ok ? '' : d.reason, '127.0.0.1 is a loopback address (127.0.0.0/8); refused by the public policy');
  const m = isAllowed('::ffff:10.0.0.1', 'public');
  assert.equal(m.ok ? '' : m.reason, '::ffff:10.0.0.1 is a private address (IPv4-embedded 10.0.0.1, 10.0.0.0/8); refused by the public policy');
});

test('non-literals are not classified and are refused until resolved', () => {
  for (const s of ['example.com', '127.1', '0x7f000001', '2130706433', '010.0.0.1', '1.2.3.4.5', '1::2::3', ':::', '12345::', '::ffff:1.2.3', '']) {
    assert.equal(parseIp(s), undefined, s);
    assert.equal(classifyAddress(s), undefined, s);
    const d = isAllowed(s, 'lan');
    assert.equal(d.ok, false, s);
  }
});

test('IPv6 parsing covers compressed, full and embedded-IPv4 forms', () => {
  const cases: Array<[string, string]> = [
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1::', '1::'],
  ];
  for (const [input, out] of cases) assert.equal(formatIp(parseIp(input)!), out, input);
  assert.equal(parseIp('1:2:3:4:5:6:7:8:9'), undefined);
  assert.equal(parseIp('1:2:3:4:5:6:7::8'), undefined);
});

test('CIDR allow-lists restrict an agent in either mode', () => {
  const allowedRanges = ['10.1.0.0/16', '2001:db8:1::/48'];
  assert.equal(isAllowed('10.1.2.3', 'lan', { allowedRanges }).ok, true);
  assert.equal(isAllowed('::ffff:10.1.2.3', 'lan', { allowedRanges }).ok, true, 'mapped form reaches the same host');
  assert.equal(isAllowed('2001:db8:1::5', 'lan', { allowedRanges }).ok, true);
  const out = isAllowed('10.2.0.1', 'lan', { allowedRanges });
  assert.equal(out.ok, false);
  assert.equal(out.ok ? '' : out.reason, "10.2.0.1 is outside this agent's allowed ranges (10.1.0.0/16, 2001:db8:1::/48)");
  assert.equal(isAllowed('2001:db8:2::5', 'lan', { allowedRanges }).ok, false);
  // Public mode still refuses a private address even when the agent's list contains it.
  assert.equal(isAllowed('10.1.2.3', 'public', { allowedRanges }).ok, false);
  // An empty list means no restriction.
  assert.equal(isAllowed('192.168.1.1', 'lan', { allowedRanges: [] }).ok, true);
});

test('sweep prefixes are refused when they overlap a non-public range', () => {
  assert.equal(isPrefixAllowed('8.8.8.0/24', 'public').ok, true);
  assert.equal(isPrefixAllowed('10.0.0.0/24', 'public').ok, false);
  const wide = isPrefixAllowed('8.0.0.0/5', 'public');
  assert.equal(wide.ok, false, '8.0.0.0/5 covers 10.0.0.0/8');
  assert.match(wide.ok ? '' : wide.reason, /10\.0\.0\.0\/8/);
  assert.equal(isPrefixAllowed('127.1.0.0/16', 'lan').ok, true);
  assert.equal(isPrefixAllowed('10.1.2.0/24', 'lan', { allowedRanges: ['10.1.0.0/16'] }).ok, true);
  assert.equal(isPrefixAllowed('10.0.0.0/8', 'lan', { allowedRanges: ['10.1.0.0/16'] }).ok, false);
  assert.equal(isPrefixAllowed('2a00:1450::/32', 'public').ok, true);
  assert.equal(isPrefixAllowed('::/0', 'public').ok, false);
  assert.equal(isPrefixAllowed('nonsense', 'lan').ok, false);
});

test('policy modes parse from configuration text', () => {
  assert.equal(parsePolicyMode('PUBLIC'), 'public');
  assert.equal(parsePolicyMode(' lan '), 'lan');
  assert.equal(parsePolicyMode('open'), undefined);
  assert.equal(parsePolicyMode(undefined), undefined);
});
