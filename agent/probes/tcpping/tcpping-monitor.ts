/**
 * The tcpping type's monitor engine (issue 14): per monitor, one long-lived TCP connection to a
 * TCP echo server speaking tcp_ping_prometheus' frames (agent/packet/tcp-echo-frame.ts, the
 * current 24-byte framing), a frame every interval, the round trip from the kernel's times.
 *
 * As the exporter does: the probe timeout is adaptive per RFC 6298 (SRTT + 4·RTTVAR, clamped to
 * {@link RTO_MIN_MS}–{@link RTO_MAX_MS}, doubled on a timeout), starting at the monitor's timeout;
 * a connection that drops is counted (`drops`) and opened again with back-off (0.5 s doubling to
 * 5 s); a connect that fails counts as a drop too. Probes in flight on a dropped connection, and
 * probes due while there is none, are sent-and-lost (as the exporter counts a failed attempt as
 * sent). The rows carry the counters and gauges the exporter's metrics need (MinuteRow `x`):
 * timeouts, drops, connects, connected, the RTO in use, and the loss over the last 100 probes
 * (tcp-echo-metrics' sliding window).
 *
 * With `legacy` a monitor speaks tcp-echo-metrics' 16-byte frames (no magic, sequence from 1) with
 * that release's fixed timeout (800 ms); with `fixedTimeout` the current frames with the
 * monitor's timeout, fixed. Either way the `rtoMs` gauge holds the fixed timeout.
 *
 * The probes themselves run in C: each monitor is a scheduled slot of the engine's echo set
 * (agent/socket/echo-set.ts, agent/native/src/echo_probe.c), phase-spread over its interval by its
 * id (a golden-ratio sequence, as ping's engine spreads them). One timer turns the set every
 * {@link TICK_MS}: replies are read (their times are the kernel's receive times, so reading them up
 * to a tick late does not lengthen a round trip), the probes due leave, the late ones time out,
 * and only outcomes come back here. A probe leaves up to a tick late and a timeout is known up to a
 * tick late. What stays here is what happens seldom: connecting, back-off, counting drops.
 *
 * Why C: at 1,000 monitors every 200 ms, through node:net the engine cost 13.6–16.7 % of a core
 * (Node's stream machinery alone ~9 %); with the connections in C but the bookkeeping of each probe
 * in JavaScript (a timing wheel, typed-array rings, the RTO) 10.4–12 %, most of it cache misses
 * over 1,000 monitors' objects between two replies (bench/tcpping-monitors.ts, docs/tcp-echo.md).
 */
import { EchoSet, echoSetNow, echoSetSlots, type LostReason } from '../../socket/echo-set.ts';
import type { MonitorEngine, MonitorExtrasSink, MonitorOutcome, MonitorProbeTarget } from '../../monitors/monitor-engine.ts';
import { LEGACY_TIMEOUT_MS, TCPPING_PORT } from '../../../shared/measurements/tcpping/tcpping-params.ts';

/** The exporter's clamp of the adaptive timeout (tcp_ping_prometheus: 100 ms – 3 s). */
export const RTO_MIN_MS = 100;
export const RTO_MAX_MS = 3000;
/** How often the echo set takes its turn (ms): the most a probe leaves late, and how finely timeouts are kept. */
const TICK_MS = 10;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;
const GOLDEN = 0.6180339887498949;

const quietSink: MonitorExtrasSink = { count() {}, gauge() {}, oneWay() {} };

/** One monitor's connection (a scheduled slot of the engine's echo set) and what it reports. */
class TcppingTarget {
  readonly t: MonitorProbeTarget;
  readonly slot: number;
  readonly #set: EchoSet;
  readonly #outcome: MonitorOutcome;
  readonly #x: MonitorExtrasSink;
  readonly #port: number;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #backoff = BACKOFF_FIRST_MS;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(t: MonitorProbeTarget, slot: number, set: EchoSet, outcome: MonitorOutcome, x: MonitorExtrasSink) {
    this.t = t;
    this.slot = slot;
    this.#set = set;
    this.#outcome = outcome;
    this.#x = x;
    this.#port = t.port ?? TCPPING_PORT;
    const fixed = t.legacy === true || t.fixedTimeout === true;
    this.#x.gauge('connected', 0);
    set.schedule(slot, {
      intervalMs: t.intervalMs,
      firstInMs: ((t.id * GOLDEN) % 1) * t.intervalMs,
      // tcp-echo-metrics' own timeout (800 ms) for its frames; the monitor's for a fixed current one.
      timeoutMs: t.legacy ? LEGACY_TIMEOUT_MS : t.timeoutMs,
      fixed,
      rtoMinMs: RTO_MIN_MS,
      rtoMaxMs: RTO_MAX_MS,
      // tcp-echo-metrics numbers its probes from 1 (a server tells its frames by a small first word).
      firstSeq: t.legacy ? 1 : 0,
    });
    this.#dial();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#connectTimer);
    this.#set.unschedule(this.slot);
    this.#set.close(this.slot);
  }

  /** The echo set's event: a probe was answered, `agoMs` ago (the set held it back). */
  answered(rttMs: number, agoMs: number): void {
    this.#outcome(rttMs, undefined, agoMs);
  }

  /** The echo set's event: a probe was lost. */
  lost(reason: LostReason): void {
    if (reason === 'timeout') {
      this.#x.count('timeouts');
      this.#outcome(undefined);
    } else if (reason === 'down') this.#outcome(undefined, `not connected to ${this.t.address} port ${this.#port}`);
    else this.#outcome(undefined, `the connection to ${this.t.address} port ${this.#port} takes no more (its send buffer is full)`);
  }

  gauge(name: 'rtoMs' | 'lossWindowPct', value: number): void {
    this.#x.gauge(name, value);
  }

  #dial(): void {
    if (this.#closed) return;
    const err = this.#set.connect(this.slot, this.t.address, this.#port, this.t.legacy === true);
    if (err !== 0) {
      this.#down(0);
      return;
    }
    this.#connectTimer = setTimeout(() => {
      this.#set.close(this.slot);
      this.#down(0);
    }, CONNECT_TIMEOUT_MS);
    this.#connectTimer.unref();
  }

  /** The echo set's event: the connection is up. */
  connected(): void {
    clearTimeout(this.#connectTimer);
    if (this.#closed) return;
    this.#backoff = BACKOFF_FIRST_MS;
    this.#x.count('connects');
    this.#x.gauge('connected', 1);
  }

  /** The echo set's event: the connection (or its connect) ended, with `lost` probes in flight. */
  closedByPeer(lost: number): void {
    clearTimeout(this.#connectTimer);
    if (!this.#closed) this.#down(lost);
  }

  /** No connection: what was in flight is lost, the drop counted, and it dials again after the back-off. */
  #down(lost: number): void {
    this.#x.count('drops');
    this.#x.gauge('connected', 0);
    for (let i = 0; i < lost; i++) this.#outcome(undefined, 'connection dropped');
    this.#retry = setTimeout(() => this.#dial(), this.#backoff);
    this.#retry.unref();
    this.#backoff = Math.min(this.#backoff * 2, BACKOFF_MAX_MS);
  }
}

/** The monitors of one type on this agent: one echo set, turned every {@link TICK_MS} while it has any. */
export class TcppingMonitorEngine implements MonitorEngine {
  readonly #targets = new Map<number, TcppingTarget>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The connections, made on the first monitor. */
  #set: EchoSet | undefined;
  /** Targets by echo-set slot, and the slots free for reuse. */
  readonly #bySlot: (TcppingTarget | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  /** The echo set's clock when its events were last taken (what a held-back reply's age is counted from). */
  #setNow = 0;

  get size(): number {
    return this.#targets.size;
  }

  #echoSet(): EchoSet {
    this.#set ??= new EchoSet(
      {
        connected: (slot) => this.#bySlot[slot]?.connected(),
        reply: () => {}, // every slot is scheduled: its replies come as round trips
        closed: (slot, _errno, lost) => this.#bySlot[slot]?.closedByPeer(lost),
        rtt: (slot, ms, t) => this.#bySlot[slot]?.answered(ms, Math.max(0, this.#setNow - t)),
        lost: (slot, reason) => this.#bySlot[slot]?.lost(reason),
        gauge: (slot, name, value) => this.#bySlot[slot]?.gauge(name, value),
      },
      { polled: true },
    );
    return this.#set;
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void {
    if (this.#closed) throw new Error('the tcpping monitor engine is closed');
    this.remove(t.id);
    const slot = this.#freeSlots.pop() ?? this.#bySlot.length;
    if (slot >= echoSetSlots()) throw new Error(`a tcpping monitor engine holds at most ${echoSetSlots()} connections`);
    const set = this.#echoSet();
    const target = new TcppingTarget(t, slot, set, outcome, extras ?? quietSink);
    this.#bySlot[slot] = target;
    this.#targets.set(t.id, target);
    if (!this.#timer) {
      this.#timer = setInterval(() => {
        this.#setNow = echoSetNow();
        this.#set?.tick();
      }, TICK_MS);
      this.#timer.unref();
    }
  }

  flush(): void {
    this.#setNow = echoSetNow();
    this.#set?.flush();
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
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const t of this.#targets.values()) t.close();
    this.#targets.clear();
    this.#set?.free();
    this.#set = undefined;
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function tcppingMonitorEngine(): MonitorEngine {
  return new TcppingMonitorEngine();
}
