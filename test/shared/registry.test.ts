import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentCanRun, Defaults, MeasurementType, measurementType, measurementTypes } from '../../shared/registry.ts';
import { parseCommand } from '../../shared/command/grammar.ts';
import { commandNames } from '../../shared/command/help.ts';
import { validateSpec } from '../../shared/model/validate-spec.ts';

test('the registry lists each type once, and the spec enum, the commands and the lookups agree with it', () => {
  const names = measurementTypes().map((t) => t.name);
  assert.deepEqual(names, ['ping', 'traceroute', 'probe', 'mtr', 'dns', 'http']);
  assert.deepEqual(MeasurementType.options, names);
  assert.deepEqual(commandNames().slice(0, names.length), names);
  for (const n of names) assert.equal(measurementType(n)?.name, n);
  assert.equal(measurementType('list'), undefined);
  assert.equal(measurementType('toString'), undefined);
});

test('Defaults merges the shared defaults and every type\'s own', () => {
  assert.deepEqual(
    { ...Defaults },
    { timeoutMs: 2000, tracePort: 33434, tcpPort: 80, count: 4, intervalMs: 1000, size: 56, ttl: 64, maxHops: 30, queriesPerHop: 3, rate: 1000, maxBody: 10_240 },
  );
});

test('every type\'s examples parse to a spec of that type', () => {
  for (const t of measurementTypes()) {
    for (const line of t.command.examples) {
      const r = parseCommand(line);
      assert.ok(r.ok && 'spec' in r && r.spec.type === t.name, `${line}: ${r.ok ? r.command : r.message}`);
    }
  }
});

test('an exclusive field of one type is refused on the others, naming both', () => {
  const r = validateSpec({ type: 'probe', targets: ['10.0.0.0/24'], deadlineMs: 1000 });
  assert.deepEqual(r, { ok: false, field: 'deadlineMs', message: 'deadlineMs applies to ping only, not probe' });
});

test('agentCanRun: capabilities naming types are taken at their word; naming none means the baseline types', () => {
  assert.equal(agentCanRun(['icmp', 'ping'], 'ping'), true);
  assert.equal(agentCanRun(['icmp', 'ping'], 'traceroute'), false);
  for (const t of MeasurementType.options) assert.equal(agentCanRun(['icmp'], t), measurementType(t)?.baseline === true);
  assert.equal(agentCanRun(['icmp'], 'mtr'), false, 'a type newer than capabilities is never sent to an agent that does not name it');
  assert.equal(agentCanRun([], 'probe'), true);
  // A type added later is never sent to an agent that does not announce it (issue 15: dns, http).
  assert.equal(agentCanRun(['icmp'], 'dns'), false);
  assert.equal(agentCanRun(['icmp', 'ping', 'dns'], 'dns'), true);
  assert.equal(agentCanRun(['icmp', 'ping', 'dns'], 'http'), false);
});

test('each event kind a type claims is an event of the stream, claimed by that type alone', () => {
  const known = ['start', 'reply', 'timeout', 'icmp-error', 'hop', 'host', 'answer', 'summary', 'error', 'done'];
  const owner = new Map<string, string>();
  for (const t of measurementTypes()) {
    // `answer` is every asking type's (dns, http): each declares the schema of its data.
    assert.equal(t.eventKinds.includes('answer'), t.answer !== undefined, `${t.name}: answer events and an answer schema go together`);
    for (const k of t.eventKinds.filter((x) => x !== 'answer')) {
      assert.ok(known.includes(k), `${t.name} claims unknown event kind ${k}`);
      assert.equal(owner.get(k), undefined, `${k} claimed by ${owner.get(k)} and ${t.name}`);
      owner.set(k, t.name);
    }
  }
  assert.equal(owner.get('hop'), 'traceroute');
  assert.equal(owner.get('host'), 'probe');
});
