/**
 * Many TCP echo connections (tcp_ping_prometheus' frames) on one epoll set in the native addon
 * (agent/native/src/echo_set.c, where the reasons are): the probes due in a tick leave in one
 * call, the replies of every connection come back in one callback, and nothing is allocated per
 * probe. Connections are identified by slots, small integers the caller picks.
 *
 * Times are ms on the set's clock ({@link echoSetNow}: CLOCK_REALTIME from an epoch): a reply's
 * time (the kernel's receive time of its segment) minus its send time (taken in C next to the
 * send() call) is the round trip.
 *
 * A set is watched by the event loop (replies come as they arrive), or `polled`: {@link EchoSet.poll}
 * takes what is ready, so a caller that looks every few ms anyway pays no wake-up per reply.
 *
 * A slot can also be *scheduled* ({@link EchoSet.schedule}): C then sends its probes, matches the
 * replies, times out the late ones and keeps the adaptive timeout and the loss window
 * (agent/native/src/echo_probe.c), each {@link EchoSet.tick}, and reports only outcomes: a round
 * trip, a loss and its reason, a gauge that changed. That is how the TCP echo monitors run: at
 * 1,000 monitors the JavaScript bookkeeping of each probe and reply (a wheel, rings, the RTO) cost
 * more than the kernel's work apart from TCP itself, mostly in cache misses over 1,000 monitors'
 * objects; in C it is a few lines of one struct per connection.
 */
import { nativeAddon } from './native-addon.ts';

type Handle = object & { readonly __brand: 'EchoSetHandle' };

interface Native {
  echoSetOpen(onEvents: (count: number) => void, events: Float64Array, polled: boolean): Handle;
  echoSetPoll(h: Handle): number;
  echoSetConnect(h: Handle, slot: number, address: string, port: number, legacy: boolean): number;
  echoSetSend(h: Handle, slots: Int32Array, seqs: Float64Array, times: Float64Array, n: number): number;
  echoSetClose(h: Handle, slot: number): void;
  echoSetFree(h: Handle): void;
  echoSetRef(h: Handle, on: boolean): void;
  echoSetNow(): number;
  echoSetSchedule(h: Handle, slot: number, intervalMs: number, firstInMs: number, timeoutMs: number, fixed: boolean, rtoMinMs: number, rtoMaxMs: number, firstSeq: number): void;
  echoSetUnschedule(h: Handle, slot: number): void;
  echoSetTick(h: Handle): number;
  echoSetFlush(h: Handle): number;
  echoSetMaxSlots: number;
  echoSetEventFields: number;
}

const addon = (): Native => nativeAddon() as Native;

/** What an echo set reports. */
export interface EchoSetHandlers {
  /** `slot`'s connection is established. */
  connected(slot: number): void;
  /** A reply with sequence `seq` came on `slot` at `t` (echoSetNow's clock). */
  reply(slot: number, seq: number, t: number): void;
  /**
   * `slot`'s connection ended: `errno` 0 when the peer closed it, else the error (EPROTO: a reply
   * with a wrong magic). `lost`: a scheduled slot's probes that were in flight on it.
   */
  closed(slot: number, errno: number, lost: number): void;
  /** A scheduled slot's probe was answered after `rttMs`, at `t` (echoSetNow's clock: the reply may have been held back, see {@link EchoSet.flush}). */
  rtt?(slot: number, rttMs: number, t: number): void;
  /** A scheduled slot's probe was lost: timed out, due while there was no connection, or refused by a full send buffer. */
  lost?(slot: number, reason: LostReason): void;
  /** A scheduled slot's gauge changed: the timeout in use (ms), or the loss over the last 100 probes (%). */
  gauge?(slot: number, gauge: 'rtoMs' | 'lossWindowPct', value: number): void;
}

export type LostReason = 'timeout' | 'down' | 'full';

/** How a scheduled slot probes. */
export interface EchoSchedule {
  intervalMs: number;
  /** The first probe this long from now. */
  firstInMs: number;
  /** The timeout: fixed, or where the adaptive one starts. */
  timeoutMs: number;
  fixed: boolean;
  /** The adaptive timeout's clamp. */
  rtoMinMs: number;
  rtoMaxMs: number;
  /** The first probe's sequence. */
  firstSeq: number;
}

const EV_CONNECTED = 1;
const EV_REPLY = 2;
const EV_CLOSED = 3;
const EV_RTT = 4;
const EV_LOST = 5;
const EV_GAUGE = 6;
const LOST_REASONS: readonly LostReason[] = ['timeout', 'timeout', 'down', 'full'];
/** Events handed over per callback at most (the buffer's size): a callback per 1,024 replies. */
const EVENTS = 1024;

/** The clock of an echo set's send and reply times (ms). */
export function echoSetNow(): number {
  return addon().echoSetNow();
}

/** Slots an echo set has (0 … this − 1). */
export function echoSetSlots(): number {
  return addon().echoSetMaxSlots;
}

export class EchoSet {
  readonly #native: Native;
  readonly #h: Handle;
  readonly #events: Float64Array;
  #freed = false;

  readonly #dispatch: (count: number) => void;

  constructor(handlers: EchoSetHandlers, o: { polled?: boolean } = {}) {
    this.#native = addon();
    const fields = this.#native.echoSetEventFields;
    this.#events = new Float64Array(EVENTS * fields);
    const ev = this.#events;
    this.#dispatch = (count) => {
      for (let i = 0, at = 0; i < count; i++, at += fields) {
        const kind = ev[at]!;
        const slot = ev[at + 1]!;
        if (kind === EV_RTT) handlers.rtt?.(slot, ev[at + 2]!, ev[at + 3]!);
        else if (kind === EV_REPLY) handlers.reply(slot, ev[at + 2]!, ev[at + 3]!);
        else if (kind === EV_LOST) handlers.lost?.(slot, LOST_REASONS[ev[at + 2]!] ?? 'timeout');
        else if (kind === EV_GAUGE) handlers.gauge?.(slot, ev[at + 2] === 1 ? 'rtoMs' : 'lossWindowPct', ev[at + 3]!);
        else if (kind === EV_CONNECTED) handlers.connected(slot);
        else if (kind === EV_CLOSED) handlers.closed(slot, ev[at + 2]!, ev[at + 3]!);
      }
    };
    this.#h = this.#native.echoSetOpen(this.#dispatch, ev, o.polled === true);
    this.#native.echoSetRef(this.#h, false);
  }

  /** A polled set: takes what is ready now (connects, replies, closes) and reports it. */
  poll(): void {
    if (!this.#freed) this.#dispatch(this.#native.echoSetPoll(this.#h));
  }

  /**
   * Probes `slot` from C (see the module's comment), whatever its connection: connect and close it
   * as before. Scheduling a slot again starts it afresh.
   */
  schedule(slot: number, o: EchoSchedule): void {
    this.#native.echoSetSchedule(this.#h, slot, o.intervalMs, o.firstInMs, o.timeoutMs, o.fixed, o.rtoMinMs, o.rtoMaxMs, o.firstSeq);
  }

  /** Stops probing `slot` (its probes in flight are forgotten); its connection stays until closed. */
  unschedule(slot: number): void {
    if (!this.#freed) this.#native.echoSetUnschedule(this.#h, slot);
  }

  /**
   * Reports the round trips scheduled slots hold back. C holds them (up to 16 a slot) so that a
   * monitor's are folded together while its state is in the cache; they go on their own when a
   * slot fills or has something else to report, and a slot's first at once.
   */
  flush(): void {
    if (!this.#freed) this.#dispatch(this.#native.echoSetFlush(this.#h));
  }

  /** A polled set's turn: takes what is ready, then the scheduled slots' probes that fell due, and reports it. */
  tick(): void {
    if (!this.#freed) this.#dispatch(this.#native.echoSetTick(this.#h));
  }

  /**
   * Starts connecting `slot` (its previous connection, if any, is closed without an event).
   * Returns an errno when it failed at once (then no event follows), 0 otherwise.
   */
  connect(slot: number, address: string, port: number, legacy = false): number {
    return this.#native.echoSetConnect(this.#h, slot, address, port, legacy);
  }

  /**
   * Sends a frame on each of the first `n` slots of `slots`, with the sequence in `seqs`; `times`
   * receives each send time, NaN for a frame that did not leave. Returns how many left.
   */
  send(slots: Int32Array, seqs: Float64Array, times: Float64Array, n: number): number {
    return this.#native.echoSetSend(this.#h, slots, seqs, times, n);
  }

  /** Closes `slot`'s connection, without an event. */
  close(slot: number): void {
    if (!this.#freed) this.#native.echoSetClose(this.#h, slot);
  }

  /** Whether the set keeps the process alive (it does not by default). */
  ref(on: boolean): void {
    if (!this.#freed) this.#native.echoSetRef(this.#h, on);
  }

  /** Closes every connection and the set. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#native.echoSetFree(this.#h);
  }
}
