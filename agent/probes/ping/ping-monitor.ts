/**
 * The ping type's monitor engine: ICMP echo to many targets, each on its own interval.
 *
 * Sockets: one raw ICMP socket per family, of its own (agent/socket/raw-socket.ts), with the
 * BPF echo-identifier filter on its own {@link ID_SPAN} identifiers (as iputils ping attaches),
 * so that other programs' echo replies, and the one-shot measurements' on the shared pool, cost
 * this engine nothing. Without CAP_NET_RAW it falls back to the unprivileged ping socket, where
 * the kernel picks the identifier and the sequence alone names a probe. The engine keeps its own
 * socket rather than the pool's channel because, at 10,000 probes a second, the channel's
 * per-probe objects (pending entry, ticket, handlers, parsed reply) were half the agent's CPU
 * and kept ~100 MB of short-lived garbage: here a probe in flight is a slot in typed arrays,
 * and a reply is read from its bytes (type, identifier, sequence) without parsing it into objects.
 * The socket is a batched one (RawSocket.openBatched): replies are received into one
 * preallocated buffer and read in place, and the source is compared as bytes, so a reply
 * allocates nothing. With a JS object per received packet (~300 bytes with its Buffer and address
 * string: ~3 MB/s at 10,000 replies a second) V8 kept its young generation at its largest,
 * 128 MB of the agent's ~250 MB RSS.
 *
 * Schedule: the targets of one interval form a ring sorted by phase, the phases spread evenly
 * over the interval (a golden-ratio sequence by id, so adding targets keeps them spread), and
 * one timer walks every ring: each wake-up sends what fell due since the last one. The timer
 * sleeps until the next due probe or timeout, never less than {@link TICK_MS}, so 10,000 targets
 * at 1 Hz cost ~100 wake-ups a second, and one target costs two.
 *
 * Each request leaves with its own send time, read right before its sendmsg (as ping's are):
 * sendmmsg would save syscalls but give up to 64 packets one time, and on a LAN the later ones'
 * round trips would grow by the time the kernel spent on the earlier ones. Replies are timed
 * with the kernel's receive stamp. A request still unanswered after its target's timeout is
 * lost (ICMP errors about it are not read: it times out). Requests in flight wait in one FIFO of
 * typed arrays per timeout value (deadlines in send order), so a probe allocates nothing either.
 */
import { ErrorCode } from '../../../shared/model/errors.ts';
import { ipToBytes, normalizeIp, parseIp } from '../../../shared/net/ip-address.ts';
import { echoPayload, Icmp6Type, IcmpType } from '../../packet/icmp-packet.ts';
import { internetChecksum } from '../../packet/inet-checksum.ts';
import { RawSocket, type RawBatch, type RawMode } from '../../socket/raw-socket.ts';
import type { MonitorEngine, MonitorEngineOptions, MonitorOutcome, MonitorProbeTarget } from '../../monitors/monitor-engine.ts';

/** Timer granularity (ms): the most a probe leaves late, and how finely timeouts are kept. */
const TICK_MS = 10;
/** Identifiers of a raw socket: ID_SPAN × 65,536 probes in flight at most. */
const ID_SPAN = 16;
const GOLDEN = 0.6180339887498949;
/** iputils' default payload: 56 bytes. */
const PAYLOAD = echoPayload(56);
/** Bytes kept of a received packet: an IPv4 header with options (60) and the echo header (8). */
const SNAP_BYTES = 72;

interface Target extends MonitorProbeTarget {
  outcome: MonitorOutcome;
  /** The address as 16 bytes (IPv4 in the first 4), as a batched socket reports sources. */
  addressBytes: Uint8Array;
  /** Its index in the engine's table (what a slot in flight points to). */
  index: number;
  /** Offset in its interval (ms). */
  phase: number;
  removed: boolean;
}

interface Ring {
  intervalMs: number;
  targets: Target[];
  /** Index of the next target to send. */
  next: number;
  /** Start of the cycle `next` belongs to (engine clock, ms). */
  cycle: number;
  /** Everything due up to this time (engine clock) has been sent. */
  done: number;
  dirty: boolean;
}

const errnoTexts: Record<string, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied (a broadcast address?)',
  EPERM: 'Operation not permitted (a firewall rule?)',
  EMSGSIZE: 'Message too long',
  EINVAL: 'Invalid argument',
};

/**
 * One family's socket and its probes in flight: slot = (identifier offset << 16) | sequence;
 * `target[slot]` is the target's index (−1: free), `gen[slot]` tells a reused slot from the one
 * a timeout bucket still names.
 */
class FamilySocket {
  readonly family: 4 | 6;
  readonly socket: RawSocket;
  /** Slots the socket can name: ID_SPAN × 65,536 (raw) or 65,536 (dgram). */
  readonly maxSlots: number;
  /** Slots in use now: one identifier's worth, doubled while more than half are in flight. */
  slots = 0x10000;
  sentAt = new Float64Array(0x10000);
  target = new Int32Array(0x10000).fill(-1);
  gen = new Uint32Array(0x10000);
  readonly #baseId: number;
  readonly #packet = new Uint8Array(8 + PAYLOAD.length);
  readonly #withIpHeader: boolean;
  #next = 0;
  inFlight = 0;

  /**
   * @param onReply called for each echo reply of ours with its slot, the batch it is in and its
   *   index there (its receive time and source address are read from the batch).
   */
  constructor(family: 4 | 6, mode: RawMode | 'auto', onReply: (slot: number, batch: RawBatch, i: number) => void) {
    this.family = family;
    this.#baseId = (Math.random() * 0x10000) | 0;
    const replyType = family === 4 ? IcmpType.EchoReply : Icmp6Type.EchoReply;
    const open = (m: RawMode): RawSocket =>
      RawSocket.openBatched({
        family,
        protocol: 'icmp',
        mode: m,
        recvTtl: false,
        snapBytes: SNAP_BYTES,
        onBatch: (batch: RawBatch, count: number) => {
          const d = batch.data;
          const captured = batch.captured;
          for (let i = 0; i < count; i++) {
            const o = i * SNAP_BYTES;
            const at = o + (this.#withIpHeader ? (d[o]! & 0x0f) * 4 : 0);
            if (captured[i]! < at - o + 8 || d[at] !== replyType) continue;
            const slot = this.#slot((d[at + 4]! << 8) | d[at + 5]!, (d[at + 6]! << 8) | d[at + 7]!);
            if (slot >= 0) onReply(slot, batch, i);
          }
        },
        ...(m === 'raw' ? { icmpFilter: [replyType], echoIdentifiers: { first: this.#baseId, count: ID_SPAN } } : {}),
        receiveBufferBytes: 4 << 20,
      });
    let socket: RawSocket;
    if (mode !== 'auto') socket = open(mode);
    else {
      try {
        socket = open('raw');
      } catch (err) {
        if ((err as { code?: unknown }).code !== ErrorCode.NoPermission) throw err;
        socket = open('dgram');
      }
    }
    // As the engine's timers: monitors alone do not keep a process alive (its owner closes them).
    this.socket = socket.unref();
    this.#withIpHeader = family === 4 && socket.mode === 'raw';
    this.maxSlots = socket.mode === 'raw' ? ID_SPAN * 0x10000 : 0x10000;
    this.#packet[0] = family === 4 ? IcmpType.EchoRequest : Icmp6Type.EchoRequest;
    this.#packet.set(PAYLOAD, 8);
  }

  #slot(identifier: number, sequence: number): number {
    if (this.socket.mode === 'dgram') return sequence;
    const offset = (identifier - this.#baseId) & 0xffff;
    const slot = offset * 0x10000 + sequence;
    return slot < this.slots ? slot : -1;
  }

  /** A free slot, or −1 when every one is in flight. */
  allocate(): number {
    if (this.inFlight * 2 > this.slots && this.slots < this.maxSlots) this.#grow();
    for (let tries = 0; tries < this.slots; tries++) {
      const slot = this.#next;
      this.#next = (this.#next + 1) % this.slots;
      if (this.target[slot] === -1) return slot;
    }
    return -1;
  }

  #grow(): void {
    const slots = Math.min(this.slots * 2, this.maxSlots);
    const sentAt = new Float64Array(slots);
    const target = new Int32Array(slots).fill(-1);
    const gen = new Uint32Array(slots);
    sentAt.set(this.sentAt);
    target.set(this.target);
    gen.set(this.gen);
    this.sentAt = sentAt;
    this.target = target;
    this.gen = gen;
    this.slots = slots;
  }

  /** Sends the request of `slot` to `address`; its send time, or the errno name. */
  send(slot: number, address: string): number | string {
    const p = this.#packet;
    const id = this.socket.mode === 'raw' ? (this.#baseId + (slot >>> 16)) & 0xffff : 0;
    const seq = slot & 0xffff;
    p[2] = 0;
    p[3] = 0;
    p[4] = id >>> 8;
    p[5] = id & 0xff;
    p[6] = seq >>> 8;
    p[7] = seq & 0xff;
    if (this.family === 4) {
      const c = internetChecksum(p);
      p[2] = c >>> 8;
      p[3] = c & 0xff;
    }
    try {
      return this.socket.send(p, address);
    } catch (err) {
      return String((err as { code?: unknown }).code ?? 'EIO');
    }
  }
}

export class PingMonitorEngine implements MonitorEngine {
  readonly #mode: RawMode | 'auto';
  readonly #byId = new Map<number, Target>();
  /** Targets by index (what slots point to); freed indexes are reused. */
  readonly #table: (Target | undefined)[] = [];
  readonly #freeIndexes: number[] = [];
  readonly #rings = new Map<number, Ring>();
  readonly #sockets = new Map<4 | 6, FamilySocket>();
  /** Requests in flight by timeout (ms): deadlines in send order. */
  readonly #timeouts = new Map<number, TimeoutQueue>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(o: MonitorEngineOptions = {}) {
    this.#mode = o.mode ?? 'auto';
  }

  get size(): number {
    return this.#byId.size;
  }

  /** 'raw' or 'dgram' for each family whose socket is open. */
  get modes(): Partial<Record<4 | 6, RawMode>> {
    return Object.fromEntries([...this.#sockets].map(([f, s]) => [f, s.socket.mode]));
  }

  add(t: MonitorProbeTarget, outcome: MonitorOutcome): void {
    if (this.#closed) throw new Error('the ping monitor engine is closed');
    this.remove(t.id);
    // Opens the family's socket now, so that a missing permission is the caller's error.
    this.#socket(t.family);
    const index = this.#freeIndexes.pop() ?? this.#table.length;
    const ip = parseIp(t.address);
    const addressBytes = new Uint8Array(16);
    if (ip) addressBytes.set(ipToBytes(ip));
    const target: Target = { ...t, address: normalizeIp(t.address) ?? t.address, addressBytes, outcome, index, phase: ((t.id * GOLDEN) % 1) * t.intervalMs, removed: false };
    this.#table[index] = target;
    this.#byId.set(t.id, target);
    let ring = this.#rings.get(t.intervalMs);
    if (!ring) {
      const now = performance.now();
      ring = { intervalMs: t.intervalMs, targets: [], next: 0, cycle: now - (now % t.intervalMs), done: now, dirty: false };
      this.#rings.set(t.intervalMs, ring);
    }
    ring.targets.push(target);
    ring.dirty = true;
    this.#wake(0);
  }

  remove(id: number): void {
    const t = this.#byId.get(id);
    if (!t) return;
    t.removed = true;
    this.#byId.delete(id);
    // The index is reused only once no slot can point to it any more (after its longest timeout).
    const index = t.index;
    setTimeout(() => {
      if (this.#table[index] === t) {
        this.#table[index] = undefined;
        this.#freeIndexes.push(index);
      }
    }, t.timeoutMs + 2 * TICK_MS).unref();
    const ring = this.#rings.get(t.intervalMs);
    if (ring) ring.dirty = true;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timeouts.clear();
    this.#byId.clear();
    this.#table.length = 0;
    this.#rings.clear();
    for (const s of this.#sockets.values()) s.socket.close();
    this.#sockets.clear();
  }

  #socket(family: 4 | 6): FamilySocket {
    let s = this.#sockets.get(family);
    if (!s) {
      const made: FamilySocket = new FamilySocket(family, this.#mode, (slot, batch, i) => this.#reply(made, slot, batch, i));
      this.#sockets.set(family, (s = made));
    }
    return s;
  }

  #reply(s: FamilySocket, slot: number, batch: RawBatch, i: number): void {
    const index = s.target[slot]!;
    if (index < 0) return; // timed out, or not ours
    const t = this.#table[index];
    // Another program that happens to use one of our identifiers: its replies come from elsewhere.
    if (!t || !sameAddress(t.addressBytes, batch.address, i * 16, s.family === 4 ? 4 : 16)) return;
    s.target[slot] = -1;
    s.inFlight--;
    if (!t.removed) t.outcome(batch.time[i]! - s.sentAt[slot]!);
  }

  /** Arms the timer to fire in `ms` (or sooner, if it already is). */
  #wake(ms: number): void {
    if (this.#closed) return;
    const at = performance.now() + Math.max(ms, 0);
    if (this.#timer && at >= this.#timerAt - 1) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#tick(), Math.max(ms, 0));
    this.#timer.unref();
  }

  #tick(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const now = performance.now();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const [interval, ring] of this.#rings) {
      if (ring.dirty) this.#rebuild(ring, ring.done);
      if (ring.targets.length === 0) {
        this.#rings.delete(interval);
        continue;
      }
      nextDue = Math.min(nextDue, this.#sendDue(ring, now));
    }
    this.#expire(now);
    // Sleep until the next probe or the next timeout, whichever comes first.
    let nextTimeout = Number.POSITIVE_INFINITY;
    for (const q of this.#timeouts.values()) if (q.size > 0) nextTimeout = Math.min(nextTimeout, q.headDeadline());
    const next = Math.min(nextDue, nextTimeout);
    if (Number.isFinite(next)) this.#wake(Math.max(TICK_MS, next - performance.now()));
  }

  /** Sorts a ring by phase after adds and removes, and finds where `from` (sent up to) is in its cycle. */
  #rebuild(ring: Ring, from: number): void {
    ring.targets = ring.targets.filter((t) => !t.removed).sort((a, b) => a.phase - b.phase);
    ring.dirty = false;
    ring.done = from;
    ring.cycle = from - (from % ring.intervalMs);
    const pos = from - ring.cycle;
    let i = 0;
    while (i < ring.targets.length && ring.targets[i]!.phase <= pos) i++;
    // What is past in this cycle waits for the next one: a new target's first probe comes
    // within one interval, and nobody is probed twice in one.
    ring.next = i;
    if (i === ring.targets.length) {
      ring.next = 0;
      ring.cycle += ring.intervalMs;
    }
  }

  /** Sends what is due in `ring`; returns when its next probe is due. */
  #sendDue(ring: Ring, now: number): number {
    // After a stall longer than an interval, start again from now rather than send a burst.
    // Measured from when the next probe was due, not from the last wake-up: a lone target's
    // timer sleeps a whole interval, and waking a moment late must not skip its probe.
    if (now - (ring.cycle + ring.targets[ring.next]!.phase) > ring.intervalMs) this.#rebuild(ring, now);
    ring.done = now;
    const n = ring.targets.length;
    for (let sent = 0; sent < n; sent++) {
      const t = ring.targets[ring.next]!;
      if (ring.cycle + t.phase > now) break;
      if (!t.removed) this.#send(t, now);
      if (++ring.next === n) {
        ring.next = 0;
        ring.cycle += ring.intervalMs;
      }
    }
    return ring.cycle + ring.targets[ring.next]!.phase;
  }

  #send(t: Target, now: number): void {
    let s: FamilySocket;
    try {
      s = this.#socket(t.family);
    } catch (err) {
      t.outcome(undefined, (err as Error).message);
      return;
    }
    const slot = s.allocate();
    if (slot < 0) {
      t.outcome(undefined, `more than ${s.maxSlots} probes in flight`);
      return;
    }
    const sent = s.send(slot, t.address);
    if (typeof sent === 'string') {
      // A full send buffer is local congestion: that request is lost, without a reason to show.
      t.outcome(undefined, sent === 'ENOBUFS' || sent === 'EAGAIN' ? undefined : (errnoTexts[sent] ?? sent));
      return;
    }
    s.sentAt[slot] = sent;
    s.target[slot] = t.index;
    const gen = ++s.gen[slot]!;
    s.inFlight++;
    let q = this.#timeouts.get(t.timeoutMs);
    if (!q) this.#timeouts.set(t.timeoutMs, (q = new TimeoutQueue()));
    q.push(now + t.timeoutMs, t.family, slot, gen);
  }

  /** Probes whose timeout passed are lost. */
  #expire(now: number): void {
    for (const [timeoutMs, q] of this.#timeouts) {
      while (q.size > 0 && q.headDeadline() <= now) {
        const s = this.#sockets.get(q.headFamily());
        const slot = q.headSlot();
        const gen = q.headGen();
        q.shift();
        if (!s || s.gen[slot] !== gen || s.target[slot] === -1) continue;
        const t = this.#table[s.target[slot]!];
        s.target[slot] = -1;
        s.inFlight--;
        if (t && !t.removed) t.outcome(undefined);
      }
      // An empty queue goes (a small one is made again on the next send).
      if (q.size === 0) this.#timeouts.delete(timeoutMs);
    }
  }
}

/** Whether the 4 or 16 bytes at `at` of `b` are `a`'s. */
function sameAddress(a: Uint8Array, b: Uint8Array, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[k] !== b[at + k]) return false;
  return true;
}

/**
 * Requests in flight with one timeout, in send order, so their deadlines are too: a ring of
 * typed arrays (deadline, family, slot, generation) that doubles when full and is never
 * allocated per probe.
 */
class TimeoutQueue {
  #deadline = new Float64Array(64);
  #family = new Uint8Array(64);
  #slot = new Int32Array(64);
  #gen = new Uint32Array(64);
  #head = 0;
  size = 0;

  push(deadline: number, family: 4 | 6, slot: number, gen: number): void {
    if (this.size === this.#slot.length) this.#grow();
    const i = (this.#head + this.size) % this.#slot.length;
    this.#deadline[i] = deadline;
    this.#family[i] = family;
    this.#slot[i] = slot;
    this.#gen[i] = gen;
    this.size++;
  }

  headDeadline(): number {
    return this.#deadline[this.#head]!;
  }

  headFamily(): 4 | 6 {
    return this.#family[this.#head] as 4 | 6;
  }

  headSlot(): number {
    return this.#slot[this.#head]!;
  }

  headGen(): number {
    return this.#gen[this.#head]!;
  }

  shift(): void {
    this.#head = (this.#head + 1) % this.#slot.length;
    this.size--;
  }

  #grow(): void {
    const n = this.#slot.length;
    const order = (a: Float64Array | Uint8Array | Int32Array | Uint32Array, b: typeof a): void => {
      // Unrolls the ring from the head into the start of the bigger array.
      b.set(a.subarray(this.#head));
      b.set(a.subarray(0, this.#head), n - this.#head);
    };
    const deadline = new Float64Array(n * 2);
    const family = new Uint8Array(n * 2);
    const slot = new Int32Array(n * 2);
    const gen = new Uint32Array(n * 2);
    order(this.#deadline, deadline);
    order(this.#family, family);
    order(this.#slot, slot);
    order(this.#gen, gen);
    this.#deadline = deadline;
    this.#family = family;
    this.#slot = slot;
    this.#gen = gen;
    this.#head = 0;
  }
}

/** The registry's factory (agent/probes/registry.ts). */
export function pingMonitorEngine(o: MonitorEngineOptions): MonitorEngine {
  return new PingMonitorEngine(o);
}
