/**
 * Loop and abuse rules of the email gateways (issue 7): whom never to answer (auto-replies,
 * lists, bounces, our own mail, DMARC failures), an optional sender allow-list, and a
 * per-sender rate limit. Pure: headers and the clock are passed in, so the Worker and the Node
 * gateway decide identically.
 */
import { dmarcFailed } from './email-authentication.ts';
import { TokenBuckets } from '../model/token-buckets.ts';

/**
 * Reads a header by name, case-insensitively: every occurrence in message order (an array), or
 * one value; `null`/`undefined` when absent. A lookup that returns one value hides repeated
 * headers (a second `Auto-Submitted`), so the gateways pass all of them.
 */
export type HeaderLookup = (name: string) => string | readonly string[] | null | undefined;

/** What the loop rules look at. */
export interface InboundEnvelope {
  /** The header From address (`alice@example.com`), or empty when missing. */
  from: string;
  /**
   * The envelope sender (SMTP MAIL FROM / Return-Path). `''` means the null sender `<>`, which
   * is what bounces use (RFC 5321 §4.5.5); `undefined` when the transport does not tell.
   */
  returnPath?: string | undefined;
  headers: HeaderLookup;
  /** The gateway's own addresses: mail from them is never answered (a loop through ourselves). */
  ownAddresses?: readonly string[];
  /**
   * The authserv-id of the MTA that received the message for us (RFC 8601). When set, an
   * Authentication-Results header of that id saying `dmarc=fail` means no answer: the sender is
   * forged. Headers of other ids are ignored. Unset: no header is trusted.
   */
  authservId?: string | undefined;
}

/** The outcome of {@link replyDecision}. */
export type ReplyDecision = { reply: true } | { reply: false; reason: string };

// RFC 3834 §2 names bulk, list and junk; auto_reply is what vacation programs and some MTAs write.
const AUTOMATIC_PRECEDENCE = new Set(['bulk', 'list', 'junk', 'auto_reply']);

// Local parts of system senders and of addresses nobody reads.
const SYSTEM_SENDERS = /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+-].*)?$/i;

/**
 * Whether a message may be answered at all (RFC 3834 §2, RFC 2369, RFC 2919). Never answering
 * automated mail is what keeps two robots from mailing each other forever.
 */
export function replyDecision(msg: InboundEnvelope): ReplyDecision {
  const all = (name: string): string[] => {
    const v = msg.headers(name);
    return (v === null || v === undefined ? [] : typeof v === 'string' ? [v] : [...v]).map((x) => x.trim());
  };
  const h = (name: string) => all(name)[0] ?? '';
  // Every Auto-Submitted header counts (RFC 3834 §5): a message is automatic if any says so.
  // The keyword comes before any `;` parameters.
  for (const value of all('auto-submitted')) {
    const keyword = value.split(';')[0]!.trim().toLowerCase();
    if (keyword && keyword !== 'no') return { reply: false, reason: `Auto-Submitted: ${keyword}` };
  }
  // Microsoft's way of asking for no automatic answers; Cloudflare refuses to reply to it too.
  const suppress = h('x-auto-response-suppress').toLowerCase();
  if (suppress && suppress !== 'none') return { reply: false, reason: `X-Auto-Response-Suppress: ${suppress}` };
  if (h('x-autoreply') || h('x-autorespond') || h('x-autoreply-from')) return { reply: false, reason: 'an auto-reply header is present' };
  if (h('list-id')) return { reply: false, reason: 'a mailing-list message (List-Id)' };
  if (h('list-unsubscribe') || h('list-post')) return { reply: false, reason: 'a mailing-list message (List-Unsubscribe)' };
  for (const value of all('precedence')) {
    const precedence = value.toLowerCase();
    if (AUTOMATIC_PRECEDENCE.has(precedence)) return { reply: false, reason: `Precedence: ${precedence}` };
  }
  if (/multipart\/report/i.test(h('content-type'))) return { reply: false, reason: 'a delivery report' };
  if (msg.returnPath !== undefined) {
    const rp = msg.returnPath.trim().replace(/^<|>$/g, '');
    if (!rp) return { reply: false, reason: 'empty return path (a bounce)' };
    if (SYSTEM_SENDERS.test(localPart(rp))) return { reply: false, reason: `system sender ${rp}` };
  }
  const from = msg.from.trim();
  if (!from?.includes('@')) return { reply: false, reason: 'no sender address' };
  if (SYSTEM_SENDERS.test(localPart(from))) return { reply: false, reason: `system sender ${from}` };
  const own = new Set((msg.ownAddresses ?? []).map((a) => a.trim().toLowerCase()).filter(Boolean));
  const returnPath = msg.returnPath?.trim().replace(/^<|>$/g, '').toLowerCase();
  if (own.has(from.toLowerCase()) || (returnPath && own.has(returnPath))) return { reply: false, reason: `mail from the gateway's own address ${own.has(from.toLowerCase()) ? from : returnPath}` };
  if (dmarcFailed(all('authentication-results'), msg.authservId)) return { reply: false, reason: `dmarc=fail in the Authentication-Results of ${msg.authservId!.trim()}` };
  return { reply: true };
}

/**
 * Whether `address` is on the allow-list. Entries: `alice@example.com` (that address),
 * `example.com` or `@example.com` (that domain), `.example.com` or `*.example.com` (any
 * subdomain, not the domain itself). An empty or missing list allows everyone.
 */
export function senderAllowed(address: string, allowList: readonly string[] | undefined): boolean {
  if (!allowList || allowList.length === 0) return true;
  const addr = address.trim().toLowerCase();
  const at = addr.lastIndexOf('@');
  if (at <= 0) return false;
  const domain = addr.slice(at + 1);
  for (const raw of allowList) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry.includes('@') && !entry.startsWith('@')) {
      if (entry === addr) return true;
    } else if (entry.startsWith('*.') || entry.startsWith('.')) {
      const suffix = entry.slice(entry.indexOf('.'));
      if (domain.endsWith(suffix) && domain.length > suffix.length) return true;
    } else if (entry.replace(/^@/, '') === domain) {
      return true;
    }
  }
  return false;
}

/** Parses a comma/space separated allow-list setting (`a@x.org, example.com`). */
export function parseAllowList(setting: string | undefined): string[] {
  return (setting ?? '').split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean);
}

/** Options of {@link SenderRateLimiter}. */
export interface SenderRateLimiterOptions {
  /** Commands a sender may send in a burst (default 5). */
  burst?: number;
  /** One more command is allowed every this many ms (default 60 000: one a minute). */
  refillMs?: number;
  /** Senders remembered at most (default 10 000); the least recently seen are forgotten first. */
  maxSenders?: number;
}

/**
 * What to do with a sender's message: `allow` (answer it), `notify` (answer once that the sender
 * is over the limit), `drop` (stay silent: telling a flooder each time would make us the flood).
 */
export type SenderDecision =
  | { action: 'allow' }
  | { action: 'notify'; retryAfterMs: number }
  | { action: 'drop'; retryAfterMs: number };

/**
 * A token bucket per sender (shared/model/token-buckets.ts) with a three-state answer on top:
 * allowed → over the limit (one notice) → silent, back to allowed once a token has refilled. Time
 * is passed in (`nowMs`), so it is pure and testable; the state lives in memory (per process, per
 * Worker isolate: best effort there).
 */
export class SenderRateLimiter {
  readonly #buckets: TokenBuckets;
  readonly #maxSenders: number;
  // Senders told they are over the limit; told again only after being allowed once more.
  readonly #notified = new Set<string>();

  constructor(options: SenderRateLimiterOptions = {}) {
    const burst = options.burst ?? 5;
    const refillMs = options.refillMs ?? 60_000;
    this.#maxSenders = options.maxSenders ?? 10_000;
    if (!(burst >= 1)) throw new RangeError('burst must be at least 1');
    if (!(refillMs > 0)) throw new RangeError('refillMs must be greater than 0');
    this.#buckets = new TokenBuckets({ burst, refillPerS: 1000 / refillMs, maxKeys: this.#maxSenders });
  }

  /** Records one message from `sender` at `nowMs` and says what to do with it. */
  check(sender: string, nowMs: number): SenderDecision {
    const key = sender.trim().toLowerCase();
    const d = this.#buckets.take(key, nowMs);
    if (d.ok) {
      this.#notified.delete(key);
      return { action: 'allow' };
    }
    if (this.#notified.has(key)) return { action: 'drop', retryAfterMs: d.retryAfterMs };
    this.#notified.add(key);
    // Bounded like the buckets: the oldest notice is forgotten first (that sender may get one more).
    if (this.#notified.size > this.#maxSenders) this.#notified.delete(this.#notified.values().next().value!);
    return { action: 'notify', retryAfterMs: d.retryAfterMs };
  }

  /** Senders currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }
}

function localPart(address: string): string {
  const at = address.lastIndexOf('@');
  return (at === -1 ? address : address.slice(0, at)).trim();
}
