/**
 * An HTTP answer as curl shows it: the status line and the remote address, one line of phase
 * timings (curl -w's time_namelookup … time_total as durations), one line of TLS details, and a
 * redirect's Location; with `-v` the response headers and the first bytes of the body. Several
 * agents or URLs: a matrix of agent × timing after the stream.
 */
import type { AnswerEvent, StartEvent } from '../../model/events.ts';
import { formatMs3, formatTable } from '../../render/format.ts';
import type { FoldPart, MeasurementFold } from '../../render/measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from '../../render/measurement-renderers.ts';
import { HttpAnswer } from './http-answer.ts';

/** Most body lines `-v` prints. */
const MAX_BODY_LINES = 200;

/** The answer's data read through its schema, or undefined when it does not fit. */
export function httpAnswerOf(e: AnswerEvent): HttpAnswer | undefined {
  const r = HttpAnswer.safeParse(e.data);
  return r.success ? r.data : undefined;
}

const ms = (v: number | null): string => (v === null ? '-' : formatMs3(v));

/** `dns 0.012  connect 0.104  tls 2.310  first byte 1.022  download 0.050  total 3.498 ms`. */
export function timingLine(a: HttpAnswer): string {
  const t = a.timings;
  return `dns ${ms(t.dnsMs)}  connect ${ms(t.connectMs)}  tls ${ms(t.tlsMs)}  first byte ${ms(t.firstByteMs)}  download ${ms(t.downloadMs)}  total ${ms(t.totalMs)} ms`;
}

/** `TLSv1.3 TLS_AES_128_GCM_SHA256 h2; CN=x, issuer CN=y; valid to …; valid for the host`. */
export function tlsLine(a: HttpAnswer): string | undefined {
  const t = a.tls;
  if (!t) return undefined;
  const ok = t.trusted && t.validForHost ? 'trusted, valid for the host' : (t.problem ?? (t.trusted ? 'not valid for the host' : 'not trusted'));
  return `tls ${t.protocol} ${t.cipher}${t.alpn ? ` ${t.alpn}` : ''}; ${t.subject || '(no subject)'}, issuer ${t.issuer || '?'}; valid to ${t.validTo}; ${ok}`;
}

/** The lines of one answer: compact, or with headers and body (`-v`). */
export function answerLines(a: HttpAnswer, verbose: boolean): string[] {
  const where = a.remoteAddress.includes(':') ? `[${a.remoteAddress}]:${a.remotePort}` : `${a.remoteAddress}:${a.remotePort}`;
  const out = [`HTTP/${a.httpVersion} ${a.status}${a.statusText ? ` ${a.statusText}` : ''}  ${a.method} ${a.url}  from ${where}, ${a.body.bytes}${a.body.truncated ? '+' : ''} bytes`];
  out.push(timingLine(a));
  const tls = tlsLine(a);
  if (tls) out.push(tls);
  if (a.location) out.push(`location: ${a.location}`);
  if (verbose) {
    out.push(...a.headers.map(([k, v]) => `< ${k}: ${v}`));
    if (a.body.text) {
      const lines = a.body.text.split(/\r?\n/);
      out.push('', ...lines.slice(0, MAX_BODY_LINES));
      if (lines.length > MAX_BODY_LINES) out.push(`… ${lines.length - MAX_BODY_LINES} more lines`);
      if (a.body.truncated) out.push(`… (body cut at ${a.body.bytes} bytes: --max-body)`);
    }
  }
  return out;
}

/** The text of one http part. */
export function httpText(): PartTextRenderer {
  return {
    start(e: StartEvent): string[] {
      return [`* ${String(e.params['method'] ?? 'GET')} ${e.target} via ${e.address}`];
    },
    answer(e: AnswerEvent, _p: FoldPart, o: TypeTextOptions): string[] {
      const a = httpAnswerOf(e);
      return a ? answerLines(a, o.verbose === true) : ['* (an answer that could not be read)'];
    },
    summary: () => [],
  };
}

/** The matrix row of a part: status and each phase (the last answer: after redirects). */
export function httpRow(p: FoldPart): string[] {
  const last = p.answers[p.answers.length - 1];
  const a = last ? httpAnswerOf(last) : undefined;
  if (!a) return [p.agent, p.target, p.errors.length ? 'error' : 'n/a', '', '', '', '', ''];
  const t = a.timings;
  return [p.agent, p.target, String(a.status), ms(t.dnsMs), ms(t.connectMs), ms(t.tlsMs), ms(t.firstByteMs), ms(t.totalMs)];
}

/** The header of the matrix. */
export const HTTP_MATRIX_HEAD = ['agent', 'url', 'status', 'lookup', 'connect', 'tls', 'first byte', 'total ms'];

/** After the stream, when several agents or URLs ran: agent × timing. */
export function httpTextDone(fold: MeasurementFold): string[] {
  const parts = [...fold.parts].filter((p) => p.start?.measurement === 'http' || p.summary?.measurement === 'http');
  const agents = new Set(parts.map((p) => p.agent));
  const urls = new Set(parts.map((p) => p.target));
  if (agents.size < 2 && urls.size < 2) return [];
  return ['', ...formatTable([HTTP_MATRIX_HEAD, ...parts.map(httpRow)], ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'])];
}
