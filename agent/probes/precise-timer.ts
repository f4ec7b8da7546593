/**
 * Runs a function at a time on performance.now()'s clock with sub-100 µs lateness, which libuv's
 * millisecond timers cannot give (a setTimeout fires up to ~1 ms late). It sleeps on a timer
 * until ~1.5 ms before the time, then turns the event loop with setImmediate (I/O keeps flowing:
 * each turn polls) until the time has come. The turning costs CPU for those last 1.5 ms only, so
 * it is for series with short intervals (a 1 ms TCP echo); long intervals barely spin.
 */

/** How long before its time a call stops sleeping and starts turning the loop, ms. */
const SPIN_MS = 1.5;

/** A scheduled call; cancel() stops it. */
export interface PreciseTimer {
  cancel(): void;
}

/**
 * Calls `fn(lateMs)` at `due` (performance.now() ms) or as soon after as the loop allows.
 * `spin` false: a plain timer (up to ~1 ms late), for long intervals where many series run at once
 * and their spinning windows would overlap into a busy loop.
 */
export function runAt(due: number, fn: (lateMs: number) => void, spin = true): PreciseTimer {
  const spinMs = spin ? SPIN_MS : 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let cancelled = false;
  const turn = () => {
    if (cancelled) return;
    const now = performance.now();
    if (now >= due) {
      fn(now - due);
      return;
    }
    if (!spin) timer = setTimeout(() => fn(Math.max(0, performance.now() - due)), due - now);
    else if (due - now > spinMs) timer = setTimeout(turn, Math.floor(due - now - spinMs));
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
