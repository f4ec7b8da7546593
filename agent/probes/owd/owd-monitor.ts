/**
 * The owd type's monitor engine (issue 14): latency-monitor's UDP messages to a peer (port 8001
 * by default, or the target's port), one connected UDP socket per monitor, a message every
 * interval. Each answer gives the round trip (our monotonic clock) and, from the Unix clocks, the
 * forward delay t2 − t1 and the reverse t4 − t3, which go into the rows (MinuteRow `x`: a
 * histogram per direction). A meshprobe peer answers our FOUR_STAMPS_TAG with its send time t3; a
 * latency-monitor peer carries only t2, so t3 is taken as t2 and its turnaround is inside the
 * reverse figure.
 *
 * The clocks' offset comes from the four timestamps as NTP does (clock-offset.ts), over the last
 * {@link OFFSET_WINDOW} exchanges: the offset of the least-delayed one, its uncertainty (half
 * its round trip), and `unstable` when the offset moves by more than a round trip over the
 * window, or a one-way delay comes out negative (the clocks are apart by more than the delay).
 *
 * Monitors speak UDP only: an assignment has no protocol, and latency-monitor's TCP mode is
 * stop-and-wait on one connection, which the one-shot `owd --tcp` covers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { FOUR_STAMPS_TAG, formatLatencyMessage, formatTags, nextLatencySeq, parseLatencyMessage } from '../../packet/latency-message.ts';
import { unixNowPaired } from '../../socket/unix-clock.ts';
import type { MonitorEngine, MonitorEngineOptions, MonitorExtrasSink, MonitorOutcome, MonitorProbeTarget } from '../../monitors/monitor-engine.ts';
import { OWD_UDP_PORT } from '../../../shared/measurements/owd/owd-params.ts';
import { estimateOffset, type Exchange } from './clock-offset.ts';

/** Exchanges the offset is estimated over. */
export const OFFSET_WINDOW = 32;
const GOLDEN = 0.6180339887498949;
const TAGS = formatTags([FOUR_STAMPS_TAG]);
const nsToMs = (ns: bigint) => Number(ns) / 1e6;

const quietSink: MonitorExtrasSink = { count() {}, gauge() {}, oneWay() {} };

class OwdTarget {
  readonly t: MonitorProbeTarget;
  readonly #outcome: MonitorOutcome;
  readonly #x: MonitorExtrasSink;
  readonly #socket: Socket;
  readonly #source: string;
  /** In flight, by wire sequence (0…100, wrapping). */
  readonly #pending = new Map<number, { at: number; t1: bigint; timer: ReturnType<typeof setTimeout> }>();
  readonly #exchanges: Exchange[] = [];
  #ready = false;
  #wire = 0;
  #next: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(t: MonitorProbeTarget, outcome: MonitorOutcome, x: MonitorExtrasSink, source: string) {
    this.t = t;
    this.#outcome = outcome;
    this.#x = x;
    this.#source = source;
    const s = createSocket({ type: t.family === 6 ? 'udp6' : 'udp4' });
    this.#socket = s;
    s.on('error', () => {});
    s.on('message', (data) => this.#answer(data));
    s.connect(t.port ?? OWD_UDP_PORT, t.address, () => {
      this.#ready = true;
    });
    s.unref();
    this.#next = performance.now() + ((t.id * GOLDEN) % 1) * t.intervalMs;
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
    try {
      this.#socket.close();
    } catch {
      // closed already
    }
  }

  #arm(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, this.#next - performance.now()));
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#closed) return;
    const now = performance.now();
    this.#probe();
    this.#next += this.t.intervalMs;
    if (this.#next < now) this.#next = now + this.t.intervalMs;
    this.#arm();
  }

  #probe(): void {
    if (!this.#ready) {
      this.#outcome(undefined);
      return;
    }
    const w = this.#wire;
    this.#wire = nextLatencySeq(w);
    // A probe still waiting on this wire number (over 100 in flight) is lost now.
    const old = this.#pending.get(w);
    if (old) {
      clearTimeout(old.timer);
      this.#pending.delete(w);
      this.#outcome(undefined);
    }
    const { unixNs: t1, now: sentAt } = unixNowPaired();
    const timer = setTimeout(() => {
      if (this.#pending.get(w)?.t1 !== t1 || this.#closed) return;
      this.#pending.delete(w);
      this.#outcome(undefined);
    }, this.t.timeoutMs);
    timer.unref();
    this.#pending.set(w, { at: sentAt, t1, timer });
    const text = formatLatencyMessage({ seq: w, source: this.#source, timeNs: t1, tagsText: TAGS });
    this.#socket.send(Buffer.from(text, 'latin1'), (err) => {
      if (!err || this.#pending.get(w)?.t1 !== t1) return;
      clearTimeout(timer);
      this.#pending.delete(w);
      this.#outcome(undefined, err.message);
    });
  }

  #answer(data: Buffer): void {
    const { unixNs: t4, now } = unixNowPaired();
    const r = parseLatencyMessage(data.toString('latin1'));
    if (!r.ok) return;
    const m = r.message;
    const p = this.#pending.get(m.seq);
    if (!p) return;
    this.#pending.delete(m.seq);
    clearTimeout(p.timer);
    const at = m.source.lastIndexOf('@');
    const t3Text = at >= 0 ? m.source.slice(at + 1) : '';
    const t3 = /^[0-9]{1,20}$/.test(t3Text) ? BigInt(t3Text) : m.timeNs;
    const forwardMs = nsToMs(m.timeNs - p.t1);
    const reverseMs = nsToMs(t4 - t3);
    this.#x.oneWay(forwardMs, reverseMs);
    this.#exchanges.push({ forwardMs, reverseMs });
    if (this.#exchanges.length > OFFSET_WINDOW) this.#exchanges.shift();
    const est = estimateOffset(this.#exchanges);
    if (est) {
      this.#x.gauge('offsetMs', est.offsetMs);
      this.#x.gauge('offsetErrMs', est.uncertaintyMs);
      const negative = this.#exchanges.some((x) => x.forwardMs < 0 || x.reverseMs < 0);
      this.#x.gauge('unstable', est.reliable && !negative ? 0 : 1);
    }
    this.#outcome(now - p.at);
  }
}

export class OwdMonitorEngine implements MonitorEngine {
  readonly #targets = new Map<number, OwdTarget>();
  readonly #source: string;
  #closed = false;

  /** `source`: the SOURCE field of our messages (the agent's name; `|` and `@` replaced). */
  constructor(source = 'meshprobe') {
    this.#source = source.replace(/[|@]/g, '_').slice(0, 64) || 'meshprobe';
  }

  get size(): number {
    return this.#targets.size;
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome, extras?: MonitorExtrasSink): void {
    if (this.#closed) throw new Error('the owd monitor engine is closed');
    this.remove(t.id);
    this.#targets.set(t.id, new OwdTarget(t, outcome, extras ?? quietSink, this.#source));
  }

  remove(id: number): void {
    this.#targets.get(id)?.close();
    this.#targets.delete(id);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#targets.values()) t.close();
    this.#targets.clear();
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function owdMonitorEngine(o: MonitorEngineOptions): MonitorEngine {
  return new OwdMonitorEngine(o.agent);
}
