/**
 * latency-monitor's responders (mirceaulinic/latency-monitor), TCP and UDP: each message
 * `SEQ|SOURCE|SEND_NS|TAGS|PADDING` is answered with the same SEQ, TAGS and PADDING, this
 * responder's name as SOURCE and its receive time (Unix ns) as SEND_NS, so the sender computes
 * the round trip and this side the forward one-way delay (receive − send, through both clocks).
 * A meshprobe sender that tags its messages FOUR_STAMPS_TAG gets SOURCE `name@T3` (the answer's
 * send time), the fourth timestamp of an NTP-style exchange (agent/packet/latency-message.ts).
 *
 * Untrusted input is bounded: a malformed datagram is dropped and counted; a malformed TCP stream
 * closes its connection (counted); TCP connections are bounded in all and per source and closed
 * after 60 s of silence; one message is at most MAX_MESSAGE_BYTES. Answers are never larger than
 * the message (no amplification).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { FOUR_STAMPS_TAG, formatLatencyMessage, LatencyStream, MAX_MESSAGE_BYTES, parseLatencyMessage, type LatencyMessage } from '../packet/latency-message.ts';
import { unixNowNs } from '../socket/unix-clock.ts';
import { ConnectionLimits, type ConnectionLimitOptions } from './connection-limits.ts';

/** One forward one-way delay seen by this responder: (receive − send) through both clocks. */
export interface ForwardDelay {
  /** The sender's SOURCE field. */
  source: string;
  seq: number;
  /** ns; negative when the sender's clock is ahead of ours by more than the delay. */
  delayNs: bigint;
  protocol: 'tcp' | 'udp';
}

/** What the responders have seen since they started. */
export interface LatencyCounters {
  connections: number;
  refused: number;
  /** Messages answered, by transport. */
  tcpMessages: number;
  udpMessages: number;
  /** Malformed messages: UDP datagrams dropped, TCP streams closed. */
  malformed: number;
  /** Messages whose SEQ was not the one after the sender's previous (latency-monitor zeroes their delay). */
  outOfSequence: number;
}

/** Options of {@link LatencyResponder}. */
export interface LatencyResponderOptions extends ConnectionLimitOptions {
  /** The SOURCE of answers. Default: the host name is the original's; the caller passes it. */
  name: string;
  /** Called with each forward delay seen (metrics). */
  onDelay?: (d: ForwardDelay) => void;
}

/** UDP senders whose last sequence number is remembered, at most. */
const MAX_UDP_PEERS = 10_000;
const MAX_QUEUED_BYTES = 1 << 20;

/** latency-monitor's TCP and UDP responders; see the file comment. */
export class LatencyResponder {
  readonly counters: LatencyCounters = { connections: 0, refused: 0, tcpMessages: 0, udpMessages: 0, malformed: 0, outOfSequence: 0 };
  readonly limits: ConnectionLimits;
  readonly #name: string;
  readonly #onDelay: ((d: ForwardDelay) => void) | undefined;
  #tcp: Server | undefined;
  #udp: UdpSocket | undefined;
  readonly #udpSeq = new Map<string, number>();

  constructor(o: LatencyResponderOptions) {
    this.limits = new ConnectionLimits(o);
    this.#name = o.name.replace(/[|@]/g, '_').slice(0, 64);
    this.#onDelay = o.onDelay;
  }

  /** Listens for TCP senders (latency-monitor's default port is 8000). */
  listenTcp(host: string, port: number): Promise<AddressInfo> {
    const server = createServer({ noDelay: true }, (s) => this.#connection(s));
    this.#tcp = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', () => {});
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** Listens for UDP senders (default port 8001). */
  listenUdp(host: string, port: number): Promise<AddressInfo> {
    const sock = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    this.#udp = sock;
    sock.on('message', (data, rinfo) => this.#datagram(data, rinfo.address, rinfo.port));
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, host, () => {
        sock.off('error', reject);
        sock.on('error', () => {});
        resolve(sock.address());
      });
    });
  }

  /** Stops both responders. */
  async close(): Promise<void> {
    this.limits.closeAll();
    await Promise.all([
      this.#tcp ? new Promise<void>((r) => this.#tcp!.close(() => r())) : undefined,
      this.#udp ? new Promise<void>((r) => this.#udp!.close(() => r())) : undefined,
    ]);
  }

  /** The answer to `m`, received at `t2`. */
  #answer(m: LatencyMessage, t2: bigint): string {
    const source = m.tags.includes(FOUR_STAMPS_TAG) ? `${this.#name}@${unixNowNs()}` : this.#name;
    return formatLatencyMessage({ seq: m.seq, source, timeNs: t2, tagsText: m.tagsText, padding: m.padding });
  }

  #datagram(data: Buffer, address: string, port: number): void {
    const t2 = unixNowNs();
    if (data.length > MAX_MESSAGE_BYTES) {
      this.counters.malformed++;
      return;
    }
    const r = parseLatencyMessage(data.toString('latin1'));
    if (!r.ok) {
      this.counters.malformed++;
      return;
    }
    const m = r.message;
    const peer = `${address}|${port}`;
    this.#sequence(this.#udpSeq.get(peer), m.seq);
    if (!this.#udpSeq.has(peer) && this.#udpSeq.size >= MAX_UDP_PEERS) this.#udpSeq.delete(this.#udpSeq.keys().next().value!);
    this.#udpSeq.set(peer, m.seq);
    this.#udp?.send(Buffer.from(this.#answer(m, t2), 'latin1'), port, address);
    this.counters.udpMessages++;
    this.#onDelay?.({ source: m.source, seq: m.seq, delayNs: t2 - m.timeNs, protocol: 'udp' });
  }

  #sequence(prev: number | undefined, seq: number): void {
    if (prev !== undefined && seq !== (prev >= 100 ? 0 : prev + 1)) this.counters.outOfSequence++;
  }

  #connection(s: Socket): void {
    s.on('error', () => {});
    if (this.limits.admit(s) !== 'ok') {
      this.counters.refused++;
      s.destroy();
      return;
    }
    this.counters.connections++;
    const stream = new LatencyStream();
    let prev: number | undefined;
    s.on('data', (chunk: Buffer) => {
      const t2 = unixNowNs();
      let got;
      try {
        got = stream.push(chunk.toString('latin1'));
      } catch {
        this.counters.malformed++;
        s.destroy();
        return;
      }
      const answers: string[] = [];
      for (const m of got.messages) {
        this.#sequence(prev, m.seq);
        prev = m.seq;
        answers.push(this.#answer(m, t2));
        this.counters.tcpMessages++;
        this.#onDelay?.({ source: m.source, seq: m.seq, delayNs: t2 - m.timeNs, protocol: 'tcp' });
      }
      if (answers.length) s.write(answers.join(''), 'latin1');
      if (got.refused.length) {
        this.counters.malformed += got.refused.length;
        s.destroy();
      } else if (s.writableLength > MAX_QUEUED_BYTES) s.destroy();
    });
  }
}
