/**
 * iputils ping's schedule, shared by ICMP ping (ping.ts) and TCP/UDP ping (transport-ping.ts):
 * `count` probes `intervalMs` apart, each settled by its answer or by a timeout after
 * `timeoutMs`, then one summary. Abort ends the run early with the summary so far. A send the
 * kernel refuses ends it with an error event and no summary: every further probe would fail the
 * same way. The probers differ only in how a probe leaves and how its answer comes back.
 */
import type { IcmpErrorKind, StartEvent } from '../../../shared/model/events.ts';
import { ErrorCode } from '../../../shared/model/errors.ts';
import { computeStats, roundMs } from '../../../shared/model/stats.ts';
import type { ProbeContext } from '../per-target.ts';

/** What came back for one probe, with its RTT; the schedule turns it into the event. */
export type PingAnswer =
  | { type: 'reply'; rttMs: number; ttl: number | null; bytes: number; from: string; kind?: string }
  | { type: 'icmp-error'; rttMs: number; kind: IcmpErrorKind; icmpType: number; icmpCode: number; from: string; message: string; mtu?: number };

/** A probe that left. `done` runs once it is settled (answered, timed out, or the run ended), so late answers are dropped. */
export interface SentProbe {
  done?(): void;
}

/** Options of {@link runPingSchedule}. */
export interface PingScheduleOptions {
  count: number;
  intervalMs: number;
  timeoutMs: number;
  /**
   * iputils `-w`: the run ends this many ms after the start, whatever is still to send or in
   * flight (those count as lost in the summary). Absent: it ends when `count` probes are settled.
   */
  deadlineMs?: number;
  /** Emitted first; the run's clock starts here. Its address names the target in the summary and errors. */
  start: StartEvent;
  /**
   * Sends probe `seq` (1-based); `answer` is called when it is answered. Returns `{ refused }`
   * (the kernel's reason) when the probe could not be sent and the run must stop.
   */
  send(seq: number, answer: (a: PingAnswer) => void): SentProbe | { refused: string };
}

/** Runs the schedule; resolves after the summary (or the error that stopped it). */
export function runPingSchedule(ctx: Pick<ProbeContext, 'agent' | 'target' | 'emit' | 'signal'>, o: PingScheduleOptions): Promise<void> {
  const { agent, target, emit, signal } = ctx;
  const address = o.start.address;
  const started = performance.now();
  emit(o.start);
  const rtts: number[] = [];
  const inFlight = new Map<number, { probe: SentProbe; timer: NodeJS.Timeout }>();
  let sent = 0;
  let sendTimer: NodeJS.Timeout | undefined;
  let deadlineTimer: NodeJS.Timeout | undefined;
  let finished = false;

  return new Promise<void>((resolve) => {
    const stop = () => {
      finished = true;
      clearTimeout(sendTimer);
      clearTimeout(deadlineTimer);
      for (const f of inFlight.values()) {
        clearTimeout(f.timer);
        f.probe.done?.();
      }
      inFlight.clear();
      signal.removeEventListener('abort', finish);
    };
    function finish(): void {
      if (finished) return;
      stop();
      emit({ type: 'summary', agent, target, measurement: 'ping', address, durationMs: roundMs(performance.now() - started), ...computeStats(sent, rtts) });
      resolve();
    }
    const settle = (seq: number) => {
      const f = inFlight.get(seq);
      if (f) {
        clearTimeout(f.timer);
        f.probe.done?.();
      }
      inFlight.delete(seq);
      if (sent >= o.count && inFlight.size === 0) finish();
    };
    const answer = (seq: number, a: PingAnswer) => {
      if (finished || !inFlight.has(seq)) return;
      if (a.type === 'reply') {
        rtts.push(a.rttMs);
        emit({ type: 'reply', agent, target, seq, ttl: a.ttl, rttMs: a.rttMs, bytes: a.bytes, from: a.from, ...(a.kind !== undefined ? { kind: a.kind } : {}) });
      } else {
        emit({
          type: 'icmp-error', agent, target, seq, kind: a.kind, icmpType: a.icmpType, icmpCode: a.icmpCode, from: a.from,
          ...(a.mtu !== undefined ? { mtu: a.mtu } : {}),
          message: a.message, rttMs: a.rttMs,
        });
      }
      settle(seq);
    };
    const sendOne = () => {
      if (finished || signal.aborted) return;
      const seq = sent + 1;
      const r = o.send(seq, (a) => answer(seq, a));
      if ('refused' in r) {
        emit({ type: 'error', agent, target, code: ErrorCode.Internal, message: `cannot send to ${address}: ${r.refused}` });
        stop();
        resolve();
        return;
      }
      sent++;
      inFlight.set(seq, {
        probe: r,
        // libuv runs due timers before it polls sockets, so on a busy loop this timer can fire
        // while the answer already waits in the socket. Deciding one turn later (setImmediate
        // runs after the poll phase) lets a queued answer settle the probe first.
        timer: setTimeout(() => {
          setImmediate(() => {
            if (finished || !inFlight.has(seq)) return;
            emit({ type: 'timeout', agent, target, seq });
            settle(seq);
          });
        }, o.timeoutMs),
      });
      if (sent < o.count) {
        // Scheduled against the start, so timer lateness does not accumulate over the run.
        const due = started + sent * o.intervalMs;
        sendTimer = setTimeout(sendOne, Math.max(0, due - performance.now()));
      }
    };
    signal.addEventListener('abort', finish, { once: true });
    if (o.deadlineMs !== undefined) deadlineTimer = setTimeout(finish, Math.max(0, started + o.deadlineMs - performance.now()));
    sendOne();
  });
}
