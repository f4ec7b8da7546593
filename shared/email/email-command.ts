/**
 * Finds the command in a parsed email (design §6: the same grammar as every front-end).
 * The rule: the first non-empty line of the text part that parses, with quoted replies (`>`)
 * and everything after a signature separator (`-- `) ignored; HTML-only mail is read through
 * its text; the subject is used when the body holds no command. Pure and runtime-neutral.
 */
import { parseCommand } from '../command/grammar.ts';
import type { ParsedCommand } from '../command/grammar.ts';
import { findCommand } from '../command/help.ts';
import { htmlToText } from './html-to-text.ts';
import { ErrorCode } from '../model/errors.ts';

/** The parts of a parsed message the search needs (postal-mime and mailparser both give these). */
export interface EmailCommandInput {
  subject?: string | undefined;
  /** The text/plain part, already decoded (charset, base64, quoted-printable). */
  text?: string | undefined;
  /** The text/html part, already decoded. Used when there is no text part or it holds no command. */
  html?: string | undefined;
}

/** A successfully parsed command line. */
export type FoundCommand = Exclude<ParsedCommand, { ok: false }>;

/** What {@link findEmailCommand} found. */
export type EmailCommandResult =
  | { found: true; line: string; source: 'text' | 'html' | 'subject'; command: FoundCommand }
  | {
      found: false;
      /**
       * The first line that starts with a command word but did not parse (e.g. `ping -c x host`):
       * the reply should carry its reason and usage rather than a generic "no command".
       */
      failed?: { line: string; message: string; usage: string };
    };

/** Options of {@link findEmailCommand}. */
export interface FindEmailCommandOptions {
  /**
   * Lines looked at per part (default 40). A command sits at the top of a message; a bound
   * keeps a huge body from costing a parse per line.
   */
  maxLines?: number;
}

// Lines after which a client quotes the previous message without `>` (Outlook and friends).
const HISTORY_MARKERS = [
  /^-{2,}\s*original message\s*-{2,}$/i,
  /^_{8,}$/, // Outlook's rule above "From: … Sent: …"
  /^-{2,}\s*forwarded message\s*-{2,}$/i,
];

/**
 * Finds the command: text part first, then the HTML part's text, then the subject (with
 * `Re:`/`Fwd:` prefixes stripped). Never throws.
 */
export function findEmailCommand(mail: EmailCommandInput, options: FindEmailCommandOptions = {}): EmailCommandResult {
  const maxLines = options.maxLines ?? 40;
  let failed: { line: string; message: string; usage: string } | undefined;
  const sources: Array<['text' | 'html', string]> = [];
  if (mail.text?.trim()) sources.push(['text', mail.text]);
  if (mail.html?.trim()) sources.push(['html', htmlToText(mail.html)]);
  for (const [source, body] of sources) {
    for (const line of commandCandidates(body, maxLines)) {
      const parsed = tryParse(line);
      if (parsed.ok) return { found: true, line, source, command: parsed };
      if (!failed && looksLikeCommand(line)) failed = { line, message: parsed.message, usage: parsed.usage };
    }
  }
  const subject = stripReplyPrefixes(normaliseLine(mail.subject ?? ''));
  if (subject) {
    const parsed = tryParse(subject);
    if (parsed.ok) return { found: true, line: subject, source: 'subject', command: parsed };
    if (!failed && looksLikeCommand(subject)) failed = { line: subject, message: parsed.message, usage: parsed.usage };
  }
  return failed ? { found: false, failed } : { found: false };
}

/**
 * The lines of a body that may hold the command, in order: normalised, non-empty, not quoted,
 * and none after a signature separator or a quoted-history marker.
 */
export function commandCandidates(body: string, maxLines = 40): string[] {
  const out: string[] = [];
  for (const raw of body.replace(/\r\n?/g, '\n').split('\n')) {
    // RFC 3676 §4.3: "-- " alone on a line starts the signature; many clients drop the space.
    if (raw === '-- ' || raw.trimEnd() === '--') break;
    const line = normaliseLine(raw);
    if (HISTORY_MARKERS.some((re) => re.test(line))) break;
    if (!line || line.startsWith('>')) continue;
    out.push(line);
    if (out.length >= maxLines) break;
  }
  return out;
}

/** Strips any run of reply/forward prefixes: `Re:`, `RE:`, `Fwd:`, `Fw:`, `AW:`, `WG:`, `SV:`, `Re[2]:`. */
export function stripReplyPrefixes(subject: string): string {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(/^(re|fwd?|aw|wg|sv|vs|antw)(\[\d+\])?\s*:\s*/i, '');
    if (next === s) return s;
    s = next;
  }
}

/** Collapses the odd whitespace clients insert (NBSP, zero-width, tabs) and trims. */
function normaliseLine(line: string): string {
  return line.replace(/[\u200b-\u200d\ufeff]/g, '').replace(/[\s\u00a0]+/g, ' ').trim();
}

function tryParse(line: string): ParsedCommand {
  try {
    return parseCommand(line);
  } catch (err) {
    // The grammar promises not to throw; if it does, the line simply is not a command.
    return { ok: false, code: ErrorCode.BadRequest, message: err instanceof Error ? err.message : String(err), usage: '' };
  }
}

/** A failing line that starts with a command word (aliases too) is a command with a mistake, not prose. */
function looksLikeCommand(line: string): boolean {
  const first = line.split(' ', 1)[0]!.replace(/^\//, '').replace(/@.*$/, '').toLowerCase();
  return findCommand(first) !== undefined;
}
