/**
 * The TCP echo server of tcp_ping_prometheus (current release, 24-byte frames with the TCPPING
 * magic) and of its older release tcp-echo-metrics (16-byte frames without it), on one port: a
 * connection's first 8 bytes tell which it speaks (agent/packet/tcp-echo-frame.ts). Each whole
 * frame is written back as it came; a wrong magic (or a first word that is neither) closes the
 * connection and is counted, never thrown. Bounded: connections in all and per source, idle
 * connections closed after 60 s (agent/servers/connection-limits.ts).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { detectFraming, frameBytes, hasMagic, type EchoFraming } from '../packet/tcp-echo-frame.ts';
import { ConnectionLimits, type ConnectionLimitOptions } from './connection-limits.ts';

/** Echo bytes queued for a peer that does not read before its connection is closed. */
const MAX_QUEUED_BYTES = 1 << 20;

/** What the responder has seen since it started. */
export interface TcpEchoCounters {
  /** Connections accepted. */
  connections: number;
  /** Connections refused by a bound (too many in all or from one source). */
  refused: number;
  /** Frames echoed, by framing. */
  frames: number;
  legacyFrames: number;
  /** Connections closed for a wrong magic or an unknown first word. */
  badFrames: number;
}

/** Echoes TCP echo frames; see the file comment. */
export class TcpEchoResponder {
  readonly counters: TcpEchoCounters = { connections: 0, refused: 0, frames: 0, legacyFrames: 0, badFrames: 0 };
  readonly limits: ConnectionLimits;
  readonly #server: Server;

  constructor(o: ConnectionLimitOptions = {}) {
    this.limits = new ConnectionLimits(o);
    this.#server = createServer({ noDelay: true }, (s) => this.#connection(s));
    // A listening error after start (EMFILE on accept) must not end the process.
    this.#server.on('error', () => {});
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Connections open now. */
  get open(): number {
    return this.limits.open;
  }

  /** Stops listening and closes every connection. */
  close(): Promise<void> {
    this.limits.closeAll();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #connection(s: Socket): void {
    s.on('error', () => {});
    if (this.limits.admit(s) !== 'ok') {
      this.counters.refused++;
      s.destroy();
      return;
    }
    this.counters.connections++;
    let framing: EchoFraming | undefined;
    let held: Buffer | undefined;
    s.on('data', (chunk: Buffer) => {
      const b = held ? Buffer.concat([held, chunk]) : chunk;
      held = undefined;
      if (!framing) {
        if (b.length < 8) {
          held = b;
          return;
        }
        const f = detectFraming(b.subarray(0, 8));
        if (f === 'unknown') return this.#bad(s);
        framing = f;
      }
      const size = frameBytes(framing);
      const whole = b.length - (b.length % size);
      if (framing === 'magic') {
        for (let at = 0; at < whole; at += size) if (!hasMagic(b.subarray(at, at + 8))) return this.#bad(s);
        // A partial frame's magic is checked as soon as its 8 bytes are here.
        if (b.length - whole >= 8 && !hasMagic(b.subarray(whole, whole + 8))) return this.#bad(s);
      }
      if (whole > 0) {
        // One write for every whole frame of the chunk; the bytes go back as they came.
        s.write(whole === b.length ? b : b.subarray(0, whole));
        if (framing === 'magic') this.counters.frames += whole / size;
        else this.counters.legacyFrames += whole / size;
      }
      if (whole < b.length) held = Buffer.from(b.subarray(whole));
      // A peer that sends and never reads: its echoes are not queued without end.
      if (s.writableLength > MAX_QUEUED_BYTES) s.destroy();
    });
  }

  #bad(s: Socket): void {
    this.counters.badFrames++;
    s.destroy();
  }
}
