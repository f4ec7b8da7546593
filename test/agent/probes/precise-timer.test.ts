import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUANTUM_MS, runAt } from '../../../agent/probes/precise-timer.ts';

const called = (due: number, spin: boolean, quiet?: () => boolean) =>
  new Promise<{ at: number; lateMs: number }>((resolve) => runAt(due, (lateMs) => resolve({ at: performance.now(), lateMs }), spin, quiet));

test('a call runs at or after its time, never before, sleeping, spinning or quiet', async () => {
  for (const [spin, quiet] of [[false, undefined], [true, undefined], [true, () => true]] as const) {
    const due = performance.now() + 4;
    const { at, lateMs } = await called(due, spin, quiet);
    assert.ok(at >= due, `ran ${(due - at).toFixed(3)} ms early (spin ${spin}, quiet ${quiet !== undefined})`);
    assert.ok(lateMs >= 0);
  }
});

test('while the caller is quiet, the loop still turns before the call (a quiet turn waits one quantum, not the whole window)', async () => {
  await new Promise((r) => setTimeout(r, 5));
  // A window the process spent preempted (a loaded machine) proves nothing: it is tried again.
  let asked = 0;
  let turns = 0;
  for (let attempt = 0; attempt < 5 && (asked < 2 || turns < 1); attempt++) {
    asked = 0;
    turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    // Well inside the spinning window and many quanta long.
    await called(performance.now() + 20 * QUANTUM_MS, true, () => {
      asked++;
      return true;
    });
    counting = false;
  }
  assert.ok(asked >= 2, `quiet asked ${asked} times: the window was waited in one go`);
  assert.ok(turns >= 1, 'other callbacks ran during the window');
});

test('a cancelled call never runs', async () => {
  let ran = false;
  const t = runAt(performance.now() + 2, () => (ran = true), true, () => true);
  t.cancel();
  const u = runAt(performance.now() + 20, () => (ran = true), false);
  u.cancel();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(ran, false);
});
