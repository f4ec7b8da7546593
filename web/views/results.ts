/**
 * A run's results, live: per agent × target a card (reply lines with a sparkline and the
 * statistics; a path table and picture; a sweep canvas), the source × target matrix when there
 * are several, the shared text renderer's lines (what every other front-end prints), and, once
 * finished, a share link.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ReplyEvent } from '../../shared/model/events.ts';
import type { FoldPart } from '../../shared/render/measurement-fold.ts';
import { cellText, headline, summarizePart, type PartSummary } from '../../shared/render/run-summary.ts';
import { GRADE_STYLE } from '../../shared/render/quality.ts';
import { api } from '../api.ts';
import { html, lossClass, ms } from '../html.ts';
import { AnswersView } from './answer-view.ts';
import type { RunModel } from '../run-model.ts';
import { PathView } from './path-view.ts';
import { ProbeCanvas } from './probe-canvas.ts';

/** Re-renders the caller once per frame in which the run changed. */
function useRun(run: RunModel): number {
  const [tick, setTick] = useState(0);
  useEffect(() => run.subscribe(() => setTick((t) => t + 1)), [run]);
  return tick;
}

function Sparkline(props: { values: number[] }) {
  const v = props.values.slice(-120);
  if (v.length < 2) return null;
  const max = Math.max(...v);
  const min = Math.min(...v);
  const span = max - min || 1;
  const w = 160;
  const hgt = 32;
  const points = v.map((x, i) => `${((i / (v.length - 1)) * w).toFixed(1)},${(hgt - 2 - ((x - min) / span) * (hgt - 4)).toFixed(1)}`).join(' ');
  return html`<svg class="spark" viewBox=${`0 0 ${w} ${hgt}`} width=${w} height=${hgt} role="img" aria-label=${`RTT from ${ms(min)} to ${ms(max)} ms`}>
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}

function Stats(props: { part: FoldPart }) {
  const s = props.part.summary;
  if (!s) return null;
  return html`<dl class="stats">
    <div><dt>sent</dt><dd>${s.sent}</dd></div><div><dt>received</dt><dd>${s.received}</dd></div>
    <div><dt>loss</dt><dd class=${lossClass(s.lossPct)}>${s.lossPct.toFixed(1)}%</dd></div>
    <div><dt>min</dt><dd>${ms(s.minMs)}</dd></div><div><dt>avg</dt><dd>${ms(s.avgMs)}</dd></div>
    <div><dt>max</dt><dd>${ms(s.maxMs)}</dd></div><div><dt>mdev</dt><dd>${ms(s.mdevMs)}</dd></div>
    <div><dt>p50</dt><dd>${ms(s.p50Ms)}</dd></div><div><dt>p99</dt><dd>${ms(s.p99Ms)}</dd></div>
  </dl>`;
}

function PartCard(props: { run: RunModel; part: FoldPart; tick: number }) {
  const p = props.part;
  const grid = props.run.grids.get(p.key);
  const replies = p.lines.filter((l): l is ReplyEvent => l.type === 'reply');
  const addr = p.start?.address && p.start.address !== p.target ? ` (${p.start.address})` : '';
  return html`<section class="part" data-agent=${p.agent} data-target=${p.target}>
    <h3><span class="agent">${p.agent}</span> → <span class="target">${p.target}</span>${addr}</h3>
    ${p.errors.map((e) => html`<p class="error">${e.message}</p>`)}
    ${grid ? html`<${ProbeCanvas} entry=${grid} tick=${props.tick} />` : null}
    ${p.hops.size > 0 ? html`<${PathView} part=${p} tick=${props.tick} />` : null}
    ${p.answers.length > 0 ? html`<${AnswersView} answers=${p.answers} />` : null}
    ${!grid && p.hops.size === 0 && replies.length > 0
      ? html`<div class="replies"><${Sparkline} values=${replies.map((r) => r.rttMs)} />
          <span class="last">last ${ms(replies[replies.length - 1]!.rttMs)} ms, ${p.replies} replies, ${p.timeouts} lost</span></div>`
      : null}
    ${!grid && p.hops.size === 0 && p.answers.length === 0 ? html`<${Stats} part=${p} />` : null}
  </section>`;
}

/** Agents × targets, each cell graded as every other medium grades it (shared/render/quality.ts): colour and symbol. */
function Matrix(props: { run: RunModel; tick: number }) {
  if (props.run.fold.size < 2) return null;
  const parts = summaries(props.run);
  const agents = [...new Set(parts.map((p) => p.agent))].slice(0, 256);
  const targets = [...new Set(parts.map((p) => p.target))].slice(0, 256);
  if (agents.length < 2 && targets.length < 2) return null;
  const at = new Map(parts.map((p) => [`${p.agent}\u0000${p.target}`, p]));
  return html`<div class="scroll"><table class="matrix">
    <thead><tr><th>agent</th>${targets.map((t) => html`<th>${t}</th>`)}</tr></thead>
    <tbody>${agents.map(
      (a) => html`<tr><th>${a}</th>${targets.map((t) => {
        const c = at.get(`${a}\u0000${t}`);
        return html`<td class=${c ? `grade grade-${c.grade}` : 'grade'} title=${c ? GRADE_STYLE[c.grade].word : ''}>${cellText(c)}</td>`;
      })}</tr>`,
    )}</tbody></table></div>`;
}

function TextOutput(props: { run: RunModel; tick: number }) {
  const ref = useRef<HTMLPreElement>(null);
  // In the same frame as the rest of the run, so that 'done' and its last lines appear together.
  useLayoutEffect(() => {
    if (props.run.pendingText) {
      ref.current!.append(props.run.pendingText);
      props.run.pendingText = '';
    }
  }, [props.tick, props.run]);
  return html`<details class="text" open><summary>text</summary><pre ref=${ref} class="output"></pre></details>`;
}

function ShareButton(props: { run: RunModel }) {
  const [link, setLink] = useState('');
  const [err, setErr] = useState('');
  async function share() {
    try {
      const r = await api<{ path: string; keptFor: string }>('/v1/shares', { method: 'POST', body: { stream: props.run.streamId } });
      setLink(`${location.origin}${r.path}`);
      setErr('');
    } catch (e) {
      setErr((e as Error).message);
    }
  }
  return html`<span class="share">
    ${link ? html`<a class="share-link" href=${link}>${link}</a>` : html`<button type="button" onClick=${share}>Share</button>`}
    ${err ? html`<span class="error">${err}</span>` : null}
  </span>`;
}

/**
 * The shared summaries (shared/render/run-summary.ts) of a run's parts, for the headline and the
 * matrix, which give a sweep's counts only: its live-host list is cut to 256 first, since
 * turning a /16's 65,536 addresses into ranges every frame would freeze the page.
 */
function summaries(run: RunModel): PartSummary[] {
  return [...run.fold.parts].map((p) => summarizePart(p.up.length > 256 ? { ...p, up: p.up.slice(0, 256) } : p));
}

/** The results of one run; `shared`: shown from a share link (no share button). */
export function Results(props: { run: RunModel; shared?: boolean; onStop?: () => void }) {
  const run = props.run;
  const tick = useRun(run);
  const parts = [...run.fold.parts];
  const done = run.fold.done;
  const head = parts.length ? headline(summaries(run)) : '';
  return html`<article class="run" data-done=${run.done ? 'true' : 'false'}>
    <header class="run-head"><code class="cmd">${run.command}</code>
      ${run.done ? null : html`<span class="running">running…</span> ${props.onStop ? html`<button type="button" onClick=${props.onStop}>Stop</button>` : null}`}
      ${done ? html`<span class="totals">${done.parts} parts, ${done.received}/${done.sent} answered, ${done.errors} errors, ${(done.durationMs / 1000).toFixed(1)} s</span>` : null}
      ${run.done && !props.shared && !run.failure && done && run.streamId ? html`<${ShareButton} run=${run} />` : null}
    </header>
    ${head ? html`<p class="headline">${head}</p>` : null}
    ${run.failure ? html`<p class="error">${run.failure}</p>` : null}
    ${run.fold.generalErrors.map((e) => html`<p class="error">${e.message}</p>`)}
    <${Matrix} run=${run} tick=${tick} />
    ${parts.map((p) => html`<${PartCard} key=${p.key} run=${run} part=${p} tick=${tick} />`)}
    <${TextOutput} run=${run} tick=${tick} />
  </article>`;
}
