/**
 * Builds the content of a reply email: threading headers (RFC 5322 §3.6.4), the subject, and
 * the headers that stop other robots from answering us (RFC 3834). The gateways turn this into
 * MIME with their own library (mimetext in the Worker, nodemailer in Node). Pure.
 */

import type { InlineImage } from './email-answer.ts';

/** What is needed of the message being answered. */
export interface OriginalMessage {
  /** Its Message-ID, with or without angle brackets. */
  messageId?: string | undefined;
  /** Its References header (space separated ids), if any. */
  references?: string | string[] | undefined;
  /** Its In-Reply-To header, used when it has no References. */
  inReplyTo?: string | undefined;
  subject?: string | undefined;
}

/** The reply, ready to be written as MIME. */
export interface ReplyContent {
  subject: string;
  text: string;
  html: string;
  /** Pictures the HTML shows inline (`cid:`), written as parts of multipart/related. */
  images?: InlineImage[];
  /** `<id>` of the original, when it had one. */
  inReplyTo?: string;
  /** The thread: the original's References (or In-Reply-To) followed by its Message-ID. */
  references?: string;
  /** Headers every reply carries; `Auto-Submitted: auto-replied` keeps robots from answering. */
  headers: Record<string, string>;
}

/** Options of {@link buildReply}. */
export interface BuildReplyOptions {
  /** Subject used when the original had none (default "meshprobe"). */
  fallbackSubject?: string;
  /**
   * Longest References header kept, in ids (default: all). When trimming, the root and the newest
   * ids stay. Cloudflare refuses a reply whose References does not contain the original's, so
   * the Worker keeps the default.
   */
  maxReferences?: number;
  /**
   * The result in one line, carried by the subject so that a phone's inbox shows the answer:
   * `Re: <subject> — <result>`, or the result alone when the original had no subject.
   */
  result?: string;
}

/** Builds the reply to `original` with the given text and HTML bodies. */
export function buildReply(original: OriginalMessage, body: { text: string; html: string; images?: InlineImage[] | undefined }, options: BuildReplyOptions = {}): ReplyContent {
  const id = normaliseId(original.messageId);
  const refs = idList(original.references);
  if (refs.length === 0) {
    // RFC 5322: without References, a single-id In-Reply-To stands for the parent's thread.
    const parent = idList(original.inReplyTo);
    if (parent.length === 1) refs.push(parent[0]!);
  }
  if (id && !refs.includes(id)) refs.push(id);
  const max = options.maxReferences ?? Infinity;
  // Keep the thread root (first) and the most recent ids, as clients do when trimming.
  const trimmed = refs.length > max ? [refs[0]!, ...refs.slice(refs.length - (max - 1))] : refs;
  return {
    subject: resultSubject(original.subject, options.fallbackSubject ?? 'meshprobe', options.result),
    text: body.text,
    html: body.html,
    ...(body.images?.length ? { images: body.images } : {}),
    ...(id ? { inReplyTo: id } : {}),
    ...(trimmed.length ? { references: trimmed.join(' ') } : {}),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
  };
}

/** Longest result kept in a subject (RFC 5322 asks for lines under 78 characters; clients show ~60 on a phone). */
const MAX_RESULT = 120;

/**
 * The subject carrying the result: `Re: <subject> — <result>`; the result alone when the original
 * had no subject; the plain reply subject without a result. A repeated answer in one thread does
 * not pile results up: an earlier ` — …` is replaced.
 */
export function resultSubject(subject: string | undefined, fallback: string, result: string | undefined): string {
  const r = (result ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_RESULT);
  if (!r) return replySubject(subject, fallback);
  const s = (subject ?? '').replace(/\s+/g, ' ').trim();
  if (!s) return r;
  return `${replySubject(s.replace(/ — .*$/, ''), fallback)} — ${r}`;
}

/** `Re: ` + the subject, without piling up `Re: Re:`; whitespace (folding) collapsed. */
export function replySubject(subject: string | undefined, fallback = 'meshprobe'): string {
  const s = (subject ?? '').replace(/\s+/g, ' ').trim();
  if (!s) return `Re: ${fallback}`;
  return /^re\s*(\[\d+\])?\s*:/i.test(s) ? `Re: ${s.replace(/^re\s*(\[\d+\])?\s*:\s*/i, '')}` : `Re: ${s}`;
}

/** A Message-ID in angle brackets, or undefined when there is none. */
export function normaliseId(id: string | undefined): string | undefined {
  const t = (id ?? '').trim();
  if (!t) return undefined;
  return t.startsWith('<') ? t : `<${t.replace(/>$/, '')}>`;
}

/** The `<…>` ids of a References / In-Reply-To value. */
function idList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  const ids = text.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  // mailparser hands out ids without brackets.
  return text.split(/\s+/).filter((s) => s.includes('@')).map((s) => `<${s}>`);
}
