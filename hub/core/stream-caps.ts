/**
 * Caps on measurement streams open at once (issue 11 item 6): per subject and per client IP, so
 * that one user or one address cannot hold an unbounded number of streams (and their buffers)
 * open. A stream takes a slot before its 200 and gives it back when it ends.
 *
 * Who is counted where: `anonymous` is shared by every anonymous client, so it is capped per IP
 * only; a delegating service's requests (X-Meshprobe-On-Behalf-Of) speak for many users, each
 * capped as its own subject, so they skip the per-IP cap (the service's own aggregate limit is
 * the auth layer's).
 */
import type { Principal } from './principal.ts';

/** Default of MESHPROBE_STREAMS_PER_SUBJECT. */
export const DEFAULT_STREAMS_PER_SUBJECT = 16;
/** Default of MESHPROBE_STREAMS_PER_IP. */
export const DEFAULT_STREAMS_PER_IP = 32;

export interface StreamCapsOptions {
  /** Streams one subject may have open; 0 = no cap. Default 16. */
  perSubject?: number;
  /** Streams one client IP may have open; 0 = no cap. Default 32. */
  perIp?: number;
}

export class StreamCaps {
  readonly perSubject: number;
  readonly perIp: number;
  readonly #subjects = new Map<string, number>();
  readonly #ips = new Map<string, number>();

  constructor(o: StreamCapsOptions = {}) {
    this.perSubject = o.perSubject ?? DEFAULT_STREAMS_PER_SUBJECT;
    this.perIp = o.perIp ?? DEFAULT_STREAMS_PER_IP;
  }

  /** Takes a slot: the release function, or a one-line refusal naming the cap. */
  acquire(principal: Principal, ip: string): (() => void) | { refusal: string } {
    const subject = this.perSubject > 0 && principal.subject !== 'anonymous' ? principal.subject : undefined;
    const addr = this.perIp > 0 && principal.via === undefined ? ip : undefined;
    if (subject !== undefined && (this.#subjects.get(subject) ?? 0) >= this.perSubject) {
      return { refusal: `${subject} has ${this.perSubject} measurement streams open, the most allowed (MESHPROBE_STREAMS_PER_SUBJECT); wait for one to end` };
    }
    if (addr !== undefined && (this.#ips.get(addr) ?? 0) >= this.perIp) {
      return { refusal: `${addr} has ${this.perIp} measurement streams open, the most allowed (MESHPROBE_STREAMS_PER_IP); wait for one to end` };
    }
    if (subject !== undefined) this.#subjects.set(subject, (this.#subjects.get(subject) ?? 0) + 1);
    if (addr !== undefined) this.#ips.set(addr, (this.#ips.get(addr) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (subject !== undefined) down(this.#subjects, subject);
      if (addr !== undefined) down(this.#ips, addr);
    };
  }
}

function down(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 1) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
