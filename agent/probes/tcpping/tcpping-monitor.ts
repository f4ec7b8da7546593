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
 * With `legacy` a monitor speaks tcp-echo-metrics' 16-byte frames (no magic, sequence from 1) with
 * that release's fixed timeout (800 ms); with `fixedTimeout` the current frames with the
 * monitor's timeout, fixed. Either way the `rtoMs` gauge holds the fixed timeout.
 *
 * One timer walks every monitor each {@link TICK_MS}: it sends the probes that fell due (each
 * monitor phase-spread over its interval by its id, a golden-ratio sequence as ping's engine
 * spreads them) and expires the probes past their timeout. Probes due in one tick leave together,
 * so the kernel's loopback or NIC work and our wake-ups come in batches: a timer per probe cost
 * ~30 % more CPU at 1,000 monitors every 200 ms (bench/tcp-echo.ts). A probe leaves up to a tick
 * late and a timeout is known up to a tick late; the round trip is timed from the write itself.
 *
 * Nothing is allocated per probe (bench/tcpping-monitors.ts: 1,000 monitors at 200 ms went from
 * 21 % to 17 % of a core back to back, docs/tcp-echo.md "Figures"): the probes in flight are a ring of typed arrays indexed by sequence
 * (TCP answers in order, so the oldest is at its tail), each monitor writes one frame buffer again
 * while the socket has nothing queued, the frame's Unix time is the monotonic clock added to a
 * BigInt read once a second (two uint32 words), answers are read through net's `onread` into one
 * buffer shared by every connection (no Readable stream, no buffer per read), and gauges are
 * passed on only when they change.
 */
import { connect, type Socket } from 'node:net';
import { ECHO_MAGIC, frameBytes } from '../../packet/tcp-echo-frame.ts';
import { unixNowNs } from '../../socket/unix-clock.ts';
import type { MonitorEngine, MonitorExtrasSink, MonitorOutcome, MonitorProbeTarget } from '../../monitors/monitor-engine.ts';
import { LEGACY_TIMEOUT_MS, TCPPING_PORT } from '../../../shared/measurements/tcpping/tcpping-params.ts';
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
const TWO_32 = 2 ** 32;
/** How often the frames' Unix time is anchored to the real clock again (ms). */
const CLOCK_ANCHOR_MS = 1000;

const quietSink: MonitorExtrasSink = { count() {}, gauge() {}, oneWay() {} };

/**
 * Where every connection's answers are read into (net's `onread`): a callback consumes them at
 * once, before the next read, so one buffer serves all.
 */
const readBuffer = Buffer.allocUnsafe(16 * 1024);

/** Unix time in ns for the frames, as two uint32 words: performance.now() added to an anchor. */
class FrameClock {
  #at = Number.NEGATIVE_INFINITY;
  #hi = 0;
  #lo = 0;

  /** Writes the Unix time in ns at `now` (performance.now()) as a uint64 LE at `off`. */
  write(b: Buffer, off: number, now: number): void {
    if (now - this.#at >= CLOCK_ANCHOR_MS || now < this.#at) {
      const ns = unixNowNs();
      this.#at = now;
      this.#hi = Number((ns >> 32n) & 0xffffffffn);
      this.#lo = Number(ns & 0xffffffffn);
    }
    let lo = this.#lo + Math.round((now - this.#at) * 1e6);
    let hi = this.#hi;
    if (lo >= TWO_32) {
      hi += Math.floor(lo / TWO_32);
      lo %= TWO_32;
    }
    b.writeUInt32LE(lo, off);
    b.writeUInt32LE(hi >>> 0, off + 4);
  }
}

/** A power of two ≥ n. */
function pow2(n: number): number {
  let c = 4;
  while (c < n) c *= 2;
  return c;
}

/** One monitor's connection and probes. */
class TcppingTarget {
  readonly t: MonitorProbeTarget;
  readonly #outcome: MonitorOutcome;
  readonly #x: MonitorExtrasSink;
  readonly #clock: FrameClock;
  readonly #port: number;
  readonly #rto: RtoEstimator;
  /** No adaptive timeout (legacy frames or fixedTimeout): #fixedMs always. */
  readonly #fixed: boolean;
  readonly #fixedMs: number;
  /** Bytes of a frame, and where its sequence and time sit in it. */
  readonly #size: number;
  readonly #seqAt: number;
  /** The frame written again for each probe (the magic in place), while the socket has nothing queued. */
  #frame: Buffer;
  /**
   * Probes in flight, a ring indexed by sequence mod its size: the sequence in the slot, its send
   * time (performance.now) and deadline (0 = the slot is free). Sequences [#oldest, #seq) may be
   * in flight; TCP answers in order, so the ring drains from its tail.
   */
  #slotSeq: Float64Array;
  #sentAt: Float64Array;
  #deadline: Float64Array;
  #inflight = 0;
  #oldest: number;
  #seq: number;
  /** The last LOSS_WINDOW outcomes (1 = lost), as a ring. */
  readonly #window = new Uint8Array(LOSS_WINDOW);
  #windowAt = 0;
  #windowFill = 0;
  #windowLost = 0;
  /** The gauges as last passed on (passed again only when they change). */
  #rtoShown = Number.NaN;
  #lossShown = Number.NaN;
  /** A frame split across reads: its first part. */
  readonly #held: Buffer;
  #heldLen = 0;
  #socket: Socket | undefined;
  #connecting = false;
  #backoff = BACKOFF_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #next: number;
  #closed = false;

  constructor(t: MonitorProbeTarget, outcome: MonitorOutcome, x: MonitorExtrasSink, clock: FrameClock) {
    this.t = t;
    this.#outcome = outcome;
    this.#x = x;
    this.#clock = clock;
    this.#port = t.port ?? TCPPING_PORT;
    this.#fixed = t.legacy === true || t.fixedTimeout === true;
    // tcp-echo-metrics' own timeout (800 ms) for its frames; the monitor's for a fixed current one.
    this.#fixedMs = t.legacy ? LEGACY_TIMEOUT_MS : t.timeoutMs;
    this.#rto = new RtoEstimator(t.timeoutMs, RTO_MIN_MS, RTO_MAX_MS);
    this.#size = frameBytes(t.legacy ? 'legacy' : 'magic');
    this.#seqAt = t.legacy ? 0 : 8;
    this.#frame = this.#newFrame();
    this.#held = Buffer.alloc(this.#size);
    // tcp-echo-metrics numbers its probes from 1 (a server tells its frames by a small first word).
    this.#seq = this.#oldest = t.legacy ? 1 : 0;
    const cap = pow2(Math.ceil((this.#fixed ? this.#fixedMs : Math.max(t.timeoutMs, RTO_MAX_MS)) / t.intervalMs) + 2);
    this.#slotSeq = new Float64Array(cap);
    this.#sentAt = new Float64Array(cap);
    this.#deadline = new Float64Array(cap);
    this.#x.gauge('connected', 0);
    this.#showRto();
    this.#dial();
    this.#next = performance.now() + ((t.id * GOLDEN) % 1) * t.intervalMs;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#forget();
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  /** The engine's wheel slot this target sits in (the tick it wakes at). */
  wakeTick = 0;

  get closed(): boolean {
    return this.#closed;
  }

  /** When it next has something to do (performance.now ms): a probe due or one timing out. */
  wakeAt(): number {
    let w = this.#next;
    if (this.#inflight > 0) {
      const mask = this.#deadline.length - 1;
      for (let s = this.#oldest; s < this.#seq; s++) {
        const d = this.#deadline[s & mask]!;
        if (d !== 0 && d < w) w = d;
      }
    }
    return w;
  }

  /** The engine's tick: expires what timed out, sends the probe if it is due. */
  tick(now: number): void {
    if (this.#closed) return;
    if (this.#inflight > 0) this.#expire(now);
    if (this.#next > now) return;
    this.#probe();
    this.#next += this.t.intervalMs;
    // After a stall longer than an interval, go on from now rather than send a burst.
    if (this.#next < now) this.#next = now + this.t.intervalMs;
  }

  #timeoutMs(): number {
    return this.#fixed ? this.#fixedMs : this.#rto.rtoMs;
  }

  #showRto(): void {
    const v = this.#timeoutMs();
    if (v === this.#rtoShown) return;
    this.#rtoShown = v;
    this.#x.gauge('rtoMs', v);
  }

  #newFrame(): Buffer {
    const f = Buffer.alloc(this.#size);
    if (this.#size === 24) f.set(ECHO_MAGIC, 0);
    return f;
  }

  /** Times out, in sequence order, the probes in flight past their deadline. */
  #expire(now: number): void {
    const mask = this.#deadline.length - 1;
    for (let s = this.#oldest; s < this.#seq; s++) {
      const i = s & mask;
      const d = this.#deadline[i]!;
      if (d === 0 || d > now) continue;
      this.#deadline[i] = 0;
      this.#inflight--;
      if (!this.#fixed) {
        this.#rto.backoff();
        this.#showRto();
      }
      this.#x.count('timeouts');
      this.#lost();
    }
    this.#drain();
  }

  /** Moves the tail past answered and expired slots. */
  #drain(): void {
    const mask = this.#deadline.length - 1;
    while (this.#oldest < this.#seq && this.#deadline[this.#oldest & mask] === 0) this.#oldest++;
  }

  /** Forgets every probe in flight (their outcomes were given, or never will be). */
  #forget(): void {
    this.#deadline.fill(0);
    this.#inflight = 0;
    this.#oldest = this.#seq;
  }

  /** Doubles the ring (more probes in flight than it held: a timeout longer than it was sized for). */
  #grow(): void {
    const cap = this.#deadline.length * 2;
    const seqs = new Float64Array(cap);
    const sent = new Float64Array(cap);
    const dl = new Float64Array(cap);
    const old = this.#deadline.length - 1;
    for (let s = this.#oldest; s < this.#seq; s++) {
      seqs[s & (cap - 1)] = this.#slotSeq[s & old]!;
      sent[s & (cap - 1)] = this.#sentAt[s & old]!;
      dl[s & (cap - 1)] = this.#deadline[s & old]!;
    }
    this.#slotSeq = seqs;
    this.#sentAt = sent;
    this.#deadline = dl;
  }

  #probe(): void {
    const s = this.#socket;
    if (!s || this.#connecting) {
      this.#lost(`not connected to ${this.t.address} port ${this.#port}`);
      return;
    }
    if (this.#seq - this.#oldest >= this.#deadline.length) this.#grow();
    // The frame is written again only when no earlier write still holds it (queued in the socket).
    if (s.writableLength > 0) this.#frame = this.#newFrame();
    const f = this.#frame;
    const seq = this.#seq++;
    f.writeUInt32LE(seq % TWO_32, this.#seqAt);
    f.writeUInt32LE(Math.floor(seq / TWO_32), this.#seqAt + 4);
    const at = performance.now();
    this.#clock.write(f, this.#seqAt + 8, at);
    // Sequences stay below 2^31 for 68 years at one a second: `& mask` is exact.
    const i = seq & (this.#deadline.length - 1);
    this.#slotSeq[i] = seq;
    this.#sentAt[i] = at;
    this.#deadline[i] = at + this.#timeoutMs();
    this.#inflight++;
    s.write(f);
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
    const pct = (this.#windowLost / this.#windowFill) * 100;
    if (pct === this.#lossShown) return;
    this.#lossShown = pct;
    this.#x.gauge('lossWindowPct', pct);
  }

  #dial(): void {
    if (this.#closed) return;
    this.#connecting = true;
    this.#heldLen = 0;
    const s: Socket = connect({ host: this.t.address, port: this.#port, family: this.t.family, noDelay: true, onread: { buffer: readBuffer, callback: (n: number): boolean => this.#data(s, n, readBuffer) } });
    s.unref();
    this.#socket = s;
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
    s.on('error', () => {});
    s.once('close', () => {
      clearTimeout(timer);
      if (this.#closed || s !== this.#socket) return;
      this.#socket = undefined;
      this.#connecting = false;
      this.#x.count('drops');
      this.#x.gauge('connected', 0);
      // What was in flight on it will never be answered.
      const lost = this.#inflight;
      this.#forget();
      for (let i = 0; i < lost; i++) this.#lost('connection dropped');
      this.#retry = setTimeout(() => this.#dial(), this.#backoff);
      this.#retry.unref();
      this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
    });
  }

  /** `n` bytes read into `b` (the shared read buffer: used before this returns). */
  #data(s: Socket, n: number, b: Buffer): true {
    if (s !== this.#socket) return true;
    const now = performance.now();
    const size = this.#size;
    let at = 0;
    if (this.#heldLen > 0) {
      const take = Math.min(size - this.#heldLen, n);
      b.copy(this.#held, this.#heldLen, 0, take);
      this.#heldLen += take;
      at = take;
      if (this.#heldLen < size) return true;
      this.#heldLen = 0;
      this.#answer(this.#held, 0, now);
    }
    for (; at + size <= n; at += size) this.#answer(b, at, now);
    if (at < n) {
      b.copy(this.#held, 0, at, n);
      this.#heldLen = n - at;
    }
    return true;
  }

  /** One echoed frame at `at` of `b`. */
  #answer(b: Buffer, at: number, now: number): void {
    const seq = b.readUInt32LE(at + this.#seqAt + 4) * TWO_32 + b.readUInt32LE(at + this.#seqAt);
    if (seq < this.#oldest || seq >= this.#seq) return; // timed out already, or not ours
    const i = seq & (this.#deadline.length - 1);
    if (this.#deadline[i] === 0 || this.#slotSeq[i] !== seq) return;
    this.#deadline[i] = 0;
    this.#inflight--;
    this.#drain();
    const rtt = now - this.#sentAt[i]!;
    if (!this.#fixed) {
      this.#rto.sample(rtt);
      this.#showRto();
    }
    this.#window1(0);
    this.#outcome(rtt);
  }
}

/** Slots of the engine's timing wheel: {@link TICK_MS} each, 10.24 s around. */
const WHEEL_SLOTS = 1024;

/**
 * The monitors' scheduler: a timing wheel of {@link TICK_MS} slots. Each monitor sits in the slot
 * of its next event (a probe due, a probe timing out); a tick visits only the slots that came due,
 * not every monitor (walking all 1,000 every 10 ms was a tenth of the engine's CPU). An answer
 * does not move a monitor: it wakes at the old deadline, finds nothing, and sits down again.
 */
export class TcppingMonitorEngine implements MonitorEngine {
  readonly #targets = new Map<number, TcppingTarget>();
  readonly #clock = new FrameClock();
  readonly #wheel: TcppingTarget[][] = Array.from({ length: WHEEL_SLOTS }, () => []);
  /** An emptied slot's array, reused for the next slot visited. */
  #spare: TcppingTarget[] = [];
  /** The last wheel tick visited. */
  #at = Math.floor(performance.now() / TICK_MS);
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  get size(): number {
    return this.#targets.size;
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void {
    if (this.#closed) throw new Error('the tcpping monitor engine is closed');
    this.remove(t.id);
    const target = new TcppingTarget(t, outcome, extras ?? quietSink, this.#clock);
    this.#targets.set(t.id, target);
    if (!this.#timer) {
      this.#at = Math.floor(performance.now() / TICK_MS);
      this.#timer = setInterval(() => this.#turn(performance.now()), TICK_MS);
      this.#timer.unref();
    }
    this.#place(target, this.#at);
  }

  /** Puts `target` into the slot of its next event, after tick `after`. */
  #place(target: TcppingTarget, after: number): void {
    const tick = Math.max(after + 1, Math.floor(target.wakeAt() / TICK_MS));
    target.wakeTick = tick;
    this.#wheel[tick % WHEEL_SLOTS]!.push(target);
  }

  /** Visits the slots up to `now`: the monitors whose event came due run and sit down again. */
  #turn(now: number): void {
    const to = Math.floor(now / TICK_MS);
    // After a stall longer than the wheel, every slot once (each holds what is due by now).
    const from = Math.max(this.#at + 1, to - WHEEL_SLOTS + 1);
    for (let tick = from; tick <= to; tick++) {
      const i = tick % WHEEL_SLOTS;
      const slot = this.#wheel[i]!;
      if (slot.length === 0) continue;
      this.#wheel[i] = this.#spare;
      for (const target of slot) {
        if (target.closed) continue;
        if (target.wakeTick > to) {
          // A later round of the wheel (a wake more than its span ahead).
          this.#wheel[target.wakeTick % WHEEL_SLOTS]!.push(target);
          continue;
        }
        target.tick(now);
        this.#place(target, to);
      }
      slot.length = 0;
      this.#spare = slot;
    }
    this.#at = to;
  }

  remove(id: number): void {
    this.#targets.get(id)?.close();
    this.#targets.delete(id);
    if (this.#targets.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      for (const slot of this.#wheel) slot.length = 0;
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#targets.values()) t.close();
    this.#targets.clear();
    for (const slot of this.#wheel) slot.length = 0;
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function tcppingMonitorEngine(): MonitorEngine {
  return new TcppingMonitorEngine();
}
