/**
 * Monospace message bodies for Telegram's HTML parse mode. Telegram refuses a message longer
 * than 4096 characters (counted after entity parsing), so long output keeps its first lines
 * (the header naming the target) and its newest lines, and says how many were left out.
 */

/** Telegram's limit on a text message, in characters after entity parsing. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Escapes the three characters HTML parse mode reserves. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Options of {@link preHtml}. */
export interface PreHtmlOptions {
  /** Visible characters allowed (default 4096 minus a margin for the prefix/suffix lines). */
  limit?: number;
  /** Lines kept from the top when trimming (default 2: the header and the first result). */
  headLines?: number;
  /** Plain (escaped here) line shown above the monospace block, e.g. a status. */
  prefix?: string;
  /** Plain (escaped here) line shown below the monospace block. */
  suffix?: string;
}

/**
 * `text` as `<pre>…</pre>` (escaped), trimmed in the middle when it would not fit. The visible
 * length of the result (prefix + block + suffix) never exceeds `limit`.
 */
export function preHtml(text: string, options: PreHtmlOptions = {}): string {
  const limit = options.limit ?? TELEGRAM_TEXT_LIMIT;
  const prefix = options.prefix ? options.prefix + '\n' : '';
  const suffix = options.suffix ? '\n' + options.suffix : '';
  const body = fitLines(text.replace(/\s+$/, '') || ' ', limit - prefix.length - suffix.length, options.headLines ?? 2);
  return `${escapeHtml(prefix)}<pre>${escapeHtml(body)}</pre>${escapeHtml(suffix)}`;
}

/** Keeps the first `head` lines and as many of the last lines as fit in `limit` characters. */
export function fitLines(text: string, limit: number, head = 2): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  const headPart = lines.slice(0, Math.min(head, lines.length - 1)).map((l) => clip(l, 200));
  const rest = lines.slice(headPart.length);
  const tail: string[] = [];
  // The note's length depends on the count; reserve room for the longest possible note.
  const noteRoom = `… ${lines.length} lines trimmed …`.length + 2;
  let used = headPart.reduce((n, l) => n + l.length + 1, 0) + noteRoom;
  for (let i = rest.length - 1; i >= 0; i--) {
    const line = rest[i]!;
    if (used + line.length + 1 > limit) {
      if (tail.length === 0) tail.unshift(clip(line, Math.max(1, limit - used - 1)));
      break;
    }
    tail.unshift(line);
    used += line.length + 1;
  }
  const dropped = rest.length - tail.length;
  const note = `… ${dropped} line${dropped === 1 ? '' : 's'} trimmed …`;
  const out = [...headPart, note, ...tail].join('\n');
  return out.length <= limit ? out : out.slice(out.length - limit);
}

function clip(line: string, max: number): string {
  return line.length <= max ? line : line.slice(0, Math.max(0, max - 1)) + '…';
}
