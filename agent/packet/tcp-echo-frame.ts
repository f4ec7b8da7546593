/**
 * The frames of the TCP echo protocol of tcp_ping_prometheus (callumau/tcp_ping_prometheus) and of
 * its older release tcp-echo-metrics, read from their sources (learnt, not copied):
 *
 *   current: "TCPPING\0" (8 bytes) | sequence (uint64 LE) | sender's Unix time in ns (uint64 LE)   24 bytes
 *   legacy:                          sequence (uint64 LE) | sender's Unix time in ns (uint64 LE)   16 bytes
 *
 * A server reads exactly one frame, checks the magic (current release) and writes the same bytes
 * back. Pure: no I/O, no clock.
 */

/** The 8 bytes that open every frame of the current release. */
export const ECHO_MAGIC: Uint8Array = new TextEncoder().encode('TCPPING\0');
/** Bytes of a current frame. */
export const ECHO_FRAME_BYTES = 24;
/** Bytes of a frame of the older release (no magic). */
export const LEGACY_FRAME_BYTES = 16;

/** Which framing a connection speaks. */
export type EchoFraming = 'magic' | 'legacy';

/** What a frame carries. */
export interface EchoFrame {
  seq: bigint;
  /** The sender's Unix time in ns, as it wrote it (the echo carries it back unchanged). */
  sentNs: bigint;
}

/** Bytes of one frame of `framing`. */
export function frameBytes(framing: EchoFraming): number {
  return framing === 'magic' ? ECHO_FRAME_BYTES : LEGACY_FRAME_BYTES;
}

const MAX_U64 = (1n << 64n) - 1n;

/** Encodes one frame; seq and time are taken modulo 2^64, as the Go client's uint64 wraps. */
export function encodeEchoFrame(f: EchoFrame, framing: EchoFraming = 'magic'): Uint8Array {
  const out = new Uint8Array(frameBytes(framing));
  writeEchoFrame(out, f.seq, f.sentNs, framing);
  return out;
}

/**
 * Writes one frame into the first {@link frameBytes} bytes of `out` (a buffer the caller reuses,
 * so that a probe allocates no frame); `seq` a number (exact up to 2^53) or a bigint, both taken
 * modulo 2^64.
 */
export function writeEchoFrame(out: Uint8Array, seq: number | bigint, sentNs: bigint, framing: EchoFraming = 'magic'): void {
  const view = new DataView(out.buffer, out.byteOffset, frameBytes(framing));
  let at = 0;
  if (framing === 'magic') {
    out.set(ECHO_MAGIC, 0);
    at = 8;
  }
  if (typeof seq === 'bigint') view.setBigUint64(at, seq & MAX_U64, true);
  else {
    view.setUint32(at, seq % 2 ** 32, true);
    view.setUint32(at + 4, Math.floor(seq / 2 ** 32) % 2 ** 32, true);
  }
  view.setBigUint64(at + 8, sentNs & MAX_U64, true);
}

/**
 * The sequence number of the frame at `at` in `b` as a number, without allocating a bigint (the
 * reply path of a 1 ms series); undefined when it is above 2^53 (not one of ours: we count from 1).
 */
export function echoFrameSeq(b: Uint8Array, at: number, framing: EchoFraming = 'magic'): number | undefined {
  const o = at + (framing === 'magic' ? 8 : 0);
  const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  const hi = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
  return hi < 2 ** 21 ? hi * 2 ** 32 + lo : undefined;
}

/**
 * Decodes one whole frame; undefined when it is the wrong length or (current framing) the magic
 * is wrong.
 */
export function decodeEchoFrame(b: Uint8Array, framing: EchoFraming = 'magic'): EchoFrame | undefined {
  if (b.length !== frameBytes(framing)) return undefined;
  if (framing === 'magic' && !hasMagic(b)) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = framing === 'magic' ? 8 : 0;
  return { seq: view.getBigUint64(at, true), sentNs: view.getBigUint64(at + 8, true) };
}

/** Whether `b` starts with the 8-byte magic. */
export function hasMagic(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== ECHO_MAGIC[i]) return false;
  return true;
}

/**
 * The framing a server reads from a connection's first 8 bytes: the magic means the current
 * release; anything else is taken as a legacy sequence number. A legacy client numbers its
 * probes from 1, so its first 8 bytes are a small little-endian integer: a first word that is
 * neither the magic nor such a number (`plausibleLegacy`) is a stranger and the server closes.
 */
export function detectFraming(first8: Uint8Array): EchoFraming | 'unknown' {
  if (hasMagic(first8)) return 'magic';
  if (first8.length < 8) return 'unknown';
  const seq = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  // A legacy sequence (counted from 1 per client process, which outlives reconnects) below 2^48
  // covers 8,900 years at 1 ms; above it the word is text or garbage.
  return seq < 1n << 48n ? 'legacy' : 'unknown';
}
