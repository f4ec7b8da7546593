import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ndjsonLine, splitLines } from '../../../shared/wire/ndjson.ts';

async function collect(source: Parameters<typeof splitLines>[0], max?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of splitLines(source, max !== undefined ? { maxLineLength: max } : {})) out.push(line);
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s);

test('splitLines yields each line of a chunked byte stream', async () => {
  const chunks = [enc('{"a":1}\n{"b"'), enc(':2}\n'), enc('{"c":3}\n')];
  assert.deepEqual(await collect(chunks), ['{"a":1}', '{"b":2}', '{"c":3}']);
});

test('splitLines reassembles a UTF-8 character split across chunks', async () => {
  const bytes = enc('{"city":"Zürich €"}\n');
  // Cut inside the two-byte ü and inside the three-byte €.
  const u = bytes.indexOf(0xc3) + 1;
  const e = bytes.indexOf(0xe2) + 2;
  const chunks = [bytes.slice(0, u), bytes.slice(u, e), bytes.slice(e)];
  assert.deepEqual(await collect(chunks), ['{"city":"Zürich €"}']);
});

test('splitLines yields a final line that has no newline', async () => {
  assert.deepEqual(await collect([enc('one\ntwo')]), ['one', 'two']);
});

test('splitLines strips CR of CRLF and skips blank lines', async () => {
  assert.deepEqual(await collect(['a\r\n\r\n', '\nb\r\n']), ['a', 'b']);
});

test('splitLines reads a web ReadableStream', async () => {
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(enc('x\ny'));
      c.enqueue(enc('\n'));
      c.close();
    },
  });
  assert.deepEqual(await collect(stream), ['x', 'y']);
});

test('splitLines yields a line before the stream ends (no buffering to the end)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* slow() {
    yield enc('first\n');
    await gate;
    yield enc('second\n');
  }
  const it = splitLines(slow());
  assert.deepEqual(await it.next(), { value: 'first', done: false });
  release();
  assert.deepEqual(await it.next(), { value: 'second', done: false });
  assert.equal((await it.next()).done, true);
});

test('splitLines refuses a line longer than maxLineLength', async () => {
  await assert.rejects(collect([enc('x'.repeat(50))], 10), RangeError);
  await assert.rejects(collect([enc('x'.repeat(50) + '\n')], 10), RangeError);
});

test('ndjsonLine is one line even when strings hold newlines', () => {
  const line = ndjsonLine({ message: 'a\nb' });
  assert.equal(line, '{"message":"a\\nb"}\n');
  assert.equal(line.indexOf('\n'), line.length - 1);
});
