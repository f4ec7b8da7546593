/**
 * The aggregate reply budget of one email gateway: at most so many replies and so many bytes per
 * minute, whoever the senders are. Per-sender limits do not stop mail from rotating forged
 * senders, and every reply goes to whatever address the mail claims: without this brake a
 * gateway is a reflection amplifier (a 61-byte command in, a 3.5 KB reply out to a forged
 * address). Pure: the clock is passed in.
 */
import { TokenBuckets } from '../model/token-buckets.ts';

/** Options of {@link ReplyBudget}. */
export interface ReplyBudgetOptions {
  /** Replies per minute, whoever they go to. Default 20 (DEFAULT_REPLIES_PER_MINUTE). */
  repliesPerMinute?: number;
  /** Reply bytes per minute, counted by {@link replySize}. Default 1 MiB (DEFAULT_REPLY_BYTES_PER_MINUTE). */
  bytesPerMinute?: number;
}

/** Default replies per minute of one gateway. */
export const DEFAULT_REPLIES_PER_MINUTE = 20;
/** Default reply bytes per minute of one gateway. */
export const DEFAULT_REPLY_BYTES_PER_MINUTE = 1024 * 1024;

/** The outcome of {@link ReplyBudget.take}: send, or stay silent for the reason given. */
export type BudgetDecision = { ok: true } | { ok: false; reason: string };

const GATEWAY = 'gateway';

/**
 * Two token buckets (replies, bytes; shared/model/token-buckets.ts) that fill up to one minute's
 * worth at a steady rate. A refused reply takes nothing. State is in memory: per process, and per
 * isolate in a Worker.
 */
export class ReplyBudget {
  readonly repliesPerMinute: number;
  readonly bytesPerMinute: number;
  // One key each: the budget is the gateway's, whoever the senders are.
  readonly #replies: TokenBuckets;
  readonly #bytes: TokenBuckets;
  #refused = 0;

  constructor(o: ReplyBudgetOptions = {}) {
    this.repliesPerMinute = o.repliesPerMinute ?? DEFAULT_REPLIES_PER_MINUTE;
    this.bytesPerMinute = o.bytesPerMinute ?? DEFAULT_REPLY_BYTES_PER_MINUTE;
    if (!(Number.isInteger(this.repliesPerMinute) && this.repliesPerMinute >= 1)) throw new RangeError(`repliesPerMinute must be a whole number ≥ 1, not ${this.repliesPerMinute}`);
    if (!(Number.isInteger(this.bytesPerMinute) && this.bytesPerMinute >= 1)) throw new RangeError(`bytesPerMinute must be a whole number ≥ 1, not ${this.bytesPerMinute}`);
    this.#replies = new TokenBuckets({ burst: this.repliesPerMinute, refillPerS: this.repliesPerMinute / 60, maxKeys: 1 });
    this.#bytes = new TokenBuckets({ burst: this.bytesPerMinute, refillPerS: this.bytesPerMinute / 60, maxKeys: 1 });
  }

  /** Replies refused so far (for logs and metrics). */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Whether a reply could go out now, without taking anything: checked before the work of
   * answering, so that a flood over the budget costs no measurement either.
   */
  available(nowMs: number): BudgetDecision {
    return this.#replies.tokens(GATEWAY, nowMs) >= 1 ? { ok: true } : this.#refuse(`the gateway's reply budget of ${this.repliesPerMinute} replies per minute is spent`);
  }

  /** Takes one reply of `bytes` from the budget, or refuses (taking nothing) with the bound named. */
  take(bytes: number, nowMs: number): BudgetDecision {
    if (this.#replies.tokens(GATEWAY, nowMs) < 1) return this.#refuse(`the gateway's reply budget of ${this.repliesPerMinute} replies per minute is spent`);
    if (bytes > this.#bytes.tokens(GATEWAY, nowMs)) return this.#refuse(`the gateway's reply budget of ${this.bytesPerMinute} bytes per minute is spent (this reply: ${bytes} bytes)`);
    this.#replies.take(GATEWAY, nowMs);
    this.#bytes.take(GATEWAY, nowMs, bytes);
    return { ok: true };
  }

  #refuse(reason: string): BudgetDecision {
    this.#refused++;
    return { ok: false, reason };
  }
}

/**
 * The bytes a reply counts against the budget: its subject, text and HTML in UTF-8, before MIME
 * encoding (the same figure in both gateways, whatever their MIME library adds).
 */
export function replySize(reply: { subject: string; text: string; html: string; images?: { data: Uint8Array }[] | undefined }): number {
  const encoder = new TextEncoder();
  // Pictures travel base64-encoded: 4 bytes for every 3.
  const attached = (reply.images ?? []).reduce((n, a) => n + Math.ceil(a.data.byteLength / 3) * 4, 0);
  return encoder.encode(reply.subject).length + encoder.encode(reply.text).length + encoder.encode(reply.html).length + attached;
}
