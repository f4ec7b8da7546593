// A monitor's TARGET as typed (issue 13 item 1): a name, an IPv4/IPv6 literal, or name@address.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMonitorTarget } from '../../../hub/core/monitor-target.ts';

test('names, literals and name@address give what is probed and the default name', () => {
  assert.deepEqual(parseMonitorTarget('Example.COM.'), { probe: 'example.com', defaultName: 'Example.COM' });
  assert.deepEqual(parseMonitorTarget('192.0.2.1'), { probe: '192.0.2.1', defaultName: '192.0.2.1' });
  assert.deepEqual(parseMonitorTarget('[2001:DB8::0:1]'), { probe: '2001:db8::1', defaultName: '2001:db8::1' });
  assert.deepEqual(parseMonitorTarget('::1'), { probe: '::1', defaultName: '0::1' });
  assert.deepEqual(parseMonitorTarget('gw@192.0.2.1'), { probe: '192.0.2.1', defaultName: 'gw' });
  assert.deepEqual(parseMonitorTarget('uplink 1@2001:db8::2'), { probe: '2001:db8::2', defaultName: 'uplink-1' });
});

test('a bad name@address and an empty target are refused in one line', () => {
  for (const [text, reason] of [['', /give a name/], ['@192.0.2.1', /name before @ is empty/], ['gw@example.com', /after @ comes an IPv4 or IPv6 address/], ['gw@', /not nothing/], ['gw@127.1', /address/]] as const) {
    const r = parseMonitorTarget(text);
    assert.ok('problem' in r, text);
    assert.match(r.problem, reason);
    assert.doesNotMatch(r.problem, /\n/);
  }
});
