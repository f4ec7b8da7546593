/**
 * Delegated identity: a front-end that speaks for many people with one service token (the
 * Telegram bot, the email gateways) names the person it acts for in one request header, so the
 * hub limits and logs each person apart. Only tokens with the `delegate` scope may send it.
 * Pure: the hub validates with it, and hub clients check their input with it before sending.
 */

/** The request header that names the end user: `X-Meshprobe-On-Behalf-Of: telegram:42`. */
export const ON_BEHALF_OF_HEADER = 'x-meshprobe-on-behalf-of';

/** Longest subject accepted: `email:` plus the 254 characters of the longest email address. */
export const MAX_DELEGATED_SUBJECT_LENGTH = 260;

// A Telegram user id is a positive integer below 2^53; 1..20 digits keeps the check simple.
const TELEGRAM = /^telegram:[1-9][0-9]{0,19}$/;
// Deliberately plain: one `@`, no whitespace, a dotted domain. Real address parsing happens in the
// gateways; this only keeps the key honest (no spaces, no second `@`, nothing a log could split on).
const EMAIL = /^email:[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;

/**
 * Checks a delegated subject. Returns `undefined` when it is acceptable (`telegram:<digits>` or
 * `email:<address>`), else a one-line reason that names the rule it broke.
 */
export function delegatedSubjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return 'X-Meshprobe-On-Behalf-Of is empty; give telegram:<user id> or email:<address>';
  if (subject.length > MAX_DELEGATED_SUBJECT_LENGTH) {
    return `X-Meshprobe-On-Behalf-Of is ${subject.length} characters long; the limit is ${MAX_DELEGATED_SUBJECT_LENGTH}`;
  }
  if (/[\u0000-\u001f\u007f-\u009f]/.test(subject)) return 'X-Meshprobe-On-Behalf-Of contains control characters';
  if (TELEGRAM.test(subject) || EMAIL.test(subject)) return undefined;
  const shown = JSON.stringify(subject.length > 60 ? `${subject.slice(0, 60)}…` : subject);
  return `X-Meshprobe-On-Behalf-Of ${shown} is not telegram:<user id> or email:<address>`;
}

/**
 * The delegated subject for an email sender: `email:` plus the address in lower case (mail
 * domains are case-insensitive, and in practice so are local parts), so one person has one key.
 */
export function emailSubject(address: string): string {
  return `email:${address.trim().toLowerCase()}`;
}
