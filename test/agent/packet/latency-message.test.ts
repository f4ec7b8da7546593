import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLatencyMessage, formatTags, LatencyStream, nextLatencySeq, parseLatencyMessage, parseTags } from '../../../agent/packet/latency-message.ts';

test('tags are written as Python prints a list of strings', () => {
  assert.equal(formatTags([]), '[]');
  assert.equal(formatTags(['isp:x', 'site:y']), "['isp:x', 'site:y']");
});

test('Python list literals of strings parse, with either quote, escapes and a trailing comma', () => {
  assert.deepEqual(parseTags(''), []);
  assert.deepEqual(parseTags('[]'), []);
  assert.deepEqual(parseTags("['isp:x', 'site:y']"), ['isp:x', 'site:y']);
  assert.deepEqual(parseTags(`["it's", 'a\\'b',]`), ["it's", "a'b"]);
  assert.equal(parseTags("['a' 'b']"), undefined);
  assert.equal(parseTags('[1, 2]'), undefined);
  assert.equal(parseTags("__import__('os')"), undefined);
  assert.equal(parseTags(`[${Array.from({ length: 40 }, () => "'a'").join(', ')}]`), undefined);
});

test('a message pads with zeros up to the size and parses back', () => {
  const text = formatLatencyMessage({ seq: 3, source: 'lax1', timeNs: 1700000000123456789n, tagsText: "['a:b']" }, 64);
  assert.equal(text.length, 64);
  assert.match(text, /^3\|lax1\|1700000000123456789\|\['a:b'\]\|0+$/);
  const r = parseLatencyMessage(text);
  assert.ok(r.ok);
  assert.equal(r.message.seq, 3);
  assert.deepEqual(r.message.tags, ['a:b']);
  assert.equal(r.message.timeNs, 1700000000123456789n);
});

test('a malformed message is refused with a reason', () => {
  assert.deepEqual(parseLatencyMessage('hello'), { ok: false, reason: '1 fields, not 5' });
  assert.equal(parseLatencyMessage('x|a|1|[]|').ok, false);
  assert.equal(parseLatencyMessage('1|a|t|[]|').ok, false);
  assert.equal(parseLatencyMessage('1|a|1|[1]|').ok, false);
});

test('sequence numbers run 0…100 and wrap to 0', () => {
  assert.equal(nextLatencySeq(0), 1);
  assert.equal(nextLatencySeq(99), 100);
  assert.equal(nextLatencySeq(100), 0);
});

test('the stream splitter finds messages run together, padding and all', () => {
  const s = new LatencyStream();
  const a = formatLatencyMessage({ seq: 100, source: 'a', timeNs: 5n, tagsText: '[]' }, 40);
  const b = formatLatencyMessage({ seq: 0, source: 'a', timeNs: 6n, tagsText: '[]' }, 40);
  const c = formatLatencyMessage({ seq: 10, source: 'a', timeNs: 7n, tagsText: '[]' }, 40);
  const r = s.push(a + b + c);
  assert.deepEqual(r.messages.map((m) => m.seq), [100, 0, 10]);
  assert.deepEqual(r.messages.map((m) => m.padding.length), [40 - 11, 40 - 9, 40 - 10]);
  assert.equal(s.pending, 0);
});

test('the stream splitter waits for the rest of a message cut in two', () => {
  const s = new LatencyStream();
  const a = formatLatencyMessage({ seq: 5, source: 'a', timeNs: 5n, tagsText: "['x:y']" }, 0);
  assert.deepEqual(s.push(a.slice(0, 7)).messages, []);
  assert.deepEqual(s.push(a.slice(7)).messages.map((m) => m.seq), [5]);
  // A zero at the end of a chunk that turns out to be the sequence 0 of the next.
  assert.deepEqual(s.push('0000').messages, []);
  assert.deepEqual(s.push('|a|6|[]|').messages.map((m) => m.seq), [0]);
});

test('garbage in a stream is refused and an endless message is bounded', () => {
  const s = new LatencyStream(100);
  assert.deepEqual(s.push('1|a|2|[]|00xx|').refused, ['PADDING is not zeros']);
  assert.throws(() => new LatencyStream(100).push('x'.repeat(101)), RangeError);
});
