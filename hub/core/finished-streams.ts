/**
 * The measurement streams a hub served and keeps for a few minutes so that their owner can share
 * one (issue 18: a share link shows what the hub measured, never what a browser uploads).
 *
 * Only streams whose client asked for it are recorded (`POST /v1/measurements` with
 * `x-meshprobe-keep: 1`; the page does); the route tags such a stream with an id
 * (`x-meshprobe-stream`). What is kept is bounded three ways: events and bytes per stream (a
 * stream over either bound is dropped, not truncated: a share is of the whole run), the last
 * `perSubject` finished streams of a subject, and `totalBytes` over everyone (oldest first out).
 * Memory only: a hub restart forgets them, which costs a re-run, not a wrong link.
 */

/** Options of {@link FinishedStreams}. */
export interface FinishedStreamsOptions {
  /** Events one kept stream may hold (a /16 sweep's 65,536 hosts fit). Default 70,000. */
  maxEvents?: number;
  /** Characters of JSON one kept stream may hold (its events as one array). Default 8 Mi. */
  maxBytes?: number;
  /** Finished streams kept per subject (older ones go). Default 5. */
  perSubject?: number;
  /** Characters kept over all subjects (the oldest stream goes first). Default 64 Mi. */
  totalBytes?: number;
  /** How long a finished stream is kept, ms. Default 10 minutes. */
  keepMs?: number;
  /** The clock, ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** A finished stream as the hub served it. */
export interface FinishedStream {
  id: string;
  /** Who ran it (Principal.subject): only they may share it. */
  owner: string;
  /** What the hub ran, in words (a label for the share page). */
  command: string;
  /** The events as a JSON array text, `done` last. */
  eventsJson: string;
  events: number;
  bytes: number;
  finishedAt: number;
}

/** One stream being recorded: feed it each NDJSON line served, then finish it. */
export interface StreamRecording {
  readonly id: string;
  /** Adds one served line (an event's NDJSON, newline included). */
  add(line: string): void;
  /** The stream ended: keep it if it ended with `done` within the bounds. */
  finish(endedWithDone: boolean): void;
}

/** The recently finished streams kept for sharing; see the file comment. */
export class FinishedStreams {
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly #perSubject: number;
  readonly #totalBytes: number;
  /** How long a finished stream is kept, ms. */
  readonly keepMs: number;
  readonly #now: () => number;
  /** Insertion order is finishing order: the first is the oldest. */
  readonly #kept = new Map<string, FinishedStream>();
  #bytes = 0;

  constructor(o: FinishedStreamsOptions = {}) {
    this.maxEvents = o.maxEvents ?? 70_000;
    this.maxBytes = o.maxBytes ?? 8 * 1024 * 1024;
    this.#perSubject = o.perSubject ?? 5;
    this.#totalBytes = o.totalBytes ?? 64 * 1024 * 1024;
    this.keepMs = o.keepMs ?? 10 * 60_000;
    this.#now = o.now ?? Date.now;
    if (this.#perSubject < 1 || this.maxEvents < 1 || this.maxBytes < 1) throw new Error('FinishedStreams: the bounds must be at least 1');
  }

  /** Starts recording a stream of `owner` under a new unguessable `id`. */
  record(id: string, owner: string, command: string): StreamRecording {
    const lines: string[] = [];
    let bytes = 2; // the brackets
    let over = false;
    return {
      id,
      add: (line) => {
        if (over) return;
        const text = line.endsWith('\n') ? line.slice(0, -1) : line;
        bytes += text.length + (lines.length > 0 ? 1 : 0);
        if (lines.length + 1 > this.maxEvents || bytes > this.maxBytes) {
          over = true;
          lines.length = 0;
          return;
        }
        lines.push(text);
      },
      finish: (endedWithDone) => {
        if (over || !endedWithDone || lines.length === 0) return;
        this.#keep({ id, owner, command, eventsJson: `[${lines.join(',')}]`, events: lines.length, bytes, finishedAt: this.#now() });
      },
    };
  }

  /** The finished stream `id` if `owner` ran it and it is still kept. */
  get(id: string, owner: string): FinishedStream | undefined {
    this.#expire();
    const s = this.#kept.get(id);
    return s && s.owner === owner ? s : undefined;
  }

  /** Streams and bytes kept now (for tests and metrics). */
  get size(): { streams: number; bytes: number } {
    this.#expire();
    return { streams: this.#kept.size, bytes: this.#bytes };
  }

  #keep(s: FinishedStream): void {
    this.#expire();
    this.#kept.set(s.id, s);
    this.#bytes += s.bytes;
    const mine = [...this.#kept.values()].filter((k) => k.owner === s.owner);
    for (let i = 0; i < mine.length - this.#perSubject; i++) this.#drop(mine[i]!.id);
    for (const old of this.#kept.values()) {
      if (this.#bytes <= this.#totalBytes) break;
      this.#drop(old.id);
    }
  }

  #expire(): void {
    const cutoff = this.#now() - this.keepMs;
    for (const s of this.#kept.values()) {
      if (s.finishedAt > cutoff) break;
      this.#drop(s.id);
    }
  }

  #drop(id: string): void {
    const s = this.#kept.get(id);
    if (!s) return;
    this.#kept.delete(id);
    this.#bytes -= s.bytes;
  }
}
