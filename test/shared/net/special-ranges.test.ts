import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specialRangeLabel } from '../../../shared/net/special-ranges.ts';

const cases: [string, string | undefined][] = [
  ['10.1.2.3', 'RFC1918'],
  ['172.16.0.1', 'RFC1918'],
  ['192.168.1.1', 'RFC1918'],
  ['172.20.0.1', 'DN42'],
  ['172.23.255.254', 'DN42'],
  ['172.24.0.1', 'RFC1918'],
  ['100.64.0.1', 'CGNAT'],
  ['169.254.1.1', 'link-local'],
  ['192.0.2.1', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.9', 'documentation'],
  ['198.18.0.1', 'benchmark'],
  ['127.0.0.1', 'loopback'],
  ['8.8.8.8', undefined],
  ['fd42:4242::1', 'ULA'],
  ['fc00::1', 'ULA'],
  ['fe80::1', 'link-local'],
  ['2001:db8::1', 'documentation'],
  ['::1', 'loopback'],
  ['::ffff:10.0.0.1', 'RFC1918'],
  ['2606:4700::1111', undefined],
  ['not-an-address', undefined],
];
for (const [address, label] of cases) {
  test(`${address} is labelled ${label ?? 'nothing'}`, () => assert.equal(specialRangeLabel(address), label));
}
