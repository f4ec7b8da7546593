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
