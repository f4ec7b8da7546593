import assert from 'node:assert/strict';
import { test } from 'node:test';
import { monitorTypes, runnerTargets } from '../../../agent/probes/registry.ts';
import { measurementTypes, monitorTypeNames } from '../../../shared/registry.ts';

test('the agent registry says what each type\'s targets are exactly as the shared registry declares', () => {
  for (const def of measurementTypes()) assert.equal(runnerTargets(def.name), def.targets ?? 'hosts', def.name);
  assert.equal(runnerTargets('no-such-type'), 'hosts');
});

test('the types with a monitor engine on the agent are exactly the monitorable types of the shared registry', () => {
  // The agent decodes `monitors` frames without zod, by its own list: both lists must agree.
  assert.deepEqual(monitorTypes(), monitorTypeNames());
  assert.ok(monitorTypes().length > 0);
});
