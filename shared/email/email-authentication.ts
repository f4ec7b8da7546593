/**
 * Reads `Authentication-Results` headers (RFC 8601) for the one verdict the gateways act on:
 * whether the receiving MTA, named by its authserv-id, found that the message fails DMARC.
 * Headers carrying any other authserv-id are ignored: anyone can write them (RFC 8601 §5), and
 * ARC chains are not validated here. Pure.
 */

/** One `method=result` of an Authentication-Results header, lower-cased (`dmarc`, `fail`). */
export interface AuthenticationResult {
  method: string;
  result: string;
}

/** A parsed Authentication-Results header value. */
export interface AuthenticationResults {
  /** Who wrote it: the first token before `;` (RFC 8601 §2.2), as written (compare case-insensitively). */
  authservId: string;
  results: AuthenticationResult[];
}

/** Longest header value parsed; the rest of a longer one is ignored (a header is not a place for megabytes). */
const MAX_VALUE = 16 * 1024;

/**
 * Parses one Authentication-Results value: `authserv-id [version] ; method=result … ; …`.
 * Comments in parentheses (nested too) are dropped, quoted strings kept whole. Returns
 * undefined when there is no authserv-id.
 */
export function parseAuthenticationResults(value: string): AuthenticationResults | undefined {
  const parts = splitOutsideQuotes(stripComments(value.slice(0, MAX_VALUE)), ';');
  const head = parts[0]!.trim();
  const idToken = /^("(?:[^"\\]|\\.)*"|[^\s"]+)/.exec(head)?.[1];
  if (!idToken) return undefined;
  const authservId = idToken.startsWith('"') ? idToken.slice(1, -1).replace(/\\(.)/g, '$1') : idToken;
  const results: AuthenticationResult[] = [];
  for (const part of parts.slice(1)) {
    // methodspec: method[/version] [CFWS] "=" [CFWS] result; then reason and properties.
    const m = /^\s*([A-Za-z0-9_-]+)(?:\s*\/\s*[0-9]+)?\s*=\s*([A-Za-z0-9_-]+)/.exec(part);
    if (m) results.push({ method: m[1]!.toLowerCase(), result: m[2]!.toLowerCase() });
  }
  return { authservId, results };
}

/**
 * Whether a header written by `authservId` (the receiving MTA's) says `dmarc=fail`. `values` are
 * all Authentication-Results headers of the message; those of other authserv-ids are ignored.
 * Without an authserv-id nothing is trusted, so the answer is false.
 */
export function dmarcFailed(values: readonly string[], authservId: string | undefined): boolean {
  const ours = authservId?.trim().toLowerCase();
  if (!ours) return false;
  for (const value of values) {
    const parsed = parseAuthenticationResults(value);
    if (!parsed || parsed.authservId.toLowerCase() !== ours) continue;
    if (parsed.results.some((r) => r.method === 'dmarc' && r.result === 'fail')) return true;
  }
  return false;
}

/** Drops RFC 5322 comments `( … )`, nested ones included, outside quoted strings. */
function stripComments(text: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (quoted || depth > 0)) {
      if (!depth) out += c + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === '(' && !quoted) {
      depth = 1;
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
