/**
 * The agent's monitor assignments on disk (`<dataDir>/monitors/`), so that a restarted agent
 * resumes them without the hub: `assignments.json` holds a whole set and its scope, and
 * `assignments.log` the changes made since, one JSON line each (`{"set":[…],"drop":[…]}`).
 *
 * Durable first: a whole set is written atomically and fsynced, a change is appended and fsynced,
 * before either takes effect. A change costs a line of its own size, not a rewrite of the set
 * (~1 MB at 10,000 monitors, which the hub would otherwise have the agent write for every monitor
 * added). When the journal has grown past the set's size (and {@link MIN_COMPACT_BYTES}) the set is
 * written whole again and the journal emptied; a crash in between replays the journal onto the new
 * set, which changes nothing, since a line sets and drops by id.
 *
 * A line cut short by a crash was never applied (its fsync had not returned): reading stops there.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MonitorAssignment } from '../../shared/model/monitor-types.ts';
import type { AgentMonitors } from '../../shared/wire/agent-link.ts';
import { writeDurably } from './report-spool.ts';

export type Scope = Parameters<AgentMonitors['assign']>[1];

/** What was saved: the set in id order of its last write, then the changes applied. */
export interface SavedAssignments {
  list: MonitorAssignment[];
  scope: Scope;
  /** Changes replayed from the journal (the log says so). */
  changes: number;
}

/** The journal is compacted no sooner than this, however small the set. */
const MIN_COMPACT_BYTES = 64 * 1024;

export class AssignmentFile {
  readonly #base: string;
  readonly #journal: string;
  /** Bytes of the set as last written, and of the journal since. */
  #baseBytes = 0;
  #journalBytes = 0;
  #fd: number | undefined;

  constructor(dir: string) {
    this.#base = join(dir, 'assignments.json');
    this.#journal = join(dir, 'assignments.log');
  }

  /** The saved set with the journal applied; undefined when none was saved (or it is unreadable). */
  load(): SavedAssignments | undefined {
    let saved: { list: MonitorAssignment[]; scope: Scope };
    try {
      const text = readFileSync(this.#base, 'utf8');
      saved = JSON.parse(text) as typeof saved;
      this.#baseBytes = Buffer.byteLength(text);
    } catch {
      return undefined;
    }
    if (!saved || !Array.isArray(saved.list) || !saved.scope) return undefined;
    const byId = new Map(saved.list.map((a) => [a.id, a]));
    let changes = 0;
    if (existsSync(this.#journal)) {
      const text = readFileSync(this.#journal, 'utf8');
      // Whole lines only: a line without its newline is the tail of a crash, never applied.
      for (let at = 0, end = text.indexOf('\n'); end >= 0; at = end + 1, end = text.indexOf('\n', at)) {
        let c: { set?: MonitorAssignment[]; drop?: number[] };
        try {
          c = JSON.parse(text.slice(at, end)) as typeof c;
        } catch {
          break;
        }
        for (const id of c.drop ?? []) byId.delete(id);
        for (const a of c.set ?? []) byId.set(a.id, a);
        changes++;
        this.#journalBytes += Buffer.byteLength(text.slice(at, end + 1));
      }
    }
    return { list: [...byId.values()], scope: saved.scope, changes };
  }

  /** Writes a whole set (atomically, fsynced) and empties the journal. */
  writeAll(list: readonly MonitorAssignment[], scope: Scope): void {
    const text = JSON.stringify({ list, scope });
    writeDurably(this.#base, text);
    this.#baseBytes = Buffer.byteLength(text);
    const fd = this.#open();
    ftruncateSync(fd, 0);
    fsyncSync(fd);
    this.#journalBytes = 0;
  }

  /**
   * Appends a change (fsynced). `whole` gives the set after it: when the journal has outgrown the
   * set, the set is written whole instead.
   */
  append(set: readonly MonitorAssignment[], drop: readonly number[], whole: () => { list: readonly MonitorAssignment[]; scope: Scope }): void {
    const line = `${JSON.stringify({ set, drop })}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.#journalBytes + bytes > Math.max(MIN_COMPACT_BYTES, this.#baseBytes)) {
      const w = whole();
      this.writeAll(w.list, w.scope);
      return;
    }
    const fd = this.#open();
    // Appended where the journal ends (a cut tail of a crash is overwritten).
    writeSync(fd, line, this.#journalBytes);
    fsyncSync(fd);
    this.#journalBytes += bytes;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): number {
    if (this.#fd === undefined) {
      this.#fd = openSync(this.#journal, existsSync(this.#journal) ? 'r+' : 'w+');
      // A tail cut short by a crash is dropped, so the next line starts clean.
      if (fstatSync(this.#fd).size > this.#journalBytes) ftruncateSync(this.#fd, this.#journalBytes);
    }
    return this.#fd;
  }
}
