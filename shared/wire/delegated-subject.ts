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

/** Longest subject of a token (`sub`). */
export const MAX_SUBJECT_LENGTH = 256;

// Control characters (Cc), invisible format characters (Cf: zero-width space and joiners, BOM,
// bidi overrides, soft hyphen), separators (Z*) and whatever else JavaScript counts as white space.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}\s]/u;

/**
 * The one check of every subject the hub accepts: a token's `sub` when minted (HTTP and
 * `meshprobe token create`) and the X-Meshprobe-On-Behalf-Of header. Nothing is trimmed or
 * repaired, so what is checked is what is used: `" admin"`, `"admin\t"` and `"ad\u200bmin"`
 * are refused rather than cleaned up into `admin`. Also refused: text that Unicode NFKC
 * normalisation would change (full-width `ａｄｍｉｎ`, ligatures), so one name has one spelling.
 * Returns `undefined` when acceptable, else a one-line reason naming `field` and the rule.
 */
export function subjectProblem(subject: string, field = 'sub', max = MAX_SUBJECT_LENGTH): string | undefined {
  if (subject.length === 0) return `${field} is empty`;
  if (subject.length > max) return `${field} is ${subject.length} characters long; the limit is ${max}`;
  const bad = INVISIBLE.exec(subject);
  if (bad) {
    const code = `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    const kind = /[\p{Cc}\p{Cf}]/u.test(bad[0]) ? 'a control or invisible character' : 'white space';
    return `${field} contains ${kind} (${code}); subjects are printable text without spaces`;
  }
  if (subject.normalize('NFKC') !== subject) return `${field} is not in Unicode normal form NFKC; write it with plain characters`;
  return undefined;
}

/**
 * Subjects only an admin may mint: `admin`, `anonymous`, `agent:*` and `service:*` (the
 * front-ends' own), in any letter case.
 */
export function isReservedSubject(subject: string): boolean {
  const s = subject.toLowerCase();
  return s === 'admin' || s === 'anonymous' || s.startsWith('agent:') || s.startsWith('service:');
}

/**
 * Checks a delegated subject. Returns `undefined` when it is acceptable (`telegram:<digits>` or
 * `email:<address>`), else a one-line reason that names the rule it broke.
 */
export function delegatedSubjectProblem(subject: string): string | undefined {
  if (subject.length === 0) return 'X-Meshprobe-On-Behalf-Of is empty; give telegram:<user id> or email:<address>';
  const problem = subjectProblem(subject, 'X-Meshprobe-On-Behalf-Of', MAX_DELEGATED_SUBJECT_LENGTH);
  if (problem) return problem;
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
