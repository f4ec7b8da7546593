import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Enricher, specialRangeSource, type AddressInfoSource } from '../../../hub/enrich/enricher.ts';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { withTestHub } from '../../helpers/test-hub.ts';
import type { HopEvent, MeasurementEvent, StartEvent } from '../../../shared/model/events.ts';

/** A source over a fixed table (a real implementation of the interface, not a mock of the enricher). */
function tableSource(name: string, table: Record<string, object>): AddressInfoSource & { calls: number } {
  const s = { name, calls: 0, lookup: (a: string) => (s.calls++, table[a]) };
  return s;
}

test('sources merge in operator order: a field comes from the first source that has it', () => {
  const first = tableSource('first', { '198.18.0.1': { asn: 64500, country: 'DE' } });
  const second = tableSource('second', { '198.18.0.1': { asn: 64501, city: 'Berlin' } });
  const e = new Enricher({ sources: [first, second, specialRangeSource] });
  assert.deepEqual(e.lookup('198.18.0.1'), { asn: 64500, country: 'DE', city: 'Berlin', label: 'benchmark' });
});

test('answers are cached, and the cache is bounded (least recently used goes first)', () => {
  const s = tableSource('t', { a: { asn: 1 }, b: { asn: 2 }, c: { asn: 3 } });
  const e = new Enricher({ sources: [s], cacheSize: 2 });
  e.lookup('a');
  e.lookup('b');
  e.lookup('a');
  assert.equal(s.calls, 2, 'a second lookup of a is a cache hit');
  e.lookup('c'); // evicts b, the least recently used
  e.lookup('a');
  assert.equal(s.calls, 3);
  e.lookup('b');
  assert.equal(s.calls, 4, 'b was evicted');
});

test('a source that throws is skipped, not fatal', () => {
  const bad: AddressInfoSource = { name: 'bad', lookup: () => { throw new Error('corrupt'); } };
  assert.deepEqual(new Enricher({ sources: [bad, specialRangeSource] }).lookup('10.0.0.1'), { label: 'RFC1918' });
});

test('a hub with an enricher adds info to hop responders and the start address of a real traceroute', async () => {
  const enricher = new Enricher();
  await withTestHub({ agents: [new LocalAgent({ name: 'local' })], allowAnonymous: true, enrich: (e) => enricher.enrich(e) }, async (t) => {
    const ev: MeasurementEvent[] = await t.measure({ type: 'traceroute', targets: ['127.0.0.1'], maxHops: 2, queriesPerHop: 1 });
    const start = ev.find((e): e is StartEvent => e.type === 'start');
    assert.deepEqual(start?.info, { label: 'loopback' });
    const hop = ev.find((e): e is HopEvent => e.type === 'hop');
    assert.deepEqual(hop?.responders[0]?.info, { label: 'loopback' });
  });
});
