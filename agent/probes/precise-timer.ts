/**
 * Runs a function at a time on performance.now()'s clock with sub-100 µs lateness, which libuv's
 * millisecond timers cannot give (a setTimeout fires up to ~1 ms late). It sleeps on a timer
 * until ~1.5 ms before the time, then turns the event loop with setImmediate (I/O keeps flowing:
 * each turn polls) until the time has come. The turning costs CPU for those last 1.5 ms only, so
 * it is for series with short intervals (a 1 ms TCP echo); long intervals barely spin.
 *
 * Each setImmediate turn allocates ~0.4–0.7 KB inside Node (the Immediate and processImmediate's
 * bookkeeping), and a loop turning ~750 times a millisecond fills V8's young generation every
 * few milliseconds: at 1 ms intervals that was 30–50 scavenges a second of ~0.2–0.4 ms each, and a
 * probe due during one left that late (the p99 of ~170–220 µs of bench/tcp-echo.ts). So while the
 * caller expects no I/O (`quiet`, e.g. no probe awaiting its answer) a turn busy-waits on the
 * clock for up to {@link QUANTUM_MS} before it yields: ~20 turns a millisecond instead of ~750,
 * other I/O delayed by at most the quantum. While an answer is awaited the loop turns freely, so
 * that the answer is read (and timed) as soon as it arrives.
 */

/** How long before its time a call stops sleeping and starts turning the loop, ms. */
const SPIN_MS = 1.5;
/** The longest a quiet turn busy-waits before it lets the loop poll, ms. */
export const QUANTUM_MS = 0.05;

/** A scheduled call; cancel() stops it. */
export interface PreciseTimer {
  cancel(): void;
}

/**
 * Calls `fn(lateMs)` at `due` (performance.now() ms) or as soon after as the loop allows.
 * `spin` false: a plain timer (up to ~1 ms late, or ~2 ms when it woke early), for long intervals where many series run at once
 * and their spinning windows would overlap into a busy loop. `quiet`, asked on each turn of the
 * spinning window: true when the caller awaits no I/O, so that the turn may busy-wait a quantum.
 */
export function runAt(due: number, fn: (lateMs: number) => void, spin = true, quiet?: () => boolean): PreciseTimer {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const turn = () => {
    if (cancelled) return;
    let now = performance.now();
    if (now < due && spin && due - now <= SPIN_MS && quiet?.() === true) {
      const until = Math.min(due, now + QUANTUM_MS);
      while (now < until) now = performance.now();
    }
    if (now >= due) {
      fn(now - due);
      return;
    }
    // libuv's timers count whole milliseconds from a cached loop time, so one can fire up to ~1 ms
    // before `due`: it turns again and, still early, sleeps again (≥ 1 ms) rather than run early.
    if (!spin) timer = setTimeout(turn, due - now);
    else if (due - now > SPIN_MS) timer = setTimeout(turn, Math.floor(due - now - SPIN_MS));
    else immediate = setImmediate(turn);
  };
  turn();
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
