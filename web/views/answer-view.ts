/**
 * The answers of the types that ask questions (DNS responses and trace steps, HTTP responses and
 * redirect hops), drawn from the answer's own shape rather than its type's name: a record
 * section becomes a table, an HTTP-like response its status, phase timings and headers. Every
 * field is attacker-controlled (a DNS server or a web server answers it) and is shown as text.
 */
import type { AnswerEvent } from '../../shared/model/events.ts';
import { html, ms } from '../html.ts';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

function Records(props: { title: string; rows: unknown }) {
  if (!Array.isArray(props.rows) || props.rows.length === 0) return null;
  return html`<div class="scroll"><table class="records"><caption>${props.title}</caption>
    <thead><tr><th>name</th><th>ttl</th><th>class</th><th>type</th><th>data</th></tr></thead>
    <tbody>${props.rows.filter(isRec).map((r) => html`<tr class="record"><td>${str(r['name'])}</td><td class="num">${str(r['ttl'])}</td><td>${str(r['class'])}</td><td>${str(r['type'])}</td><td class="data">${str(r['data'])}</td></tr>`)}</tbody>
  </table></div>`;
}

function Timings(props: { t: unknown }) {
  if (!isRec(props.t)) return null;
  const phases = Object.entries(props.t).filter(([, v]) => typeof v === 'number') as [string, number][];
  return html`<dl class="stats timings">${phases.map(([k, v]) => html`<div><dt>${k.replace(/Ms$/, '')}</dt><dd>${ms(v)}</dd></div>`)}</dl>`;
}

function OneAnswer(props: { e: AnswerEvent }) {
  const d = props.e.data;
  if (Array.isArray(d['answer']) || isRec(d['question'])) {
    const q = isRec(d['question']) ? d['question'] : {};
    return html`<div class="answer">
      <p class="answer-head"><code>${str(q['name'])} ${str(q['type'])}</code> ${str(d['rcode'])} from ${str(d['server'])} ${typeof d['timeMs'] === 'number' ? `in ${ms(d['timeMs'])} ms` : ''}
        ${Array.isArray(d['flags']) ? html` <span class="flags">${d['flags'].map(str).join(' ')}</span>` : null}</p>
      <${Records} title="answer" rows=${d['answer']} /><${Records} title="authority" rows=${d['authority']} /><${Records} title="additional" rows=${d['additional']} />
      ${d['note'] ? html`<p class="note">${str(d['note'])}</p>` : null}
    </div>`;
  }
  if (typeof d['status'] === 'number') {
    const headers = Array.isArray(d['headers']) ? d['headers'].filter((h): h is [unknown, unknown] => Array.isArray(h) && h.length === 2) : [];
    const tls = isRec(d['tls']) ? d['tls'] : undefined;
    return html`<div class="answer">
      <p class="answer-head"><code>${str(d['method'])} ${str(d['url'])}</code> → <strong>${str(d['status'])} ${str(d['statusText'])}</strong> ${str(d['httpVersion'])} ${str(d['remoteAddress'])}</p>
      <${Timings} t=${d['timings']} />
      ${tls ? html`<p class="tls">${str(tls['protocol'])} ${str(tls['cipher'])}; ${str(tls['subject'])}, issued by ${str(tls['issuer'])}, valid to ${str(tls['validTo'])}${tls['trusted'] === false ? ' (not trusted)' : ''}${str(tls['problem']) ? `: ${str(tls['problem'])}` : ''}</p>` : null}
      ${headers.length ? html`<details><summary>${headers.length} headers</summary><div class="scroll"><table class="headers"><tbody>${headers.map(([k, v]) => html`<tr><th>${str(k)}</th><td>${str(v)}</td></tr>`)}</tbody></table></div></details>` : null}
    </div>`;
  }
  return html`<pre class="output">${JSON.stringify(d, null, 1).slice(0, 4000)}</pre>`;
}

export function AnswersView(props: { answers: readonly AnswerEvent[] }) {
  return html`<div class="answers">${props.answers.map((e) => html`<${OneAnswer} e=${e} />`)}</div>`;
}
