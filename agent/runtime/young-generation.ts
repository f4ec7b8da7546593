/**
 * Holds V8's young generation at its initial size in a long-running agent process.
 *
 * V8 doubles the young generation (its two semi-spaces) each time as many bytes have survived
 * scavenges since the last doubling as it holds, up to a maximum derived from the heap limit
 * (2 × 64 MB here), and shrinks it only at a full GC while allocation runs below ~1 MB/s. An
 * agent with many monitors keeps a steady trickle of survivors (each monitor's minute row and
 * histogram live a minute; reports live until the hub has them), so over a few minutes the young
 * generation reaches its maximum and stays there: with 10,000 monitors that was 128 MB of the
 * agent's ~250 MB RSS, although it allocates only ~3 MB/s and needs a scavenge every few
 * seconds at most. Capping it by the command line (--max-semi-space-size) works but cannot be
 * set by `meshprobe agent` or `npm start` themselves; the growth factor is read each time V8
 * grows the space, so setting it at start keeps the initial size (1 MB semi-spaces) for good.
 * Measured at 10,000 targets × 1 Hz: RSS ~250 → ~100 MB, CPU unchanged within the noise
 * (bench/monitor-agent.ts, docs/monitors.md "Performance").
 */
import { setFlagsFromString } from 'node:v8';

let held = false;

/** Stops the young generation from growing (idempotent). Call once at the process's start. */
export function holdYoungGeneration(): void {
  if (held) return;
  held = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}
