import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEchoFrame, detectFraming, echoFrameSeq, encodeEchoFrame, ECHO_FRAME_BYTES, LEGACY_FRAME_BYTES, writeEchoFrame } from '../../../agent/packet/tcp-echo-frame.ts';

test('a current frame is the magic, then seq and time as uint64 little-endian (24 bytes)', () => {
  const b = encodeEchoFrame({ seq: 1n, sentNs: 0x0102030405060708n });
  assert.equal(b.length, ECHO_FRAME_BYTES);
  assert.equal(Buffer.from(b.subarray(0, 8)).toString('latin1'), 'TCPPING\0');
  assert.deepEqual([...b.subarray(8, 16)], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...b.subarray(16, 24)], [8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual(decodeEchoFrame(b), { seq: 1n, sentNs: 0x0102030405060708n });
});

test('a legacy frame is seq and time without the magic (16 bytes)', () => {
  const b = encodeEchoFrame({ seq: 7n, sentNs: 9n }, 'legacy');
  assert.equal(b.length, LEGACY_FRAME_BYTES);
  assert.deepEqual(decodeEchoFrame(b, 'legacy'), { seq: 7n, sentNs: 9n });
});

test('a wrong magic or length does not decode', () => {
  const b = encodeEchoFrame({ seq: 1n, sentNs: 2n });
  b[0] = 0x78;
  assert.equal(decodeEchoFrame(b), undefined);
  assert.equal(decodeEchoFrame(new Uint8Array(23)), undefined);
});

test('uint64 sequence numbers wrap instead of throwing', () => {
  const b = encodeEchoFrame({ seq: (1n << 64n) + 5n, sentNs: 0n });
  assert.equal(decodeEchoFrame(b)?.seq, 5n);
});

test('the framing of a connection is told by its first 8 bytes', () => {
  assert.equal(detectFraming(encodeEchoFrame({ seq: 1n, sentNs: 2n })), 'magic');
  assert.equal(detectFraming(encodeEchoFrame({ seq: 1n, sentNs: 2n }, 'legacy')), 'legacy');
  assert.equal(detectFraming(Buffer.from('TCPPONG\0')), 'unknown');
  assert.equal(detectFraming(Buffer.from('GET / HT')), 'unknown');
});

test('a frame written into a reused buffer is the frame encodeEchoFrame makes, for number and bigint sequences', () => {
  const out = new Uint8Array(40).fill(0xee);
  const view = out.subarray(8, 32);
  writeEchoFrame(view, 2 ** 40 + 3, 0x0102030405060708n);
  assert.deepEqual([...view], [...encodeEchoFrame({ seq: (1n << 40n) + 3n, sentNs: 0x0102030405060708n })]);
  assert.deepEqual([...out.subarray(0, 8)], new Array(8).fill(0xee), 'nothing written before the view');
  assert.deepEqual([...out.subarray(32)], new Array(8).fill(0xee), 'nothing written after the frame');
  writeEchoFrame(view, 7n, 9n, 'legacy');
  assert.deepEqual([...view.subarray(0, 16)], [...encodeEchoFrame({ seq: 7n, sentNs: 9n }, 'legacy')]);
});

test('the sequence is read as a number at any offset, and one above 2^53 is not ours', () => {
  const b = new Uint8Array(48);
  b.set(encodeEchoFrame({ seq: 123_456n, sentNs: 1n }), 0);
  b.set(encodeEchoFrame({ seq: (1n << 52n) + 1n, sentNs: 1n }), 24);
  assert.equal(echoFrameSeq(b, 0), 123_456);
  assert.equal(echoFrameSeq(b, 24), 2 ** 52 + 1);
  b.set(encodeEchoFrame({ seq: 1n << 60n, sentNs: 1n }), 24);
  assert.equal(echoFrameSeq(b, 24), undefined);
  assert.equal(echoFrameSeq(encodeEchoFrame({ seq: 5n, sentNs: 1n }, 'legacy'), 0, 'legacy'), 5);
});
