/**
 * NDJSON framing, pure and runtime-neutral (Node and workerd): a line splitter over byte or
 * text streams, and the one-line encoder the hub writes with. JSON parsing stays with the caller
 * so that each caller decides what a malformed line means to it.
 */

/** Anything the splitter can read: a web ReadableStream or any (async) iterable of chunks. */
export type ChunkSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

/** Options of {@link splitLines}. */
export interface SplitLinesOptions {
  /**
   * Longest line accepted, in characters (default 1 MiB). A peer that never sends a newline
   * could otherwise make us buffer without bound; a longer line throws a RangeError.
   */
  maxLineLength?: number;
}

const DEFAULT_MAX_LINE = 1 << 20;

/**
 * Yields each line of `source` without its terminator (`\n` or `\r\n`), as soon as the line is
 * complete. UTF-8 sequences split across chunks are reassembled; a final line without a newline
 * is still yielded; blank lines are skipped (NDJSON allows a reader to ignore them).
 */
export async function* splitLines(source: ChunkSource, options: SplitLinesOptions = {}): AsyncGenerator<string> {
  const max = options.maxLineLength ?? DEFAULT_MAX_LINE;
  // One decoder for the whole stream, in streaming mode, so a multi-byte character cut by a
  // chunk boundary is held back until its remaining bytes arrive.
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  for await (const chunk of chunks(source)) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) !== -1) {
      const line = trimCr(buffer.slice(0, nl));
      buffer = buffer.slice(nl + 1);
      if (line.length > max) throw new RangeError(`an NDJSON line is longer than ${max} characters`);
      if (line.trim() !== '') yield line;
    }
    if (buffer.length > max) throw new RangeError(`an NDJSON line is longer than ${max} characters`);
  }
  buffer += decoder.decode();
  const last = trimCr(buffer);
  if (last.trim() !== '') yield last;
}

/** One value as one NDJSON line, newline included. JSON.stringify never emits a raw newline. */
export function ndjsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n';
}

function trimCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Normalises the accepted sources to one async iterable, releasing a reader lock when done. */
async function* chunks(source: ChunkSource): AsyncGenerator<Uint8Array | string> {
  if (isReadableStream(source)) {
    // getReader() rather than async iteration: every runtime we target has it.
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value !== undefined) yield value;
      }
    } finally {
      // Cancelling tells the producer (e.g. a fetch body) that nobody reads any more.
      await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  } else {
    yield* source as AsyncIterable<Uint8Array | string>;
  }
}

function isReadableStream(x: ChunkSource): x is ReadableStream<Uint8Array> {
  return typeof (x as ReadableStream<Uint8Array>).getReader === 'function';
}
