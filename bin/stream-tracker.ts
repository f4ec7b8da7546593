/**
 * Follows a measurement stream on the CLI side: which agent×target parts are still open, what
 * they have seen, and the exit status the stream deserves. On Ctrl-C it produces the
 * statistics so far, like iputils ping does when interrupted.
 */
import { ErrorCode } from '../shared/model/errors.ts';
import { DoneTally } from '../shared/model/events.ts';
import type { DoneEvent, MeasurementEvent, StartEvent, SummaryEvent } from '../shared/model/events.ts';
import { computeStats, roundMs } from '../shared/model/stats.ts';
import { MeasurementFold, type FoldPart } from '../shared/render/measurement-fold.ts';

/** What an interrupted part's statistics are computed from (every seq, not capped like the fold's lines). */
interface Open {
  start: StartEvent;
  startedAt: number;
  seqs: Set<number>;
  rtts: number[];
}

/** Exit statuses, iputils-compatible: 0 replies, 1 no reply (or a part failed), 2 could not run. */
export const Exit = { Ok: 0, NoReply: 1, Usage: 2 } as const;

/** Errors that mean "your input cannot be measured" (iputils exits 2 for an unknown host). */
const INPUT_ERRORS = new Set<string>([ErrorCode.ResolveFailed, ErrorCode.BadRequest, ErrorCode.PolicyRefused, ErrorCode.NoAgent]);

export class StreamTracker {
  /** Parts and their order come from the fold; it keeps no lines, the open parts keep their seqs. */
  readonly #fold = new MeasurementFold({ maxLines: 0, maxHosts: 0 });
  readonly #open = new Map<FoldPart, Open>();
  readonly #tally = new DoneTally();
  readonly #now: () => number;
  #summaries = 0;
  #silentParts = 0;
  #inputErrors = 0;
  #otherErrors = 0;
  #events = 0;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Feeds one event of the stream (done included). */
  add(raw: MeasurementEvent): void {
    this.#events++;
    // Malformed fields are bounded (shared/model/event-guard.ts); what is not an event still counts as seen.
    const change = this.#fold.add(raw);
    if (!change) return;
    const { event: e, part } = change;
    this.#tally.add(e);
    const open = part && this.#open.get(part);
    switch (e.type) {
      case 'start':
        if (part) this.#open.set(part, { start: e, startedAt: this.#now(), seqs: new Set(), rtts: [] });
        break;
      case 'reply': {
        if (open && !open.seqs.has(e.seq)) open.rtts.push(e.rttMs);
        open?.seqs.add(e.seq);
        break;
      }
      case 'timeout':
      case 'icmp-error':
        open?.seqs.add(e.seq);
        break;
      case 'summary':
        if (part) this.#open.delete(part);
        this.#summaries++;
        if (e.received === 0) this.#silentParts++;
        break;
      case 'error':
        if (part) this.#open.delete(part);
        if (INPUT_ERRORS.has(e.code)) this.#inputErrors++;
        else if (e.code !== ErrorCode.Cancelled) this.#otherErrors++;
        break;
      default:
        break;
    }
  }

  /**
   * Summaries for the parts that started but did not finish, from what was seen so far, and
   * the `done` that totals the stream with them. Feed them to the renderer after an interrupt.
   */
  finishInterrupted(durationMs: number): { summaries: SummaryEvent[]; done: DoneEvent } {
    const summaries: SummaryEvent[] = [];
    const now = this.#now();
    for (const p of this.#open.values()) {
      const s: SummaryEvent = {
        type: 'summary',
        agent: p.start.agent,
        target: p.start.target,
        measurement: p.start.measurement,
        address: p.start.address,
        durationMs: roundMs(Math.max(0, now - p.startedAt)),
        ...computeStats(p.seqs.size, p.rtts),
      };
      summaries.push(s);
    }
    for (const s of summaries) this.add(s);
    return { summaries, done: this.#tally.done(roundMs(durationMs)) };
  }

  /** The exit status the stream deserves (see {@link Exit}). */
  exitCode(): number {
    if (this.#inputErrors > 0) return Exit.Usage;
    if (this.#otherErrors > 0 || this.#silentParts > 0 || this.#summaries === 0) return Exit.NoReply;
    return Exit.Ok;
  }

  /** Whether any event was seen. */
  get sawEvents(): boolean {
    return this.#events > 0;
  }

  /** Whether an error event was about bad input (the CLI then also prints the usage). */
  get hadInputError(): boolean {
    return this.#inputErrors > 0;
  }
}
