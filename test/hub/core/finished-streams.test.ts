// The finished streams a hub keeps for share links: only whole streams that ended with done,
// within their bounds, the last few per subject, for a while, and within a total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FinishedStreams } from '../../../hub/core/finished-streams.ts';

const line = (o: object) => `${JSON.stringify(o)}\n`;
let n = 0;
const id = () => `id${String(n++).padStart(20, '0')}`;

function run(k: FinishedStreams, owner: string, events: object[], done = true): string {
  const r = k.record(id(), owner, 'ping x');
  for (const e of events) r.add(line(e));
  if (done) r.add(line({ type: 'done' }));
  r.finish(done);
  return r.id;
}

test('a finished stream is kept as the JSON array of the lines served, for its owner only', () => {
  const k = new FinishedStreams();
  const s = run(k, 'ann', [{ type: 'reply', seq: 1 }]);
  const got = k.get(s, 'ann');
  assert.ok(got);
  assert.deepEqual(JSON.parse(got.eventsJson), [{ type: 'reply', seq: 1 }, { type: 'done' }]);
  assert.equal(got.events, 2);
  assert.equal(got.command, 'ping x');
  assert.equal(k.get(s, 'bob'), undefined);
});

test('a stream that did not end with done is not kept', () => {
  const k = new FinishedStreams();
  assert.equal(k.get(run(k, 'ann', [{ type: 'reply' }], false), 'ann'), undefined);
});

test('a stream over its event or character bound is dropped whole, not truncated', () => {
  const k = new FinishedStreams({ maxEvents: 3, maxBytes: 1000 });
  assert.ok(k.get(run(k, 'ann', [{ a: 1 }, { a: 2 }]), 'ann'), 'three events fit');
  assert.equal(k.get(run(k, 'ann', [{ a: 1 }, { a: 2 }, { a: 3 }]), 'ann'), undefined, 'four do not');
  assert.equal(k.get(run(k, 'ann', [{ pad: 'x'.repeat(1000) }]), 'ann'), undefined, 'nor 1000 characters');
});

test('the last perSubject streams of a subject are kept, others keep theirs', () => {
  const k = new FinishedStreams({ perSubject: 2 });
  const a = [run(k, 'ann', []), run(k, 'ann', []), run(k, 'ann', [])];
  const b = run(k, 'bob', []);
  assert.equal(k.get(a[0]!, 'ann'), undefined);
  assert.ok(k.get(a[1]!, 'ann'));
  assert.ok(k.get(a[2]!, 'ann'));
  assert.ok(k.get(b, 'bob'));
  assert.equal(k.size.streams, 3);
});

test('kept for keepMs, then gone', () => {
  let now = 1_000_000;
  const k = new FinishedStreams({ keepMs: 60_000, now: () => now });
  const s = run(k, 'ann', []);
  now += 59_000;
  assert.ok(k.get(s, 'ann'));
  now += 2_000;
  assert.equal(k.get(s, 'ann'), undefined);
  assert.deepEqual(k.size, { streams: 0, bytes: 0 });
});

test('over the total, the oldest stream goes first, whoever ran it', () => {
  const k = new FinishedStreams({ totalBytes: 130 });
  const pad = { p: 'x'.repeat(30) }; // 56 characters a stream with its done
  const first = run(k, 'ann', [pad]);
  const second = run(k, 'bob', [pad]);
  const third = run(k, 'cid', [pad]);
  assert.equal(k.get(first, 'ann'), undefined);
  assert.ok(k.get(second, 'bob'));
  assert.ok(k.get(third, 'cid'));
  assert.ok(k.size.bytes <= 130);
});
