/**
 * The tcpping type's monitor engine (issue 14): per monitor, one long-lived TCP connection to a
 * TCP echo server speaking tcp_ping_prometheus' frames (agent/packet/tcp-echo-frame.ts, the
 * current 24-byte framing), a frame every interval, the round trip from our monotonic clock.
 *
 * As the exporter does: the probe timeout is adaptive per RFC 6298 (rto-estimator.ts: SRTT +
 * 4·RTTVAR, clamped to {@link RTO_MIN_MS}–{@link RTO_MAX_MS}, doubled on a timeout), starting at the
 * monitor's timeout; a connection that drops is counted (`drops`) and opened again with back-off
 * (0.5 s doubling to 5 s); a connect that fails counts as a drop too. Probes in flight on a dropped
 * connection, and probes due while there is none, are sent-and-lost (as the exporter counts a
 * failed attempt as sent). The rows carry the counters and gauges the exporter's metrics need
 * (MinuteRow `x`): timeouts, drops, connects, connected, the RTO in use, and the loss over the
 * last 100 probes (tcp-echo-metrics' sliding window).
 *
 * One timer walks every monitor each {@link TICK_MS}: it sends the probes that fell due (each
 * monitor phase-spread over its interval by its id, a golden-ratio sequence as ping's engine
 * spreads them) and expires the probes past their timeout. Probes due in one tick leave together,
 * so the kernel's loopback or NIC work and our wake-ups come in batches: a timer per probe cost
 * ~30 % more CPU at 1,000 monitors every 200 ms (bench/tcp-echo.ts). A probe leaves up to a tick
 * late and a timeout is known up to a tick late; the round trip is timed from the write itself.
 */
import { connect, type Socket } from 'node:net';
import { encodeEchoFrame, frameBytes } from '../../packet/tcp-echo-frame.ts';
import { unixNowNs } from '../../socket/unix-clock.ts';
import type { MonitorEngine, MonitorExtrasSink, MonitorOutcome, MonitorProbeTarget } from '../../monitors/monitor-engine.ts';
import { TCPPING_PORT } from '../../../shared/measurements/tcpping/tcpping-params.ts';
import { RtoEstimator } from './rto-estimator.ts';

/** The exporter's clamp of the adaptive timeout (tcp_ping_prometheus: 100 ms – 3 s). */
export const RTO_MIN_MS = 100;
export const RTO_MAX_MS = 3000;
/** tcp-echo-metrics' sliding loss window (probes). */
export const LOSS_WINDOW = 100;
/** Scheduler granularity (ms): the most a probe leaves late, and how finely timeouts are kept. */
const TICK_MS = 10;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;
const GOLDEN = 0.6180339887498949;
const FRAME = frameBytes('magic');
const SEQ_AT = 8;

const quietSink: MonitorExtrasSink = { count() {}, gauge() {}, oneWay() {} };

/** One monitor's connection and probes. */
class TcppingTarget {
  readonly t: MonitorProbeTarget;
  readonly #outcome: MonitorOutcome;
  readonly #x: MonitorExtrasSink;
  readonly #port: number;
  readonly #rto: RtoEstimator;
  /** Probes in flight: sequence → send time (performance.now) and when it times out. */
  readonly #pending = new Map<number, { at: number; deadline: number }>();
  /** The last LOSS_WINDOW outcomes (1 = lost), as a ring. */
  readonly #window = new Uint8Array(LOSS_WINDOW);
  #windowAt = 0;
  #windowFill = 0;
  #windowLost = 0;
  #socket: Socket | undefined;
  #connecting = false;
  #backoff = BACKOFF_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #next: number;
  #seq = 0;
  #held: Buffer = Buffer.alloc(0);
  #closed = false;

  constructor(t: MonitorProbeTarget, outcome: MonitorOutcome, x: MonitorExtrasSink) {
    this.t = t;
    this.#outcome = outcome;
    this.#x = x;
    this.#port = t.port ?? TCPPING_PORT;
    this.#rto = new RtoEstimator(t.timeoutMs, RTO_MIN_MS, RTO_MAX_MS);
    this.#x.gauge('connected', 0);
    this.#x.gauge('rtoMs', this.#rto.rtoMs);
    this.#dial();
    this.#next = performance.now() + ((t.id * GOLDEN) % 1) * t.intervalMs;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#pending.clear();
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  /** The engine's tick: expires what timed out, sends the probe if it is due. */
  tick(now: number): void {
    if (this.#closed) return;
    if (this.#pending.size > 0) {
      for (const [seq, p] of this.#pending) {
        if (p.deadline > now) continue;
        this.#pending.delete(seq);
        this.#rto.backoff();
        this.#x.gauge('rtoMs', this.#rto.rtoMs);
        this.#x.count('timeouts');
        this.#lost();
      }
    }
    if (this.#next > now) return;
    this.#probe();
    this.#next += this.t.intervalMs;
    // After a stall longer than an interval, go on from now rather than send a burst.
    if (this.#next < now) this.#next = now + this.t.intervalMs;
  }

  #probe(): void {
    const s = this.#socket;
    if (!s || this.#connecting) {
      this.#lost(`not connected to ${this.t.address} port ${this.#port}`);
      return;
    }
    const seq = this.#seq++;
    const frame = encodeEchoFrame({ seq: BigInt(seq), sentNs: unixNowNs() }, 'magic');
    const at = performance.now();
    this.#pending.set(seq, { at, deadline: at + this.#rto.rtoMs });
    s.write(frame);
  }

  #lost(error?: string): void {
    this.#window1(1);
    this.#outcome(undefined, error);
  }

  #window1(lost: 0 | 1): void {
    this.#windowLost += lost - this.#window[this.#windowAt]!;
    this.#window[this.#windowAt] = lost;
    this.#windowAt = (this.#windowAt + 1) % LOSS_WINDOW;
    if (this.#windowFill < LOSS_WINDOW) this.#windowFill++;
    this.#x.gauge('lossWindowPct', (this.#windowLost / this.#windowFill) * 100);
  }

  #dial(): void {
    if (this.#closed) return;
    this.#connecting = true;
    const s = connect({ host: this.t.address, port: this.#port, family: this.t.family, noDelay: true });
    s.unref();
    this.#socket = s;
    this.#held = Buffer.alloc(0);
    const timer = setTimeout(() => s.destroy(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
    timer.unref();
    s.once('connect', () => {
      clearTimeout(timer);
      if (this.#closed || s !== this.#socket) return;
      this.#connecting = false;
      this.#backoff = BACKOFF_FIRST_MS;
      this.#x.count('connects');
      this.#x.gauge('connected', 1);
    });
    s.on('data', (chunk: Buffer) => this.#data(chunk));
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      if (this.#closed || s !== this.#socket) return;
      this.#socket = undefined;
      this.#connecting = false;
      this.#x.count('drops');
      this.#x.gauge('connected', 0);
      // What was in flight on it will never be answered.
      for (let i = 0; i < this.#pending.size; i++) this.#lost('connection dropped');
      this.#pending.clear();
      this.#retry = setTimeout(() => this.#dial(), this.#backoff);
      this.#retry.unref();
      this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    });
  }

  #data(chunk: Buffer): void {
    const now = performance.now();
    const b = this.#held.length ? Buffer.concat([this.#held, chunk]) : chunk;
    let at = 0;
    for (; at + FRAME <= b.length; at += FRAME) {
      const seq = Number(b.readBigUInt64LE(at + SEQ_AT));
      const p = this.#pending.get(seq);
      if (!p) continue; // timed out already, or not ours
      this.#pending.delete(seq);
      const rtt = now - p.at;
      this.#rto.sample(rtt);
      this.#x.gauge('rtoMs', this.#rto.rtoMs);
      this.#window1(0);
      this.#outcome(rtt);
    }
    this.#held = at < b.length ? Buffer.from(b.subarray(at)) : Buffer.alloc(0);
  }
}

export class TcppingMonitorEngine implements MonitorEngine {
  readonly #targets = new Map<number, TcppingTarget>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  get size(): number {
    return this.#targets.size;
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void {
    if (this.#closed) throw new Error('the tcpping monitor engine is closed');
    this.remove(t.id);
    this.#targets.set(t.id, new TcppingTarget(t, outcome, extras ?? quietSink));
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        const now = performance.now();
        for (const target of this.#targets.values()) target.tick(now);
      }, TICK_MS);
      this.#timer.unref();
    }
  }

  remove(id: number): void {
    this.#targets.get(id)?.close();
    this.#targets.delete(id);
    if (this.#targets.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#targets.values()) t.close();
    this.#targets.clear();
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function tcppingMonitorEngine(): MonitorEngine {
  return new TcppingMonitorEngine();
}
