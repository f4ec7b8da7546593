/** An HTTP answer in an email: curl's lines in a block per agent×URL, the agent × timing table on top. */
import { escapeHtml, FONT, TABLE, TD, TDR, TH } from '../../render/html-style.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { HtmlKit } from '../../render/measurement-renderers.ts';
import { answerLines, HTTP_MATRIX_HEAD, httpAnswerOf, httpRow } from './text.ts';

/** The HTML block of one http part (headers included; the body is left to -v in text). */
export function httpHtml(p: FoldPart, _o: unknown, kit: HtmlKit): string {
  const out = [kit.heading(p, 'http')];
  const lines = p.answers.flatMap((e) => {
    const a = httpAnswerOf(e);
    return a ? answerLines({ ...a, body: { ...a.body, text: '' } }, true) : ['* (an answer that could not be read)'];
  });
  if (lines.length) out.push(`<pre style="${FONT};margin:0 0 4px 0;white-space:pre-wrap">${escapeHtml(lines.join('\n'))}</pre>`);
  for (const e of p.errors) out.push(kit.errorLine(e));
  return out.join('\n');
}

/** Agent × timing over every http part, when there is more than one. */
export function httpHtmlOverview(parts: FoldPart[]): string {
  if (parts.length < 2) return '';
  const head = HTTP_MATRIX_HEAD.map((h) => `<th style="${TH}">${escapeHtml(h)}</th>`).join('');
  const rows = parts.map((p) => `<tr>${httpRow(p).map((c, i) => `<td style="${i < 2 ? TD : TDR}">${escapeHtml(c)}</td>`).join('')}</tr>`);
  return `<table style="${TABLE}"><tr>${head}</tr>${rows.join('')}</table>`;
}
