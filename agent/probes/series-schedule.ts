/**
 * The schedule of the types that time a series of exchanges over a transport (a TCP echo, a
 * one-way-delay exchange, a connect): `count` probes `intervalMs` apart on a precise timer
 * (precise-timer.ts), each settled by its answer or a timeout, then a summary with statistics
 * and the type's own report. Abort ends the run early with the summary so far. Probes are due
 * at start + n·interval, so lateness never accumulates; `onSend` sees each probe's lateness.
 */
import type { StartEvent, ToolReport } from '../../shared/model/events.ts';
import { computeStats, roundMs } from '../../shared/model/stats.ts';
import type { ProbeContext } from './per-target.ts';
import { runAt, type PreciseTimer } from './precise-timer.ts';

/**
 * Intervals below this are kept to the precise timer's turning of the loop; longer ones use
 * plain timers (up to ~1 ms late), so that a thousand slow series do not spin the loop together.
 */
const PRECISE_BELOW_MS = 50;

/** What came back for one probe. */
export interface SeriesAnswer {
  rttMs: number;
  from: string;
  bytes: number;
  kind?: string;
  forwardMs?: number;
  reverseMs?: number;
}

/** Options of {@link runSeries}. */
export interface SeriesOptions {
  /** Probes, at most Limits.maxCount (the spec's bound; the schedule keeps a slot per probe). */
  count: number;
  intervalMs: number;
  /** The timeout of the next probe, ms (an adaptive one changes). */
  timeoutMs: () => number;
  start: StartEvent;
  /**
   * Sends probe `seq` (1-based); `answer` settles it. Returns false when it could not leave (the
   * connection is down): it counts as sent and lost at once.
   */
  send(seq: number, answer: (a: SeriesAnswer) => void): boolean;
  /** Probe `seq` timed out (the adaptive timeout backs off). */
  onTimeout?(seq: number): void;
  /** Probe `seq` left `lateMs` after its time (the bench reads it). */
  onSend?(seq: number, lateMs: number): void;
  /** The type's report for the summary. */
  report?(): ToolReport;
}

/** Runs the series; resolves after the summary. */
export function runSeries(ctx: Pick<ProbeContext, 'agent' | 'target' | 'emit' | 'signal'>, o: SeriesOptions): Promise<void> {
  const { agent, target, emit, signal } = ctx;
  const address = o.start.address;
  const measurement = o.start.measurement;
  emit(o.start);
  const started = performance.now();
  const rtts: number[] = [];
  // Probe seq awaits its answer until deadlines[seq] (performance.now() ms); 0: settled. Indexed by
  // seq (count is bounded by Limits.maxCount): no Map entry and no timer per probe, one sweep timer
  // for the earliest deadline instead, so that a 1 ms series allocates little (precise-timer.ts).
  const deadlines = new Float64Array(o.count + 1);
  let awaiting = 0;
  // Every probe below `oldest` is settled.
  let oldest = 1;
  let sweep: NodeJS.Timeout | undefined;
  let sweepAt = Number.POSITIVE_INFINITY;
  let sent = 0;
  let next: PreciseTimer | undefined;
  let finished = false;

  return new Promise<void>((resolve) => {
    function finish(): void {
      if (finished) return;
      finished = true;
      next?.cancel();
      clearTimeout(sweep);
      signal.removeEventListener('abort', finish);
      const report = o.report?.();
      emit({ type: 'summary', agent, target, measurement, address, durationMs: roundMs(performance.now() - started), ...computeStats(sent, rtts), ...(report ? { report } : {}) });
      resolve();
    }
    const settle = (seq: number) => {
      deadlines[seq] = 0;
      awaiting--;
      if (sent >= o.count && awaiting === 0) finish();
    };
    const lost = (seq: number) => {
      emit({ type: 'timeout', agent, target, seq });
      o.onTimeout?.(seq);
      settle(seq);
    };
    const arm = (at: number) => {
      clearTimeout(sweep);
      sweepAt = at;
      sweep = setTimeout(onSweep, Math.max(1, at - performance.now()));
    };
    // Decided one loop turn after the timer, so that an answer already waiting in the socket settles
    // its probe first.
    const onSweep = () => {
      sweep = undefined;
      sweepAt = Number.POSITIVE_INFINITY;
      setImmediate(expire);
    };
    const expire = () => {
      const now = performance.now();
      let earliest = Number.POSITIVE_INFINITY;
      for (let seq = oldest; seq <= sent && !finished; seq++) {
        const d = deadlines[seq]!;
        if (d === 0) {
          if (seq === oldest) oldest++;
        } else if (d <= now) {
          lost(seq);
          if (seq === oldest) oldest++;
        } else if (d < earliest) earliest = d;
      }
      if (!finished && earliest < sweepAt) arm(earliest);
    };
    const answer = (seq: number, a: SeriesAnswer) => {
      if (finished || deadlines[seq] === 0) return;
      const rttMs = roundMs(a.rttMs);
      rtts.push(rttMs);
      emit({
        type: 'reply', agent, target, seq, ttl: null, rttMs, bytes: a.bytes, from: a.from,
        ...(a.kind !== undefined ? { kind: a.kind } : {}),
        ...(a.forwardMs !== undefined ? { forwardMs: roundMs(a.forwardMs) } : {}),
        ...(a.reverseMs !== undefined ? { reverseMs: roundMs(a.reverseMs) } : {}),
      });
      settle(seq);
    };
    const quiet = () => awaiting === 0;
    const sendOne = (lateMs: number) => {
      if (finished || signal.aborted) return;
      const seq = ++sent;
      o.onSend?.(seq, lateMs);
      // The deadline is set first: a send that fails settles the probe at once.
      const deadline = performance.now() + o.timeoutMs();
      deadlines[seq] = deadline;
      awaiting++;
      if (deadline < sweepAt) arm(deadline);
      if (!o.send(seq, (a) => answer(seq, a))) lost(seq);
      if (sent < o.count && !finished) next = runAt(started + sent * o.intervalMs, sendOne, o.intervalMs < PRECISE_BELOW_MS, quiet);
    };
    signal.addEventListener('abort', finish, { once: true });
    sendOne(0);
  });
}
