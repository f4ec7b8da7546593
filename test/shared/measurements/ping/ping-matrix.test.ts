// The agents × targets matrix, a view over the event fold: rows and columns in order of first
// appearance, a cell from the part's summary, an error shown only when it came last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MeasurementEvent } from '../../../../shared/model/events.ts';
import { computeStats } from '../../../../shared/model/stats.ts';
import { PingMatrix } from '../../../../shared/measurements/ping/ping-matrix.ts';

const start = (agent: string, target: string): MeasurementEvent =>
  ({ type: 'start', agent, target, measurement: 'ping', address: '127.0.0.1', family: 4, protocol: 'icmp', params: {} });
const summary = (agent: string, target: string, rtts: number[], sent = 2): MeasurementEvent =>
  ({ type: 'summary', agent, target, measurement: 'ping', durationMs: 1, ...computeStats(sent, rtts) });
const error = (agent: string, target: string): MeasurementEvent =>
  ({ type: 'error', agent, target, code: 'MP_ERR_AGENT_LOST', message: 'agent went away' });

test('rows and columns in order of first appearance; cells from summaries; n/a when never reported', () => {
  const m = new PingMatrix();
  for (const e of [start('b', 'y'), start('a', 'x'), summary('b', 'y', [1, 1]), summary('a', 'x', [2], 2)]) m.add(e);
  assert.deepEqual(m.agents, ['b', 'a']);
  assert.deepEqual(m.targets, ['y', 'x']);
  assert.ok(m.interesting);
  assert.deepEqual(m.toLines(), ['agent  y           x', 'b      1.00 ms 0%  n/a', 'a      n/a         2.00 ms 50%']);
});

test('an error after the summary marks a silent cell as error; a summary after an error replaces it', () => {
  const m = new PingMatrix();
  for (const e of [start('a', 'x'), summary('a', 'x', [], 2), error('a', 'x'), error('a', 'y'), summary('a', 'y', [1], 1)]) m.add(e);
  assert.equal(m.cell('a', 'x')!.error, 'agent went away');
  assert.deepEqual(m.toLines(), ['agent  x      y', 'a      error  1.00 ms 0%']);
});

test('one agent and one target is not interesting', () => {
  const m = new PingMatrix();
  for (const e of [start('a', 'x'), summary('a', 'x', [1], 1)]) m.add(e);
  assert.equal(m.interesting, false);
});
