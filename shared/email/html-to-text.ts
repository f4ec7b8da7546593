/**
 * A small HTML → plain text conversion for finding a command in HTML-only mail. It is not a
 * renderer: it keeps line structure (so "the first line that parses" means the same as in a
 * text part) and drops what a mail client shows as quoted history. Pure; no DOM needed, so it
 * runs in workerd as well as in Node.
 */

/** Options of {@link htmlToText}. */
export interface HtmlToTextOptions {
  /**
   * Drop `<blockquote>` content (default true). Mail clients put the quoted message there
   * (Gmail's `gmail_quote`, Apple Mail, Thunderbird), the HTML counterpart of `>` lines.
   */
  dropQuotes?: boolean;
}

// Elements whose content is never visible text.
const INVISIBLE = /<(head|style|script|title|template|noscript)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
// Tags after which a client starts a new line.
const BLOCK = /<\/?(p|div|br|tr|li|ul|ol|table|h[1-6]|hr|pre|section|article|header|footer|blockquote|dd|dt|dl)\b[^>]*>/gi;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ensp: ' ', emsp: ' ', thinsp: ' ',
  ndash: '–', mdash: '—', hellip: '…', laquo: '«', raquo: '»', copy: '©', reg: '®', shy: '',
  zwj: '', zwnj: '', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”',
};

/** Decodes the character references a mail client emits (named, decimal and hex). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);?/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      // Out-of-range or surrogate code points would throw in fromCodePoint; show U+FFFD instead.
      if (!Number.isFinite(code) || code < 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
      return String.fromCodePoint(code);
    }
    const named = NAMED[ref.toLowerCase()];
    return named ?? whole;
  });
}

/**
 * Converts an HTML mail body to text lines: invisible elements and comments removed, block
 * elements end a line, quoted history (`<blockquote>`) dropped, entities decoded, runs of
 * spaces collapsed (HTML collapses them too).
 */
export function htmlToText(html: string, options: HtmlToTextOptions = {}): string {
  let s = html.replace(/<!--[\s\S]*?-->/g, '').replace(INVISIBLE, '');
  if (options.dropQuotes ?? true) s = dropElements(s, 'blockquote');
  // Source newlines are just whitespace in HTML; only block boundaries break lines.
  s = s.replace(/[\r\n\t]+/g, ' ');
  s = s.replace(BLOCK, '\n');
  s = s.replace(/<[^>]*>/g, '');
  s = decodeEntities(s);
  return s
    .split('\n')
    .map((line) => line.replace(/[ \u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Removes every `<tag>…</tag>`, nesting included (a regex alone cannot pair nested tags). */
function dropElements(html: string, tag: string): string {
  const re = new RegExp(`<(/?)${tag}\\b[^>]*>`, 'gi');
  let out = '';
  let depth = 0;
  let last = 0;
  for (const m of html.matchAll(re)) {
    const closing = m[1] === '/';
    if (!closing) {
      if (depth === 0) out += html.slice(last, m.index);
      depth++;
    } else if (depth > 0) {
      depth--;
      if (depth === 0) last = m.index + m[0].length;
    }
  }
  // An unclosed quote hides the rest, as a browser would nest it to the end.
  if (depth === 0) out += html.slice(last);
  return out;
}
