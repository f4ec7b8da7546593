/**
 * Bounds of a TCP responder: connections in all, connections per source address, and the idle
 * time after which a silent connection is closed (60 s, as tcp_ping_prometheus' server).
 */
import type { Socket } from 'node:net';

/** Options of the responders' connection bounds. */
export interface ConnectionLimitOptions {
  /** Connections open at once, from everyone. Default 4096. */
  maxConnections?: number;
  /** Connections open at once from one source address. Default 64. */
  maxPerSource?: number;
  /** A connection silent this long is closed. Default 60,000 ms (the original's read deadline). */
  idleMs?: number;
}

/** Counts open connections per source, refuses those over a bound, and closes them all on demand. */
export class ConnectionLimits {
  readonly maxConnections: number;
  readonly maxPerSource: number;
  readonly idleMs: number;
  readonly #bySource = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  #open = 0;

  constructor(o: ConnectionLimitOptions = {}) {
    this.maxConnections = o.maxConnections ?? 4096;
    this.maxPerSource = o.maxPerSource ?? 64;
    this.idleMs = o.idleMs ?? 60_000;
  }

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /**
   * Admits `socket` (counted until it closes, and closed when idle) or says which bound it breaks.
   */
  admit(socket: Socket): 'ok' | 'total' | 'source' {
    const source = socket.remoteAddress ?? '?';
    const n = this.#bySource.get(source) ?? 0;
    if (this.#open >= this.maxConnections) return 'total';
    if (n >= this.maxPerSource) return 'source';
    this.#open++;
    this.#bySource.set(source, n + 1);
    this.#sockets.add(socket);
    socket.once('close', () => {
      this.#sockets.delete(socket);
      this.#open--;
      const left = (this.#bySource.get(source) ?? 1) - 1;
      if (left > 0) this.#bySource.set(source, left);
      else this.#bySource.delete(source);
    });
    socket.setTimeout(this.idleMs, () => socket.destroy());
    return 'ok';
  }

  /** Closes every connection admitted and still open (the responder stops). */
  closeAll(): void {
    for (const s of this.#sockets) s.destroy();
  }
}
