/**
 * Unix time in nanoseconds with sub-microsecond resolution, for the wire formats that carry it
 * (the TCP echo frame, latency-monitor's SEND_NS) and for one-way delays between two hosts'
 * clocks. `Date.now()` has millisecond resolution, too coarse for a loopback delay; the addon's
 * clock is CLOCK_REALTIME read per call (agent/socket/raw-socket.ts, rawNow). Without the addon
 * the time is the monotonic clock anchored to Date.now() (resolution kept, offset to the real
 * clock up to a millisecond), re-anchored every 10 s so that it follows the system clock.
 */
import { rawEpochMs, rawNow, rawSocketsAvailable } from './raw-socket.ts';

let read: (() => bigint) | undefined;

function fromAddon(): () => bigint {
  const epochNs = BigInt(Math.round(rawEpochMs() * 1e6));
  return () => epochNs + BigInt(Math.round(rawNow() * 1e6));
}

function anchored(): () => bigint {
  let base = 0n;
  let at = 0n;
  const anchor = () => {
    at = process.hrtime.bigint();
    base = BigInt(Date.now()) * 1_000_000n;
  };
  anchor();
  return () => {
    const now = process.hrtime.bigint();
    if (now - at > 10_000_000_000n) anchor();
    return base + (process.hrtime.bigint() - at);
  };
}

/** The current Unix time in ns. */
export function unixNowNs(): bigint {
  read ??= rawSocketsAvailable() ? fromAddon() : anchored();
  return read();
}

/** Reads more than this apart (ms) were split by a pause (a scavenge, a preemption). */
const PAIRED_WITHIN_MS = 0.05;

/**
 * The Unix time in ns and `performance.now()`, read together: a one-way delay is the peer's time
 * minus `unixNs`, its round trip is timed from `now`, and a pause between two separate reads (a
 * young-generation scavenge is 0.3–3 ms here) would make the one-way delay longer than the round
 * trip it is part of. Read again, up to three times, until both fall within 50 µs.
 */
export function unixNowPaired(): { unixNs: bigint; now: number } {
  for (let i = 0; ; i++) {
    const before = performance.now();
    const unixNs = unixNowNs();
    const now = performance.now();
    if (now - before <= PAIRED_WITHIN_MS || i === 3) return { unixNs, now };
  }
}
