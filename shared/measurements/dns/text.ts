/**
 * A DNS answer as dig prints it: compact by default (the records of the answer section, or of
 * the referral in a trace step, then one `;;` line with rcode, flags, time and server), every
 * section with `-v`. Several agents or names: a matrix of agent × answer after the stream.
 */
import type { AnswerEvent, StartEvent } from '../../model/events.ts';
import { formatMs3, formatTable } from '../../render/format.ts';
import type { FoldPart, MeasurementFold } from '../../render/measurement-fold.ts';
import type { PartTextRenderer, TypeTextOptions } from '../../render/measurement-renderers.ts';
import { DnsAnswer, type DnsRecord } from './dns-answer.ts';

/** The answer's data read through its schema, or undefined when it does not fit. */
export function dnsAnswerOf(e: AnswerEvent): DnsAnswer | undefined {
  const r = DnsAnswer.safeParse(e.data);
  return r.success ? r.data : undefined;
}

/** A record as dig prints it: name, TTL, class, type, data. */
export function recordLine(r: DnsRecord): string {
  return `${fqdn(r.name)}\t${r.ttl}\t${r.class}\t${r.type}\t${r.data}`;
}

function fqdn(name: string): string {
  return name === '' || name === '.' ? '.' : name.endsWith('.') ? name : `${name}.`;
}

/** `;; NOERROR, flags: qr rd ra; 1 answer; 0.412 ms from 127.0.0.1#53 (udp)`. */
export function statusLine(a: DnsAnswer): string {
  const n = a.answer.length;
  const who = a.serverName ? `${a.server}(${a.serverName})` : a.server;
  return `;; ${a.rcode}, flags: ${a.flags.join(' ') || '-'}; ${n} answer${n === 1 ? '' : 's'}; ${formatMs3(a.timeMs)} ms from ${who} (${a.transport}, ${a.bytes} bytes)` +
    (a.note ? `; ${a.note}` : '');
}

/** The lines of one answer: compact, or every section (`-v`). */
export function answerLines(a: DnsAnswer, verbose: boolean): string[] {
  const out: string[] = [];
  if (verbose) {
    out.push(`;; ->>HEADER<<- status: ${a.rcode}, flags: ${a.flags.join(' ')}; ANSWER: ${a.answer.length}, AUTHORITY: ${a.authority.length}, ADDITIONAL: ${a.additional.length}`);
    out.push(';; QUESTION SECTION:', `;${fqdn(a.question.name)}\t\t${a.question.class}\t${a.question.type}`);
    for (const [title, list] of [['ANSWER', a.answer], ['AUTHORITY', a.authority], ['ADDITIONAL', a.additional]] as const) {
      if (list.length === 0) continue;
      out.push('', `;; ${title} SECTION:`, ...list.map(recordLine));
    }
    out.push('');
  } else {
    // A referral (a trace step, an upstream delegation): its NS records say where it leads.
    const shown = a.answer.length > 0 ? a.answer : a.zone !== undefined ? a.authority.filter((r) => r.type === 'NS') : [];
    out.push(...shown.map(recordLine));
  }
  if (a.omitted) out.push(`;; ${a.omitted} more records not shown`);
  out.push(statusLine(a));
  return out;
}

/** The text of one dns part. */
export function dnsText(): PartTextRenderer {
  return {
    start(e: StartEvent): string[] {
      const type = String(e.params['queryType'] ?? 'A');
      const via = String(e.params['transport'] ?? e.protocol);
      if (e.params['trace'] === true) return [`; <<>> meshprobe dns <<>> +trace ${e.target} ${type} from the roots (${e.address})`];
      return [`; <<>> meshprobe dns <<>> ${e.target} ${type} @${e.address} (${via})`];
    },
    answer(e: AnswerEvent, _p: FoldPart, o: TypeTextOptions): string[] {
      const a = dnsAnswerOf(e);
      if (!a) return [';; (an answer that could not be read)'];
      return answerLines(a, o.verbose === true);
    },
    summary: () => [],
  };
}

/** The cell of one part: rcode and the answer's data (the last answer: a trace's final step). */
export function dnsCell(p: FoldPart): { answer: string; time: string } {
  const last = p.answers[p.answers.length - 1];
  const a = last ? dnsAnswerOf(last) : undefined;
  if (!a) return { answer: p.errors.length ? 'error' : 'n/a', time: '' };
  const data = a.answer.map((r) => r.data);
  const shown = data.slice(0, 3).join(' ') + (data.length > 3 ? ` +${data.length - 3}` : '');
  return { answer: a.rcode === 'NOERROR' ? shown || '(no records)' : a.rcode, time: `${formatMs3(a.timeMs)} ms` };
}

/** After the stream, when several agents or names ran: agent × answer. */
export function dnsTextDone(fold: MeasurementFold): string[] {
  const parts = [...fold.parts].filter((p) => p.start?.measurement === 'dns' || p.summary?.measurement === 'dns');
  const agents = new Set(parts.map((p) => p.agent));
  const names = new Set(parts.map((p) => p.target));
  if (agents.size < 2 && names.size < 2) return [];
  const rows = [['agent', 'name', 'answer', 'time'], ...parts.map((p) => {
    const c = dnsCell(p);
    return [p.agent, p.target, c.answer, c.time];
  })];
  return ['', ...formatTable(rows)];
}
