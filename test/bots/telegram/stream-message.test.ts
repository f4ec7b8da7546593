// The coalescing editor on its own: newest text wins, edits spaced, final state delivered,
// Telegram's "message is not modified" not treated as a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamMessage } from '../../../bots/telegram/stream-message.ts';

function recorder(delayMs = 5): { edits: { text: string; at: number }[]; edit: (text: string) => Promise<void> } {
  const edits: { text: string; at: number }[] = [];
  return {
    edits,
    edit: async (text) => {
      edits.push({ text, at: Date.now() });
      await new Promise((r) => setTimeout(r, delayMs));
    },
  };
}

test('a burst of updates becomes one edit with the newest text, and finish() delivers the final state', async () => {
  const r = recorder();
  const s = new StreamMessage({ edit: r.edit, minIntervalMs: 100, initialText: 'start' });
  for (let i = 1; i <= 50; i++) s.update(`line ${i}`);
  await new Promise((res) => setTimeout(res, 150));
  assert.deepEqual(r.edits.map((e) => e.text), ['line 50']);
  s.update('line 51');
  await s.finish('final');
  assert.deepEqual(r.edits.map((e) => e.text), ['line 50', 'final'], 'the superseded update is never sent');
  assert.ok(r.edits[1]!.at - r.edits[0]!.at >= 100, 'the final edit also waits its turn');
});

test('an update identical to what is shown is not sent', async () => {
  const r = recorder();
  const s = new StreamMessage({ edit: r.edit, minIntervalMs: 10, initialText: 'same' });
  s.update('same');
  await s.finish('same');
  assert.equal(r.edits.length, 0);
});

test('"message is not modified" is not reported as an error; other failures are', async () => {
  const errors: unknown[] = [];
  let n = 0;
  const s = new StreamMessage({
    minIntervalMs: 1,
    onError: (e) => errors.push(e),
    edit: async () => {
      n++;
      if (n === 1) throw new Error("Call to 'editMessageText' failed! (400: Bad Request: message is not modified: …)");
      throw new Error('400: Bad Request: message to edit not found');
    },
  });
  s.update('a');
  await new Promise((res) => setTimeout(res, 20));
  await s.finish('b');
  assert.equal(n, 2);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /not found/);
});

test('cancel() drops pending text and no edit follows', async () => {
  const r = recorder();
  const s = new StreamMessage({ edit: r.edit, minIntervalMs: 50 });
  s.update('pending');
  await s.cancel();
  await new Promise((res) => setTimeout(res, 80));
  assert.equal(r.edits.length, 0);
  await s.finish('too late');
  assert.equal(r.edits.length, 0);
});

test('an update given as a function is built only when its edit goes out, from the newest one', async () => {
  const r = recorder();
  const s = new StreamMessage({ edit: r.edit, minIntervalMs: 50, initialText: 'start' });
  let built = 0;
  for (let i = 1; i <= 20; i++) s.update(() => (built++, `line ${i}`));
  assert.equal(built, 0, 'nothing is built before the edit is due');
  await new Promise((res) => setTimeout(res, 80));
  assert.equal(built, 1, 'only the newest update is built');
  await s.finish('final');
  assert.deepEqual(r.edits.map((e) => e.text), ['line 20', 'final']);
});
