/**
 * The messages of latency-monitor (mirceaulinic/latency-monitor), read from its source (learnt,
 * not copied): ASCII `SEQ|SOURCE|SEND_NS|TAGS|PADDING`, where TAGS is a Python list literal of
 * strings (`[]`, `['isp:x', 'site:y']`) and PADDING is `0` characters up to the configured size.
 * Sequence numbers run 0…100 and wrap to 0. Over UDP a datagram is one message; over TCP there is
 * no delimiter (the original reads one recv() per message), so {@link LatencyStream} splits a
 * byte stream by the shape of the fields: a sequence number has no leading zero, so the zeros
 * before the next message's first `|` are padding, and what follows them is the next sequence.
 *
 * meshprobe's extension for four timestamps: a client marks its messages with the tag
 * {@link FOUR_STAMPS_TAG}; a meshprobe server then answers with SOURCE `name@T3` (T3: its send time
 * in Unix ns), which the original client reads and ignores (it logs the source). Pure: no I/O.
 */

/** Largest sequence number before the wrap to 0 (latency-monitor's MAX_SEQ). */
export const LATENCY_MAX_SEQ = 100;
/** The tag by which a meshprobe client asks a meshprobe server for its send time. */
export const FOUR_STAMPS_TAG = 'meshprobe:t3';
/** Most tags a message may carry, and the longest tag (the bounds of what we parse). */
export const MAX_TAGS = 32;
export const MAX_TAG_CHARS = 128;
/** Longest message we read (latency-monitor's max_size default is 1470; a jumbo frame's payload fits). */
export const MAX_MESSAGE_BYTES = 9000;
/** What our client may put in a tag: safe in a Python literal, a Prometheus label and a Datadog tag. */
export const TAG_PATTERN = /^[A-Za-z0-9_.:/=@+-]{1,128}$/;

/** One message. */
export interface LatencyMessage {
  seq: number;
  source: string;
  /** SEND_NS: the sender's Unix time in ns (a server's answer: its receive time). */
  timeNs: bigint;
  /** TAGS exactly as written (a server echoes them unchanged). */
  tagsText: string;
  /** TAGS parsed. */
  tags: string[];
  /** PADDING exactly as written. */
  padding: string;
}

/** The sequence number after `seq`: 0…100, then 0 again (as the original's _next_seq). */
export function nextLatencySeq(seq: number): number {
  return seq >= LATENCY_MAX_SEQ || seq < 0 ? 0 : seq + 1;
}

/** `tags` as Python prints a list of strings (`[]`, `['a', 'b']`); tags must match {@link TAG_PATTERN}. */
export function formatTags(tags: readonly string[]): string {
  return `[${tags.map((t) => `'${t}'`).join(', ')}]`;
}

/**
 * Reads a Python list literal of strings (single or double quotes, backslash escapes); the
 * empty string is `[]` as the original reads it. Undefined when it is anything else or breaks
 * a bound ({@link MAX_TAGS}, {@link MAX_TAG_CHARS}).
 */
export function parseTags(text: string): string[] | undefined {
  const s = text.trim();
  if (s === '') return [];
  if (!s.startsWith('[') || !s.endsWith(']')) return undefined;
  const tags: string[] = [];
  let i = 1;
  const skip = () => {
    while (i < s.length - 1 && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  skip();
  if (i === s.length - 1) return tags;
  for (;;) {
    skip();
    const q = s[i];
    if (q !== "'" && q !== '"') return undefined;
    i++;
    let tag = '';
    for (;;) {
      if (i >= s.length - 1) return undefined;
      const c = s[i]!;
      if (c === q) break;
      if (c === '\\') {
        const n = s[i + 1];
        if (n === undefined) return undefined;
        tag += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
      } else {
        tag += c;
        i++;
      }
      if (tag.length > MAX_TAG_CHARS) return undefined;
    }
    i++;
    tags.push(tag);
    if (tags.length > MAX_TAGS) return undefined;
    skip();
    if (i === s.length - 1) return tags;
    if (s[i] !== ',') return undefined;
    i++;
    skip();
    // Python allows a trailing comma: ['a',]
    if (i === s.length - 1) return tags;
  }
}

/**
 * Writes one message; `size` pads it with `0` up to that many bytes (no padding when the message
 * is already as long), as the original client does.
 */
export function formatLatencyMessage(m: { seq: number; source: string; timeNs: bigint; tagsText: string; padding?: string }, size = 0): string {
  const head = `${m.seq}|${m.source}|${m.timeNs}|${m.tagsText}|`;
  if (m.padding !== undefined) return head + m.padding;
  return size > head.length ? head + '0'.repeat(size - head.length) : head;
}

/** Why a message is refused, in a few words; or the message. */
export type LatencyParse = { ok: true; message: LatencyMessage } | { ok: false; reason: string };

/** Reads one whole message (one UDP datagram, or one message the stream splitter cut out). */
export function parseLatencyMessage(text: string): LatencyParse {
  const no = (reason: string): LatencyParse => ({ ok: false, reason });
  if (text.length > MAX_MESSAGE_BYTES) return no(`longer than ${MAX_MESSAGE_BYTES} bytes`);
  const f = text.split('|');
  if (f.length !== 5) return no(`${f.length} fields, not 5`);
  const [seqText, source, timeText, tagsText, padding] = f as [string, string, string, string, string];
  if (!/^[0-9]{1,9}$/.test(seqText)) return no('SEQ is not a number');
  if (source.length > 253) return no('SOURCE is longer than 253 characters');
  if (!/^-?[0-9]{1,20}$/.test(timeText)) return no('SEND_NS is not a number');
  const tags = parseTags(tagsText);
  if (!tags) return no('TAGS is not a list of strings');
  return { ok: true, message: { seq: Number(seqText), source, timeNs: BigInt(timeText), tagsText, tags, padding } };
}

/** The beginnings of a message: SEQ, SOURCE, SEND_NS and TAGS as far as they have come. */
const PREFIX = /^[0-9]{1,9}(\|[^|]{0,253}(\|-?[0-9]{0,20}(\|[^|]*)?)?)?$/s;

/** What one chunk of a TCP stream gave: whole messages, and those that did not parse. */
export interface StreamChunk {
  messages: LatencyMessage[];
  refused: string[];
}

/**
 * Splits latency-monitor messages out of a TCP byte stream. A message is complete at its fourth
 * `|` plus the zeros after it; the zeros run until the next message's sequence number (which has
 * no leading zero, or is `0` itself) or the end of the bytes read so far: the original sends one
 * message per write and waits for the answer, so a chunk ends where a message ends.
 */
export class LatencyStream {
  #buf = '';
  /** The last message ended at a chunk's end with zeros: one of them may be a `0|` sequence. */
  #trailingZero = false;
  readonly #maxBytes: number;

  constructor(maxBytes = MAX_MESSAGE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes held for an incomplete message. */
  get pending(): number {
    return this.#buf.length;
  }

  /**
   * Feeds one chunk (latin1 text: the format is ASCII). Throws a RangeError when an incomplete
   * message grows past the bound: the caller closes the connection.
   */
  push(chunk: string): StreamChunk {
    if (this.#trailingZero && chunk.startsWith('|')) chunk = '0' + chunk;
    this.#trailingZero = false;
    let s = this.#buf + chunk;
    const out: StreamChunk = { messages: [], refused: [] };
    for (;;) {
      let bar = -1;
      let at = 0;
      for (let n = 0; n < 4; n++) {
        bar = s.indexOf('|', at);
        if (bar === -1) break;
        at = bar + 1;
      }
      if (bar === -1) break;
      const next = s.indexOf('|', at);
      const region = next === -1 ? s.slice(at) : s.slice(at, next);
      let padding: string;
      let rest: string;
      if (next === -1) {
        const m = /^(0*)(.*)$/s.exec(region)!;
        padding = m[1]!;
        rest = m[2]!;
        if (rest !== '' && !/^[1-9][0-9]*$/.test(rest)) {
          out.refused.push('PADDING is not zeros');
          s = '';
          break;
        }
        this.#trailingZero = padding.length > 0 && rest === '';
      } else {
        const m = /^(0*)([1-9][0-9]*)$/.exec(region) ?? /^(0*)(0)$/.exec(region);
        if (!m) {
          // Its padding holds something else: the stream has lost its framing (the caller closes).
          out.refused.push('PADDING is not zeros');
          s = '';
          break;
        }
        padding = m[1]!;
        rest = m[2]! + s.slice(next);
      }
      const r = parseLatencyMessage(s.slice(0, at) + padding);
      if (r.ok) out.messages.push(r.message);
      else out.refused.push(r.reason);
      s = rest;
      if (next === -1) break;
    }
    if (s.length > this.#maxBytes) throw new RangeError(`a message longer than ${this.#maxBytes} bytes`);
    // What is held must be able to begin a message; text that cannot is refused now, not when it fills the bound.
    if (s !== '' && !PREFIX.test(s)) {
      out.refused.push('not the start of a message');
      s = '';
    }
    this.#buf = s;
    return out;
  }
}
