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
 * The connections are an echo set of the native addon (agent/socket/echo-set.ts): the probes due
 * in a tick leave in one call, the replies of every connection come back in one callback with
 * their times taken in C beside recv(), and nothing is allocated per probe: the probes in flight
 * are a ring of typed arrays indexed by sequence (TCP answers in order, so the oldest is at its
 * tail), and gauges are passed on only when they change. Through node:net, the same 1,000
 * monitors at 200 ms cost 13.6–16.7 % of a core, of which Node's stream machinery was ~9 %
 * (bench/tcpping-monitors.ts, docs/tcp-echo.md "Figures").
 */
import { EchoSet, echoSetSlots } from '../../socket/echo-set.ts';
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

const quietSink: MonitorExtrasSink = { count() {}, gauge() {}, oneWay() {} };

/** A power of two ≥ n. */
function pow2(n: number): number {
  let c = 4;
  while (c < n) c *= 2;
  return c;
}

/** What a target needs of its engine: the echo set and the batch of frames due this tick. */
interface TargetHost {
  readonly set: EchoSet;
  /** Queues a frame with `seq` on `slot` for the batch sent at the end of this tick. */
  queue(target: TcppingTarget, seq: number): void;
}

/** One monitor's connection (a slot of the engine's echo set) and probes. */
class TcppingTarget {
  readonly t: MonitorProbeTarget;
  readonly slot: number;
  readonly #host: TargetHost;
  readonly #outcome: MonitorOutcome;
  readonly #x: MonitorExtrasSink;
  readonly #port: number;
  readonly #rto: RtoEstimator;
  /** No adaptive timeout (legacy frames or fixedTimeout): #fixedMs always. */
  readonly #fixed: boolean;
  readonly #fixedMs: number;
  /**
   * Probes in flight, a ring indexed by sequence mod its size: the sequence in the slot, its send
   * time (the echo set's clock) and deadline (performance.now; 0 = the slot is free). Sequences
   * [#oldest, #seq) may be in flight; TCP answers in order, so the ring drains from its tail.
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
  #connected = false;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #backoff = BACKOFF_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #next: number;
  #closed = false;

  constructor(t: MonitorProbeTarget, slot: number, host: TargetHost, outcome: MonitorOutcome, x: MonitorExtrasSink) {
    this.t = t;
    this.slot = slot;
    this.#host = host;
    this.#outcome = outcome;
    this.#x = x;
    this.#port = t.port ?? TCPPING_PORT;
    this.#fixed = t.legacy === true || t.fixedTimeout === true;
    // tcp-echo-metrics' own timeout (800 ms) for its frames; the monitor's for a fixed current one.
    this.#fixedMs = t.legacy ? LEGACY_TIMEOUT_MS : t.timeoutMs;
    this.#rto = new RtoEstimator(t.timeoutMs, RTO_MIN_MS, RTO_MAX_MS);
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
    clearTimeout(this.#connectTimer);
    this.#forget();
    this.#host.set.close(this.slot);
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

  /** The engine's tick: expires what timed out, queues the probe if it is due. */
  tick(now: number): void {
    if (this.#closed) return;
    if (this.#inflight > 0) this.#expire(now);
    if (this.#next > now) return;
    this.#probe(now);
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

  #probe(now: number): void {
    if (!this.#connected) {
      this.#lost(`not connected to ${this.t.address} port ${this.#port}`);
      return;
    }
    if (this.#seq - this.#oldest >= this.#deadline.length) this.#grow();
    const seq = this.#seq++;
    // Sequences stay below 2^31 for 68 years at one a second: `& mask` is exact.
    const i = seq & (this.#deadline.length - 1);
    this.#slotSeq[i] = seq;
    this.#sentAt[i] = Number.NaN;
    this.#deadline[i] = now + this.#timeoutMs();
    this.#inflight++;
    this.#host.queue(this, seq);
  }

  /** The batch went: `seq` left at `t` (the echo set's clock), or did not (NaN: its send buffer is full). */
  sent(seq: number, t: number): void {
    const i = seq & (this.#deadline.length - 1);
    if (this.#slotSeq[i] !== seq || this.#deadline[i] === 0) return; // the connection dropped in between
    if (!Number.isNaN(t)) {
      this.#sentAt[i] = t;
      return;
    }
    this.#deadline[i] = 0;
    this.#inflight--;
    this.#drain();
    this.#lost(`the connection to ${this.t.address} port ${this.#port} takes no more (its send buffer is full)`);
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
    this.#connected = false;
    const err = this.#host.set.connect(this.slot, this.t.address, this.#port, this.t.legacy === true);
    if (err !== 0) {
      this.#down();
      return;
    }
    this.#connectTimer = setTimeout(() => {
      this.#host.set.close(this.slot);
      this.#down();
    }, CONNECT_TIMEOUT_MS);
    this.#connectTimer.unref();
  }

  /** The echo set's event: the connection is up. */
  connected(): void {
    clearTimeout(this.#connectTimer);
    if (this.#closed) return;
    this.#connected = true;
    this.#backoff = BACKOFF_FIRST_MS;
    this.#x.count('connects');
    this.#x.gauge('connected', 1);
  }

  /** The echo set's event: the connection (or its connect) ended. */
  closedByPeer(): void {
    clearTimeout(this.#connectTimer);
    if (!this.#closed) this.#down();
  }

  /** No connection: what was in flight is lost, the drop counted, and it dials again after the back-off. */
  #down(): void {
    this.#connected = false;
    this.#x.count('drops');
    this.#x.gauge('connected', 0);
    const lost = this.#inflight;
    this.#forget();
    for (let i = 0; i < lost; i++) this.#lost('connection dropped');
    this.#retry = setTimeout(() => this.#dial(), this.#backoff);
    this.#retry.unref();
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
  }

  /** The echo set's event: a reply with `seq` at `t` (the echo set's clock). */
  answer(seq: number, t: number): void {
    if (seq < this.#oldest || seq >= this.#seq) return; // timed out already, or not ours
    const i = seq & (this.#deadline.length - 1);
    if (this.#deadline[i] === 0 || this.#slotSeq[i] !== seq) return;
    this.#deadline[i] = 0;
    this.#inflight--;
    this.#drain();
    const rtt = t - this.#sentAt[i]!;
    // An answer before its send time was known (cannot be for TCP: the send returns first).
    if (!(rtt >= 0)) return;
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
export class TcppingMonitorEngine implements MonitorEngine, TargetHost {
  readonly #targets = new Map<number, TcppingTarget>();
  readonly #wheel: TcppingTarget[][] = Array.from({ length: WHEEL_SLOTS }, () => []);
  /** An emptied slot's array, reused for the next slot visited. */
  #spare: TcppingTarget[] = [];
  /** The last wheel tick visited. */
  #at = Math.floor(performance.now() / TICK_MS);
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The connections, made on the first monitor. */
  #set: EchoSet | undefined;
  /** Targets by echo-set slot, and the slots free for reuse. */
  readonly #bySlot: (TcppingTarget | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  /** This tick's batch: slots, sequences, send times (filled by the echo set), and their targets. */
  #batchSlots = new Int32Array(256);
  #batchSeqs = new Float64Array(256);
  #batchTimes = new Float64Array(256);
  #batchTargets: TcppingTarget[] = [];
  #batchN = 0;

  get size(): number {
    return this.#targets.size;
  }

  get set(): EchoSet {
    // Polled each tick: replies wait at most a tick to be read (their times are the kernel's), and
    // cost no wake-up of their own.
    this.#set ??= new EchoSet(
      {
        connected: (slot) => this.#bySlot[slot]?.connected(),
        reply: (slot, seq, t) => this.#bySlot[slot]?.answer(seq, t),
        closed: (slot) => this.#bySlot[slot]?.closedByPeer(),
      },
      { polled: true },
    );
    return this.#set;
  }

  queue(target: TcppingTarget, seq: number): void {
    if (this.#batchN === this.#batchSlots.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, b: T): T => (b.set(a), b);
      this.#batchSlots = grow(this.#batchSlots, new Int32Array(this.#batchN * 2));
      this.#batchSeqs = grow(this.#batchSeqs, new Float64Array(this.#batchN * 2));
      this.#batchTimes = new Float64Array(this.#batchN * 2);
    }
    this.#batchSlots[this.#batchN] = target.slot;
    this.#batchSeqs[this.#batchN] = seq;
    this.#batchTargets[this.#batchN] = target;
    this.#batchN++;
  }

  /** Sends this tick's batch in one call, then tells each target when its frame left. */
  #flush(): void {
    const n = this.#batchN;
    if (n === 0) return;
    this.#batchN = 0;
    this.set.send(this.#batchSlots, this.#batchSeqs, this.#batchTimes, n);
    for (let i = 0; i < n; i++) {
      const target = this.#batchTargets[i]!;
      if (!target.closed) target.sent(this.#batchSeqs[i]!, this.#batchTimes[i]!);
    }
    this.#batchTargets.length = 0;
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void {
    if (this.#closed) throw new Error('the tcpping monitor engine is closed');
    this.remove(t.id);
    const slot = this.#freeSlots.pop() ?? this.#bySlot.length;
    if (slot >= echoSetSlots()) throw new Error(`a tcpping monitor engine holds at most ${echoSetSlots()} connections`);
    const target = new TcppingTarget(t, slot, this, outcome, extras ?? quietSink);
    this.#bySlot[slot] = target;
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
    // Replies first: one that came before its deadline is not a timeout.
    this.#set?.poll();
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
    this.#flush();
  }

  remove(id: number): void {
    const target = this.#targets.get(id);
    if (target) {
      target.close();
      this.#bySlot[target.slot] = undefined;
      this.#freeSlots.push(target.slot);
    }
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
    this.#set?.free();
    this.#set = undefined;
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function tcppingMonitorEngine(): MonitorEngine {
  return new TcppingMonitorEngine();
}
