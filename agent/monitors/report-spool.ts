/**
 * The agent's numbered monitor reports that the hub has not acknowledged yet (design §11): kept
 * in order, bounded, and with a data dir on disk, so that neither a cut to the hub nor a restart
 * of the agent loses a minute.
 *
 * On disk (`<dir>/spool.ndjson`, `<dir>/spool.state`): every report is one line appended and
 * fsynced before it is sent (`{"seq":N,"n":ROWS,"rows":[…],"routes":[…]}`), and the state file
 * holds the highest seq the hub acknowledged. Memory holds only each line's offset and length,
 * so an hour without the hub costs disk, not RSS. When everything is acknowledged the file is
 * truncated; a long acknowledged head is cut off by rewriting the rest. A torn last line (the
 * agent died writing it) is dropped at the next start. Without a dir, the lines are kept in
 * memory instead, under the same bound.
 *
 * The bound is in rows; past it the oldest reports are dropped, each drop logged with the bound
 * named, since that is data the hub will never see.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { MonitorReport } from '../../shared/wire/agent-link.ts';

export interface ReportSpoolOptions {
  /** Directory of the spool files; none = memory only. */
  dir?: string;
  /** Rows kept at most before the oldest reports are dropped. */
  maxRows: number;
  log: (line: string) => void;
}

interface Entry {
  seq: number;
  rows: number;
  /** On disk: where the line is. */
  offset: number;
  length: number;
  /** In memory: the line. */
  text?: string;
}

const LINE_HEAD = /^\{"seq":(\d+),"n":(\d+),/;
/** An acknowledged head longer than this (and than the rest) is cut off the file. */
const COMPACT_BYTES = 64 << 20;

export class ReportSpool {
  readonly #o: ReportSpoolOptions;
  readonly #entries: Entry[] = [];
  #fd: number | undefined;
  #size = 0;
  #rows = 0;
  #acked = -1;
  #nextSeq = 0;

  constructor(o: ReportSpoolOptions) {
    this.#o = o;
    if (o.dir) this.#load(o.dir);
  }

  /** Reports waiting for an ack, oldest first. */
  get pending(): readonly { seq: number; rows: number }[] {
    return this.#entries;
  }

  /** Rows waiting for an ack. */
  get rows(): number {
    return this.#rows;
  }

  /** A new report number (also for reports that are sent but not kept, like the open minute's). */
  allocateSeq(): number {
    return this.#nextSeq++;
  }

  /** Keeps `report` (durably, with a dir) until it is acknowledged. */
  append(report: MonitorReport): void {
    const text = `${JSON.stringify({ seq: report.seq, n: report.rows.length, rows: report.rows, ...(report.routes?.length ? { routes: report.routes } : {}) })}\n`;
    const entry: Entry = { seq: report.seq, rows: report.rows.length, offset: this.#size, length: Buffer.byteLength(text) };
    if (this.#fd !== undefined) {
      writeSync(this.#fd, text);
      fsyncSync(this.#fd);
      this.#size += entry.length;
    } else entry.text = text;
    this.#entries.push(entry);
    this.#rows += entry.rows;
    this.#bound();
  }

  /** The report of a pending entry. */
  read(seq: number): MonitorReport | undefined {
    const e = this.#entries.find((x) => x.seq === seq);
    if (!e) return undefined;
    let text = e.text;
    if (text === undefined) {
      const buf = Buffer.alloc(e.length);
      readSync(this.#fd!, buf, 0, e.length, e.offset);
      text = buf.toString('utf8');
    }
    const { seq: s, rows, routes } = JSON.parse(text) as MonitorReport;
    return { seq: s, rows, ...(routes ? { routes } : {}) };
  }

  /** The hub stored everything up to `seq`: forgets it. */
  ack(seq: number): void {
    let dropped = 0;
    while (this.#entries.length && this.#entries[0]!.seq <= seq) {
      this.#rows -= this.#entries.shift()!.rows;
      dropped++;
    }
    if (seq > this.#acked) this.#acked = seq;
    if (dropped > 0) this.#afterDrop();
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #bound(): void {
    let dropped = 0;
    while (this.#rows > this.#o.maxRows && this.#entries.length > 1) {
      const e = this.#entries.shift()!;
      this.#rows -= e.rows;
      this.#acked = Math.max(this.#acked, e.seq);
      dropped++;
      this.#o.log(`monitors: the report buffer holds more than ${this.#o.maxRows} rows (its bound while the hub does not acknowledge); dropped the oldest report (seq ${e.seq}, ${e.rows} rows)`);
    }
    if (dropped > 0) this.#afterDrop();
  }

  /** Records the ack on disk and keeps the file short. */
  #afterDrop(): void {
    const dir = this.#o.dir;
    if (!dir || this.#fd === undefined) return;
    if (this.#entries.length === 0) {
      ftruncateSync(this.#fd, 0);
      fsyncSync(this.#fd);
      this.#size = 0;
    } else if (this.#entries[0]!.offset > COMPACT_BYTES && this.#entries[0]!.offset > this.#size / 2) {
      this.#compact(dir);
    }
    writeDurably(join(dir, 'spool.state'), JSON.stringify({ acked: this.#acked, next: this.#nextSeq }));
  }

  /** Rewrites the pending lines into a new file (the acknowledged head is gone). */
  #compact(dir: string): void {
    const from = this.#entries[0]!.offset;
    const tmp = join(dir, 'spool.ndjson.tmp');
    const out = openSync(tmp, 'w');
    const buf = Buffer.alloc(1 << 20);
    for (let pos = from; pos < this.#size; ) {
      const n = readSync(this.#fd!, buf, 0, Math.min(buf.length, this.#size - pos), pos);
      if (n <= 0) break;
      writeSync(out, buf, 0, n);
      pos += n;
    }
    fsyncSync(out);
    closeSync(out);
    renameSync(tmp, join(dir, 'spool.ndjson'));
    syncDir(dir);
    closeSync(this.#fd!);
    this.#fd = openSync(join(dir, 'spool.ndjson'), 'a+');
    for (const e of this.#entries) e.offset -= from;
    this.#size -= from;
  }

  /** Reads the state and indexes the spool's lines; a torn last line is cut off. */
  #load(dir: string): void {
    mkdirSync(dir, { recursive: true });
    try {
      const state = JSON.parse(readText(join(dir, 'spool.state'))) as { acked?: unknown; next?: unknown };
      if (typeof state.acked === 'number') this.#acked = state.acked;
      if (typeof state.next === 'number') this.#nextSeq = state.next;
    } catch {
      // no state yet (or unreadable): every line in the spool is pending
    }
    const fd = openSync(join(dir, 'spool.ndjson'), 'a+');
    this.#fd = fd;
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(1 << 20);
    let lineStart = 0;
    let carry = Buffer.alloc(0);
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      let chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      const chunkStart = pos - carry.length;
      let i: number;
      let from = 0;
      while ((i = chunk.indexOf(10, from)) >= 0) {
        const head = chunk.subarray(from, Math.min(i, from + 64)).toString('latin1');
        const m = LINE_HEAD.exec(head);
        const length = i + 1 - from;
        if (m) {
          const seq = Number(m[1]);
          if (seq > this.#acked) {
            this.#entries.push({ seq, rows: Number(m[2]), offset: chunkStart + from, length });
            this.#rows += Number(m[2]);
          }
          this.#nextSeq = Math.max(this.#nextSeq, seq + 1);
        }
        from = i + 1;
        lineStart = chunkStart + from;
      }
      carry = Buffer.from(chunk.subarray(from));
      chunk = Buffer.alloc(0);
      pos += n;
    }
    if (lineStart < size) {
      ftruncateSync(fd, lineStart);
      fsyncSync(fd);
      this.#o.log(`monitors: dropped a torn report at the end of ${join(dir, 'spool.ndjson')} (the agent stopped while writing it)`);
    }
    this.#size = lineStart;
    this.#nextSeq = Math.max(this.#nextSeq, this.#acked + 1);
    if (this.#entries.length) this.#o.log(`monitors: ${this.#entries.length} reports (${this.#rows} rows) from before the restart wait for the hub`);
  }
}

function readText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(size);
    readSync(fd, buf, 0, size, 0);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Writes `path` atomically and durably: a temporary file, fsynced, renamed over it, the directory fsynced. */
export function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(join(path, '..'));
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // some file systems cannot fsync a directory; the rename is still atomic
  }
}
