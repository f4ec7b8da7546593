import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runnerTargets } from '../../../agent/probes/registry.ts';
import { measurementTypes } from '../../../shared/registry.ts';

test('the agent registry says what each type\'s targets are exactly as the shared registry declares', () => {
  for (const def of measurementTypes()) assert.equal(runnerTargets(def.name), def.targets ?? 'hosts', def.name);
  assert.equal(runnerTargets('no-such-type'), 'hosts');
});
