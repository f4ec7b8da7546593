/**
 * RawSocket: the one TypeScript door to the native addon (agent/native, C, N-API 8 + libuv).
 * The addon only moves bytes and timestamps; every packet is built and parsed in TypeScript.
 *
 * API
 * ---
 *   RawSocket.open(options: RawSocketOptions): RawSocket
 *     family 4|6; protocol 'icmp'|'udp'|'tcp'; mode 'raw' (SOCK_RAW, needs CAP_NET_RAW),
 *     'dgram' (icmp: the unprivileged "ping socket", net.ipv4.ping_group_range; udp: a plain UDP
 *     socket, useful with recvErr) or 'auto' (icmp: raw, else dgram). Throws MeshprobeError
 *     MP_ERR_PERMISSION with a fix-it message when neither is allowed.
 *     onPackets(packets) is called once per received batch (up to 64 packets, one recvmmsg).
 *   RawSocket.openBatched(options: RawBatchSocketOptions): RawSocket
 *     the same socket, but received packets are not made into objects: each recvmmsg writes the
 *     first `snapBytes` of up to 64 packets into one preallocated buffer ({@link RawBatch}:
 *     typed arrays of times, lengths, TTLs and source addresses beside the bytes), and
 *     onBatch(batch, count) reads them in place. Nothing is allocated per packet: for a receive
 *     path that runs ten thousand times a second (the ping monitor engine). Error-queue packets
 *     are not delivered in this mode.
 *   socket.send(data, address, { ttl?, port? }): number            → send time
 *   socket.sendBatch([{ data, address, ttl?, port? }, …]): SendBatchResult  (sendmmsg)
 *   socket.bind(address, port?)       dgram ICMP: the port is the echo identifier to use
 *   socket.localAddress(): { address, port }   dgram ICMP: port = identifier the kernel uses
 *   socket.ref() / socket.unref()     whether the open socket keeps the process alive (default ref)
 *   socket.close()                    stops polling, closes the fd; idempotent
 *   socket.receiveStats(): ReceiveStats   kernel drops (buffer full), bytes queued, buffer size
 *   socket.drops                      shorthand: packets the kernel dropped on this socket so far
 *   socket.family / .protocol / .mode / .closed
 *   rawNow(): number                  the current time on the packets' clock
 *   rawEpochMs(): number              Unix-epoch ms of time 0 (to turn times into dates)
 *   rawSocketsAvailable(): boolean    whether the addon is built and loads
 *
 * Received packets ({@link RawPacket}):
 *   - IPv4 raw sockets deliver the IP header too (parse it: agent/packet/icmp-packet.ts). IPv6 raw
 *     sockets and dgram sockets deliver the transport header onwards.
 *   - time: kernel receive timestamp (SO_TIMESTAMPNS); ttl: IP_RECVTTL / IPV6_RECVHOPLIMIT.
 *   - error: set for packets drained from the error queue (IP_RECVERR / IPV6_RECVERR, on by
 *     default for dgram sockets): `data` is then the start of OUR packet that caused the error,
 *     `address`/`port` its destination, and `error` tells who complained and why.
 *   - The receive queue is drained (recvmmsg, 64 a call) until EAGAIN on every wake-up. When the
 *     receive buffer is full anyway, the kernel drops: SO_RXQ_OVFL (cmsg on each packet) and
 *     SO_MEMINFO count those drops, readable through receiveStats() (also after close()).
 *
 * Times are milliseconds (double) since an epoch fixed when the addon loads, on CLOCK_REALTIME
 * (the clock the kernel stamps packets with). The send time is read immediately before the
 * sendmsg/sendmmsg syscall, so `packet.time - sendTime` is the round trip.
 *
 * Sending: per-packet TTL / hop limit travels as a cmsg, so one socket can probe many TTLs at
 * once. IPv6 raw ICMPv6 checksums are filled in by the kernel; for raw IPv6 UDP/TCP set
 * `checksumOffset` (6 for UDP, 16 for TCP) and the kernel fills those too. IPv4 raw sockets
 * (without IP_HDRINCL) build the IP header themselves; you give the transport header onwards.
 */
import { nativeAddon } from './native-addon.ts';
import { realpathSync } from 'node:fs';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { notePacketsSent } from './packet-count.ts';

export type RawFamily = 4 | 6;
export type RawProtocol = 'icmp' | 'udp' | 'tcp';
export type RawMode = 'raw' | 'dgram';

/** What the error queue says about one of our packets. */
export interface RawPacketError {
  /** errno name the kernel mapped the error to, e.g. 'EHOSTUNREACH', 'ECONNREFUSED', 'EMSGSIZE'. */
  errno: string;
  /** Who reported it: 'icmp' / 'icmp6' (a router or the target), 'local' (this host), … */
  origin: 'icmp' | 'icmp6' | 'local' | 'none' | 'txstatus' | 'zerocopy' | 'txtime';
  /** ICMP type and code of the error message (origin icmp/icmp6). */
  type: number;
  code: number;
  /** Extra info: the next-hop MTU for frag-needed / packet-too-big / local EMSGSIZE. */
  info: number;
  /** Address of the host that sent the ICMP error. */
  offender?: string;
}

/** A received packet. */
export interface RawPacket {
  data: Buffer;
  /** Source address (for error-queue packets: the destination of our original packet). */
  address: string;
  /** Source port (dgram UDP sockets only). */
  port?: number;
  /** Kernel receive timestamp, ms on the RawSocket clock. */
  time: number;
  /** TTL / hop limit of the received packet, when the socket reports it. */
  ttl?: number;
  /** Present for packets from the error queue. */
  error?: RawPacketError;
}

/** What the kernel says about a socket's receive side; see {@link RawSocket.receiveStats}. */
export interface ReceiveStats {
  /** Packets dropped because the receive buffer was full, since the socket opened. */
  drops: number;
  /** Bytes (kernel accounting: truesize) queued right now, unread. */
  queuedBytes: number;
  /** The receive buffer in the same accounting (twice what SO_RCVBUF was given). */
  bufferBytes: number;
}

/** One packet for {@link RawSocket.sendBatch}. */
export interface OutPacket {
  data: Uint8Array;
  address: string;
  /** TTL / hop limit for this packet only (1–255); default: the socket's. */
  ttl?: number;
  /** Destination port (dgram UDP sockets; ignored by raw sockets). */
  port?: number;
}

export interface SendBatchResult {
  /**
   * Packets handled, from the start of the input. Fewer than given means the socket's send
   * buffer is full: send the rest again later (after a short wait).
   */
  processed: number;
  /**
   * Send time of each handled packet; NaN for a packet that failed. Read once before each
   * sendmmsg call, so up to 64 packets share it: later packets of a call left later. Where each
   * packet's RTT matters, send one at a time with {@link RawSocket.send} (the hop-by-hop path measurement does).
   */
  times: number[];
  /** errno name of each handled packet that failed (e.g. 'EACCES' for a broadcast address), else null. */
  errors: (string | null)[];
}

export interface RawSocketOptions {
  family: RawFamily;
  protocol: RawProtocol;
  /** 'raw' needs CAP_NET_RAW; 'dgram' is unprivileged; 'auto' (default) tries raw, then dgram (icmp only). */
  mode?: RawMode | 'auto';
  /** Called once per received batch, on the event loop. */
  onPackets: (packets: RawPacket[]) => void;
  /** Report the TTL / hop limit of received packets. Default true. */
  recvTtl?: boolean;
  /** Drain the error queue (IP_RECVERR / IPV6_RECVERR). Default: true for dgram, false for raw. */
  recvErr?: boolean;
  /** IPV6_CHECKSUM: offset of the checksum the kernel fills in (raw IPv6 UDP: 6, TCP: 16). */
  checksumOffset?: number;
  /** SO_RCVBUF(FORCE) in bytes: raise for sweeps so bursts of replies are not dropped. */
  receiveBufferBytes?: number;
  /** SO_SNDBUF(FORCE) in bytes. */
  sendBufferBytes?: number;
  /** Default TTL / hop limit of packets without their own. */
  ttl?: number;
  /** SO_BINDTODEVICE: send and receive only through this interface. */
  device?: string;
  /** Path-MTU discovery mode (IP_MTU_DISCOVER): 'do' sets DF and reports EMSGSIZE locally. */
  pmtu?: 'want' | 'do' | 'dont' | 'probe';
  /** Raw ICMP sockets: ICMP types to let through (kernel filter); all others are dropped. */
  icmpFilter?: number[];
  /**
   * Raw ICMP sockets: a BPF socket filter (as iputils ping attaches) that passes echo replies
   * only with an identifier in first … first+count−1 (mod 2^16, count default 1), so other
   * programs' replies never reach this socket. ICMP errors still pass. Dgram ICMP sockets need
   * none: the kernel delivers them only their own.
   */
  echoIdentifiers?: { first: number; count?: number };
}

/** Options of {@link RawSocket.openBatched}: those of {@link RawSocket.open} except the receive callback and the error queue. */
export interface RawBatchSocketOptions extends Omit<RawSocketOptions, 'onPackets' | 'recvErr'> {
  /**
   * Called once per received batch with the batch buffer and how many packets it holds now
   * (slots 0 … count−1). The buffer is overwritten by the next receive: read it here, copy what
   * must outlive the call.
   */
  onBatch: (batch: RawBatch, count: number) => void;
  /** Bytes kept of each packet (a multiple of 8, 8–65,536); the rest is cut off. Default 128. */
  snapBytes?: number;
}

/**
 * The receive buffer of a batched socket: slot i (0 … count−1 in onBatch) is one packet. All
 * views share one ArrayBuffer that the native addon fills in place (layout in
 * agent/native/src/raw_socket.c).
 */
export class RawBatch {
  /** Packets one receive call can hold. */
  readonly capacity: number;
  /** Bytes kept of each packet. */
  readonly snapBytes: number;
  /** Kernel receive time of each packet (ms, RawSocket clock). */
  readonly time: Float64Array;
  /** Bytes of each packet in {@link data} (its length, at most snapBytes). */
  readonly captured: Int32Array;
  /** Each packet's full length (more than `captured` when it was cut off). */
  readonly length: Int32Array;
  /** TTL / hop limit of each packet when the socket reports it (recvTtl), else −1. */
  readonly ttl: Int32Array;
  /** Source port (dgram UDP sockets), else −1. */
  readonly port: Int32Array;
  /** Source address bytes, 16 per packet: IPv4 in the first 4, the rest zero. */
  readonly address: Uint8Array;
  /** The packets' bytes: packet i starts at i × snapBytes (IPv4 raw sockets: at its IP header). */
  readonly data: Uint8Array;
  /** @internal the buffer handed to the addon. */
  readonly buffer: ArrayBuffer;

  constructor(capacity: number, snapBytes: number) {
    if (!Number.isInteger(snapBytes) || snapBytes < 8 || snapBytes > 65_536 || snapBytes % 8 !== 0) {
      throw new MeshprobeError(ErrorCode.BadRequest, 'snapBytes must be a multiple of 8 from 8 to 65536');
    }
    this.capacity = capacity;
    this.snapBytes = snapBytes;
    const b = (this.buffer = new ArrayBuffer(capacity * (8 + 16 + 16 + snapBytes)));
    let at = 0;
    this.time = new Float64Array(b, at, capacity);
    at += capacity * 8;
    this.captured = new Int32Array(b, at, capacity);
    this.length = new Int32Array(b, at + capacity * 4, capacity);
    this.ttl = new Int32Array(b, at + capacity * 8, capacity);
    this.port = new Int32Array(b, at + capacity * 12, capacity);
    at += capacity * 16;
    this.address = new Uint8Array(b, at, capacity * 16);
    this.data = new Uint8Array(b, at + capacity * 16, capacity * snapBytes);
  }

  /** Packet i's captured bytes (a view, valid during the callback only; allocates: not for hot paths). */
  bytes(i: number): Uint8Array {
    return this.data.subarray(i * this.snapBytes, i * this.snapBytes + this.captured[i]!);
  }

  /** Packet i's source address as text (allocates: not for hot paths). */
  addressText(i: number, family: RawFamily): string {
    const a = this.address.subarray(i * 16, i * 16 + 16);
    if (family === 4) return `${a[0]}.${a[1]}.${a[2]}.${a[3]}`;
    const words: string[] = [];
    for (let k = 0; k < 16; k += 2) words.push(((a[k]! << 8) | a[k + 1]!).toString(16));
    // The shortest form (RFC 5952): the longest run of zero words (two or more) becomes '::'.
    let best = -1;
    let bestLen = 1;
    for (let k = 0; k < 8; ) {
      if (words[k] !== '0') {
        k++;
        continue;
      }
      let e = k;
      while (e < 8 && words[e] === '0') e++;
      if (e - k > bestLen) [best, bestLen] = [k, e - k];
      k = e;
    }
    if (best < 0) return words.join(':');
    return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
  }
}

type Handle = object & { readonly __brand: 'RawSocketHandle' };

interface Native {
  open(family: number, protocol: string, mode: string, cb: ((p: RawPacket[]) => void) | ((count: number) => void), o?: object): Handle;
  send(h: Handle, data: Uint8Array, address: string, port?: number, ttl?: number): number;
  sendBatch(h: Handle, packets: OutPacket[]): (number | string)[];
  bind(h: Handle, address: string, port?: number): void;
  localAddress(h: Handle): { address: string; port: number };
  ref(h: Handle, on: boolean): void;
  close(h: Handle): void;
  receiveStats(h: Handle): ReceiveStats;
  now(): number;
  epochMs: number;
  /** Packets per receive call (the slots of a batch buffer). */
  batchSize: number;
}

function addon(): Native {
  return nativeAddon() as Native;
}

/** Whether the native addon loads (it does after a successful `npm install`). */
export function rawSocketsAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}

/** The current time on the clock of every RawSocket time (ms since the addon's epoch). */
export function rawNow(): number {
  return addon().now();
}

/** Unix-epoch milliseconds of time 0 of the RawSocket clock. */
export function rawEpochMs(): number {
  return addon().epochMs;
}

// Names the node binary actually running (the project's own, not whatever `node` is on PATH).
function permissionHelp(): string {
  let node = process.execPath;
  try {
    node = realpathSync(node);
  } catch {
    // keep execPath
  }
  return (
    `grant raw sockets with \`sudo setcap cap_net_raw+ep ${node}\`, ` +
    'or allow unprivileged ICMP with `sudo sysctl -w net.ipv4.ping_group_range="0 2147483647"`'
  );
}

function isPermission(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'EPERM' || code === 'EACCES';
}

/** A raw or datagram socket polled by libuv; see the API comment at the top of this file. */
export class RawSocket {
  readonly family: RawFamily;
  readonly protocol: RawProtocol;
  /** The mode actually opened ('auto' resolved). */
  readonly mode: RawMode;
  #handle: Handle;
  #closed = false;

  private constructor(handle: Handle, family: RawFamily, protocol: RawProtocol, mode: RawMode) {
    this.#handle = handle;
    this.family = family;
    this.protocol = protocol;
    this.mode = mode;
  }

  /** Opens a socket; throws MeshprobeError (MP_ERR_PERMISSION with a fix-it, MP_ERR_BAD_REQUEST, MP_ERR_INTERNAL). */
  static open(o: RawSocketOptions): RawSocket {
    return RawSocket.#openWith(o, o.onPackets, {});
  }

  /**
   * Opens a socket whose packets are received into one preallocated {@link RawBatch} instead of
   * objects (see the API comment at the top); throws as {@link RawSocket.open}.
   */
  static openBatched(o: RawBatchSocketOptions): RawSocket {
    const n = addon();
    // An addon built before batch mode would ignore the buffer and hand over objects.
    if (typeof n.batchSize !== 'number') throw new MeshprobeError(ErrorCode.Internal, 'the raw-socket addon predates batched receive: run `npm install` to rebuild it');
    const batch = new RawBatch(n.batchSize, o.snapBytes ?? 128);
    const onBatch = o.onBatch;
    return RawSocket.#openWith({ ...o, recvErr: false }, (count: number) => onBatch(batch, count), { batch: batch.buffer, snapBytes: batch.snapBytes });
  }

  static #openWith(o: Omit<RawSocketOptions, 'onPackets'>, cb: ((p: RawPacket[]) => void) | ((count: number) => void), extra: object): RawSocket {
    const n = addon();
    if (o.family !== 4 && o.family !== 6) throw new MeshprobeError(ErrorCode.BadRequest, 'family must be 4 or 6');
    const mode = o.mode ?? 'auto';
    const tryModes: RawMode[] = mode === 'auto' ? (o.protocol === 'icmp' ? ['raw', 'dgram'] : ['raw']) : [mode];
    const opts = {
      ...extra,
      recvTtl: o.recvTtl,
      recvErr: o.recvErr,
      checksumOffset: o.checksumOffset,
      receiveBufferBytes: o.receiveBufferBytes,
      sendBufferBytes: o.sendBufferBytes,
      ttl: o.ttl,
      device: o.device,
      pmtu: o.pmtu,
      icmpFilter: o.icmpFilter,
      echoIdFirst: o.echoIdentifiers?.first,
      echoIdCount: o.echoIdentifiers?.count,
    };
    let last: unknown;
    const denied: RawMode[] = [];
    for (const m of tryModes) {
      try {
        const h = n.open(o.family, o.protocol, m, cb, opts);
        return new RawSocket(h, o.family, o.protocol, m);
      } catch (err) {
        last = err;
        if (!isPermission(err)) break;
        denied.push(m);
      }
    }
    throw RawSocket.#openError(o, last, denied);
  }

  static #openError(o: Omit<RawSocketOptions, 'onPackets'>, err: unknown, denied: RawMode[]): MeshprobeError {
    const what = `${o.protocol === 'icmp' ? (o.family === 6 ? 'an ICMPv6' : 'an ICMP') : `a ${o.protocol.toUpperCase()}`} socket (IPv${o.family})`;
    const msg = err instanceof Error ? err.message : String(err);
    if (isPermission(err)) {
      return new MeshprobeError(ErrorCode.NoPermission, `cannot open ${what}: permission denied (${denied.map((m) => (m === 'raw' ? 'no CAP_NET_RAW' : 'ping sockets are not allowed for this group')).join(', and ')}); ${permissionHelp()}`, { cause: err });
    }
    if ((err as { code?: unknown })?.code === ErrorCode.BadRequest) {
      return new MeshprobeError(ErrorCode.BadRequest, `cannot open ${what}: ${msg}`, { cause: err });
    }
    return new MeshprobeError(ErrorCode.Internal, `cannot open ${what}: ${msg}`, { cause: err });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one packet; returns its send time (ms, RawSocket clock). Throws an Error with the
   * errno name as `code` (e.g. 'ENETUNREACH') when the kernel refuses it.
   */
  send(data: Uint8Array, address: string, o: { ttl?: number; port?: number } = {}): number {
    this.#open();
    const time = addon().send(this.#handle, data, address, o.port, o.ttl);
    notePacketsSent(1);
    return time;
  }

  /** Sends many packets with sendmmsg (64 per syscall). See {@link SendBatchResult}. */
  sendBatch(packets: OutPacket[]): SendBatchResult {
    this.#open();
    const raw = addon().sendBatch(this.#handle, packets);
    const times: number[] = [];
    const errors: (string | null)[] = [];
    let sent = 0;
    for (const r of raw) {
      if (typeof r === 'number') {
        times.push(r);
        errors.push(null);
        sent++;
      } else {
        times.push(Number.NaN);
        errors.push(r);
      }
    }
    notePacketsSent(sent);
    return { processed: raw.length, times, errors };
  }

  /** Binds the local address (and, for dgram sockets, port; ICMP dgram: the echo identifier). */
  bind(address: string, port?: number): void {
    this.#open();
    addon().bind(this.#handle, address, port);
  }

  /** getsockname(): for dgram ICMP sockets, `port` is the echo identifier the kernel uses. */
  localAddress(): { address: string; port: number } {
    this.#open();
    return addon().localAddress(this.#handle);
  }

  /** Let this socket keep the process alive (the default). */
  ref(): this {
    if (!this.#closed) addon().ref(this.#handle, true);
    return this;
  }

  /** Let the process exit even while this socket is open. */
  unref(): this {
    if (!this.#closed) addon().ref(this.#handle, false);
    return this;
  }

  /** Kernel figures of the receive side; after close(), those of the moment it closed. */
  receiveStats(): ReceiveStats {
    return addon().receiveStats(this.#handle);
  }

  /** Packets the kernel dropped on this socket because its receive buffer was full. */
  get drops(): number {
    return this.receiveStats().drops;
  }

  /** Stops receiving and closes the socket. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    addon().close(this.#handle);
  }

  #open(): void {
    if (this.#closed) throw new MeshprobeError(ErrorCode.Internal, 'the socket is closed');
  }
}
