import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeEchoFrame, detectFraming, encodeEchoFrame, ECHO_FRAME_BYTES, LEGACY_FRAME_BYTES } from '../../../agent/packet/tcp-echo-frame.ts';

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
