/**
 * One ICMP socket per address family, shared by every measurement running in this process
 * (ping, sweeps, ICMP path probes). Echo requests get a unique (identifier, sequence) from the
 * pool; replies and ICMP errors are demultiplexed back to the probe that caused them.
 *
 * Raw sockets (CAP_NET_RAW) let us choose identifiers, so the pool spreads probes over a
 * range of {@link ID_SPAN} of them (65,536 sequences each), and a BPF socket filter on that range
 * keeps echo replies meant for other programs out of the socket (a raw socket otherwise gets a
 * copy of every echo reply on the host: another program's sweep would fill its buffer).
 * Unprivileged ICMP datagram sockets ("ping sockets") have one identifier the kernel picks and
 * demultiplexes itself; there the sequence alone names a probe, and ICMP errors arrive through
 * the socket's error queue instead of as packets.
 */
import { RawSocket, type RawMode, type RawPacket } from './raw-socket.ts';
import { ErrorCode } from '../../shared/model/errors.ts';
import { normalizeIp } from '../../shared/net/ip-address.ts';
import {
  buildEchoRequest,
  errorFromInfo,
  Icmp6Type,
  IcmpType,
  parseIcmp,
  type EchoMessage,
  type IcmpErrorClass,
} from '../packet/icmp-packet.ts';

/** An ICMP error about one of our echo requests. */
export interface EchoError extends IcmpErrorClass {
  icmpType: number;
  icmpCode: number;
  /** Who sent the error. */
  from: string;
  /** Kernel receive time of the error (RawSocket clock). */
  time: number;
}

/** Receives what happens to one echo request. Called at most once in total (reply or error). */
export interface EchoHandler {
  onReply(reply: EchoReply): void;
  onError(error: EchoError): void;
}

export interface EchoReply {
  /** Source of the reply. */
  from: string;
  /** Kernel receive time (RawSocket clock); minus the send time = RTT. */
  time: number;
  /** TTL / hop limit of the reply, when known. */
  ttl: number | null;
  /** ICMP bytes (header + payload). */
  bytes: number;
  message: EchoMessage;
}

export interface EchoProbe {
  address: string;
  /** TTL / hop limit of this request. */
  ttl?: number;
  payload: Uint8Array;
  handler: EchoHandler;
}

/** A probe in flight: cancel it once it timed out so late replies are ignored. */
export interface EchoTicket {
  readonly identifier: number;
  readonly sequence: number;
  /** Send time (RawSocket clock); NaN when the send failed. */
  readonly sentAt: number;
  /** errno name when the kernel refused this packet, else null. */
  readonly error: string | null;
  cancel(): void;
}

interface Pending {
  address: string;
  handler: EchoHandler;
  /** What the reply must echo back (raw sockets: tells our replies from another program's). */
  payload: Uint8Array;
}

const v4Types = [IcmpType.EchoReply, IcmpType.DestUnreachable, IcmpType.SourceQuench, IcmpType.Redirect, IcmpType.TimeExceeded, IcmpType.ParameterProblem];
/** Identifiers a raw channel uses (from a random base): 16 × 65,536 probes in flight at most. */
const ID_SPAN = 16;

const v6Types = [Icmp6Type.DestUnreachable, Icmp6Type.PacketTooBig, Icmp6Type.TimeExceeded, Icmp6Type.ParameterProblem, Icmp6Type.EchoReply];

/** One family's shared ICMP socket. Obtain through {@link IcmpSocketPool.acquire}. */
export class IcmpChannel {
  readonly family: 4 | 6;
  readonly #socket: RawSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #baseId: number;
  #next = 0;

  constructor(family: 4 | 6, mode: RawMode | 'auto' = 'auto') {
    this.family = family;
    this.#baseId = (Math.random() * 0x10000) | 0;
    const open = (m: RawMode): RawSocket =>
      RawSocket.open({
        family,
        protocol: 'icmp',
        mode: m,
        onPackets: (packets) => this.#onPackets(packets),
        // Raw sockets see every ICMP packet of the host; the kernel filter keeps the ones we parse.
        ...(m === 'raw' ? { icmpFilter: family === 4 ? v4Types : v6Types, echoIdentifiers: { first: this.#baseId, count: ID_SPAN } } : {}),
        receiveBufferBytes: 4 << 20,
      });
    if (mode !== 'auto') this.#socket = open(mode);
    else {
      try {
        this.#socket = open('raw');
      } catch (err) {
        if ((err as { code?: unknown }).code !== ErrorCode.NoPermission) throw err;
        this.#socket = open('dgram');
      }
    }
  }

  /** 'raw' or 'dgram' (the unprivileged ping socket). */
  get mode(): RawMode {
    return this.#socket.mode;
  }

  /** Sends one echo request. */
  send(probe: EchoProbe): EchoTicket {
    const key = this.#allocate();
    const { identifier, sequence } = this.#split(key);
    const data = buildEchoRequest({ family: this.family, identifier, sequence, payload: probe.payload });
    this.#pending.set(key, { address: canonical(probe.address), handler: probe.handler, payload: probe.payload });
    let sentAt = Number.NaN;
    let error: string | null = null;
    try {
      sentAt = this.#socket.send(data, probe.address, probe.ttl !== undefined ? { ttl: probe.ttl } : {});
    } catch (err) {
      this.#pending.delete(key);
      error = String((err as { code?: unknown }).code ?? 'EIO');
    }
    return this.#ticket(key, identifier, sequence, sentAt, error);
  }

  close(): void {
    this.#pending.clear();
    this.#socket.close();
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  #ticket(key: number, identifier: number, sequence: number, sentAt: number, error: string | null): EchoTicket {
    const pending = this.#pending;
    const entry = pending.get(key);
    return {
      identifier,
      sequence,
      sentAt,
      error,
      cancel: () => {
        if (entry && pending.get(key) === entry) pending.delete(key);
      },
    };
  }

  // Keys: raw sockets use (identifier offset << 16 | sequence), offsets below ID_SPAN (what the
  // socket filter passes); dgram sockets only have the 65,536 sequences of the kernel's identifier.
  #allocate(): number {
    const space = this.mode === 'raw' ? ID_SPAN * 0x10000 : 0x10000;
    if (this.#pending.size >= space) throw new Error('too many ICMP probes in flight');
    for (;;) {
      const key = this.#next;
      this.#next = (this.#next + 1) % space;
      if (!this.#pending.has(key)) return key;
    }
  }

  #split(key: number): { identifier: number; sequence: number } {
    if (this.mode === 'dgram') return { identifier: 0, sequence: key };
    return { identifier: (this.#baseId + Math.floor(key / 0x10000)) & 0xffff, sequence: key & 0xffff };
  }

  #key(identifier: number, sequence: number): number | undefined {
    if (this.mode === 'dgram') return sequence;
    const offset = (identifier - this.#baseId) & 0xffff;
    return offset < ID_SPAN ? offset * 0x10000 + sequence : undefined;
  }

  #take(identifier: number, sequence: number): Pending | undefined {
    const key = this.#key(identifier, sequence);
    if (key === undefined) return undefined;
    const p = this.#pending.get(key);
    if (p) this.#pending.delete(key);
    return p;
  }

  #onPackets(packets: RawPacket[]): void {
    const withIpHeader = this.family === 4 && this.mode === 'raw';
    for (const pkt of packets) {
      if (pkt.error) {
        this.#onQueuedError(pkt);
        continue;
      }
      const m = parseIcmp(pkt.data, { family: this.family, withIpHeader });
      if (!m) continue;
      if (m.kind === 'echo-reply') {
        const key = this.#key(m.identifier, m.sequence);
        const p = key === undefined ? undefined : this.#pending.get(key);
        if (!p) continue; // someone else's, a duplicate, or one we gave up on
        // On raw sockets another program may use the same identifier: like iputils, insist
        // on our own payload coming back.
        if (this.mode === 'raw' && !sameBytes(m.payload, p.payload)) continue;
        this.#pending.delete(key!);
        p.handler.onReply({ from: pkt.address, time: pkt.time, ttl: pkt.ttl ?? m.ip?.ttl ?? null, bytes: m.bytes, message: m });
      } else if (m.kind === 'error' && m.original?.icmp) {
        const o = m.original.icmp;
        if (o.type !== (this.family === 4 ? IcmpType.EchoRequest : Icmp6Type.EchoRequest)) continue;
        const key = this.#key(o.identifier, o.sequence);
        const p = key === undefined ? undefined : this.#pending.get(key);
        if (!p || p.address !== m.original.ip.destination) continue;
        this.#pending.delete(key!);
        p.handler.onError({
          kind: m.errorKind,
          message: m.message,
          ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
          ...(m.pointer !== undefined ? { pointer: m.pointer } : {}),
          icmpType: m.type,
          icmpCode: m.code,
          from: pkt.address,
          time: pkt.time,
        });
      }
    }
  }

  // Datagram sockets: the error queue hands back our own request and says what came back.
  #onQueuedError(pkt: RawPacket): void {
    const e = pkt.error!;
    if (pkt.data.length < 8) return;
    const sequence = pkt.data.readUInt16BE(6);
    const p = this.#take(0, sequence);
    if (!p) return;
    const local = e.origin === 'local';
    const cls = local ? null : errorFromInfo(this.family, e.type, e.code, e.info);
    p.handler.onError({
      kind: cls?.kind ?? (e.errno === 'EMSGSIZE' ? 'packet-too-big' : 'other'),
      message: cls?.message ?? (e.errno === 'EMSGSIZE' ? `Local error: message too long, mtu=${e.info}` : `Local error: ${e.errno}`),
      ...(cls?.mtu !== undefined ? { mtu: cls.mtu } : e.errno === 'EMSGSIZE' ? { mtu: e.info } : {}),
      icmpType: e.type,
      icmpCode: e.code,
      from: e.offender ?? pkt.address,
      time: pkt.time,
    });
  }
}

// The kernel prints addresses in RFC 5952 form; users may type '::0001'. Compare canonical forms.
function canonical(address: string): string {
  return normalizeIp(address) ?? address;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Slot {
  channel: IcmpChannel;
  users: number;
  idleTimer: NodeJS.Timeout | undefined;
}

export interface IcmpSocketPoolOptions {
  /** Socket mode to open: 'auto' (default) = raw, else the unprivileged datagram socket. */
  mode?: RawMode | 'auto';
  /**
   * How long an unused socket stays open (ms), unref'd, so back-to-back measurements reuse it.
   * Default 2000.
   */
  lingerMs?: number;
}

/** Hands out the per-family shared {@link IcmpChannel}, opening it on first use. */
export class IcmpSocketPool {
  static #shared: IcmpSocketPool | undefined;
  static #sharedMode: RawMode | 'auto' = 'auto';
  readonly #slots = new Map<4 | 6, Slot>();
  readonly #mode: RawMode | 'auto';
  readonly #lingerMs: number;

  constructor(o: IcmpSocketPoolOptions = {}) {
    this.#mode = o.mode ?? 'auto';
    this.#lingerMs = o.lingerMs ?? 2000;
  }

  /**
   * Sets the mode of the process-wide pool (MESHPROBE_ICMP_MODE, read at the process's edge).
   * Call before the first measurement; the pool is made on first use.
   */
  static useMode(mode: RawMode | 'auto'): void {
    IcmpSocketPool.#sharedMode = mode;
  }

  /** The process-wide pool, in the mode given to {@link IcmpSocketPool.useMode} (default auto). */
  static shared(): IcmpSocketPool {
    if (!IcmpSocketPool.#shared) IcmpSocketPool.#shared = new IcmpSocketPool({ mode: IcmpSocketPool.#sharedMode });
    return IcmpSocketPool.#shared;
  }

  /**
   * The shared channel for `family`; call the returned release() when done. Throws
   * MeshprobeError(MP_ERR_PERMISSION) when no ICMP socket can be opened.
   */
  acquire(family: 4 | 6): { channel: IcmpChannel; release: () => void } {
    let slot = this.#slots.get(family);
    if (!slot) {
      slot = { channel: new IcmpChannel(family, this.#mode), users: 0, idleTimer: undefined };
      this.#slots.set(family, slot);
    }
    const s = slot;
    if (s.idleTimer) {
      clearTimeout(s.idleTimer);
      s.idleTimer = undefined;
    }
    if (s.users++ === 0) s.channel.ref();
    let released = false;
    return {
      channel: s.channel,
      release: () => {
        if (released) return;
        released = true;
        if (--s.users > 0) return;
        s.channel.unref();
        s.idleTimer = setTimeout(() => this.#closeSlot(family, s), this.#lingerMs);
        s.idleTimer.unref();
      },
    };
  }

  /** Closes every socket now (tests, shutdown). */
  close(): void {
    for (const [family, s] of this.#slots) this.#closeSlot(family, s);
  }

  #closeSlot(family: 4 | 6, s: Slot): void {
    if (s.idleTimer) clearTimeout(s.idleTimer);
    if (this.#slots.get(family) === s) this.#slots.delete(family);
    s.channel.close();
  }
}
