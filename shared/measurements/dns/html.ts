/** A DNS answer in an email: dig's lines in a block per agent×name, the agent × answer table on top. */
import { escapeHtml, FONT, TABLE, TD, TH } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit } from '../../render/measurement-renderers.ts';
import { answerLines, dnsAnswerOf, dnsCell } from './text.ts';

/** The HTML block of one dns part. */
export function dnsHtml(p: FoldPart, _o: unknown, kit: HtmlKit): string {
  const out = [kit.heading(p, 'dns')];
  const lines = p.answers.flatMap((e) => {
    const a = dnsAnswerOf(e);
    return a ? answerLines(a, true) : [';; (an answer that could not be read)'];
  });
  if (lines.length) out.push(`<pre style="${FONT};margin:0 0 4px 0">${escapeHtml(lines.join('\n'))}</pre>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}

/** Agent × answer over every dns part, when there is more than one. */
export function dnsHtmlOverview(parts: FoldPart[]): string {
  if (parts.length < 2) return '';
  const rows = parts.map((p) => {
    const c = dnsCell(p);
    return `<tr><td style="${TD}">${escapeHtml(p.agent)}</td><td style="${TD}">${escapeHtml(p.target)}</td><td style="${TD}">${escapeHtml(c.answer)}</td><td style="${TD}">${escapeHtml(c.time)}</td></tr>`;
  });
  return `<table style="${TABLE}"><tr><th style="${TH}">agent</th><th style="${TH}">name</th><th style="${TH}">answer</th><th style="${TH}">time</th></tr>${rows.join('')}</table>`;
}
