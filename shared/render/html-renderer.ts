/**
 * HTML rendering of a measurement's events for email (design §7): each agent×target part as its
 * type's block (shared/measurements/<type>/html.ts, through renderers-by-type.ts), a type's
 * overview above them (a latency matrix), the totals below. Mail clients drop `<style>` blocks
 * and scripts, so every style is inline and the markup is plain tables. Every value from the
 * wire is escaped. Pure and runtime-neutral.
 */
import type { ErrorEvent, MeasurementEvent } from '../model/events.ts';
import type { MeasurementType } from '../registry.ts';
import { escapeHtml, htmlDocument } from './html-style.ts';
import { cellText, headline, summarizePart, summarizeParts } from './run-summary.ts';
import { MeasurementFold, type FoldPart } from './measurement-fold.ts';
import type { HtmlKit, TypeHtmlOptions } from './measurement-renderers.ts';
import { renderersByType, typeOfPart } from './renderers-by-type.ts';

export { escapeHtml, htmlDocument, LATENCY_BANDS, latencyColour, NO_ANSWER_BACKGROUND, renderHtmlText, type LatencyBand } from './html-style.ts';

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** The command line as the user wrote it, shown as the heading. Default: none. */
  command?: string;
  /** A remark shown above the results, e.g. "stopped after 25 s: partial results". */
  note?: string;
  /** Responding hosts listed per sweep before "… and N more" (default 256). */
  maxSweepHosts?: number;
  /** The picture of a part (a sweep's, a path's), when the answer carries one as an inline image. */
  picture?: TypeHtmlOptions['picture'];
}

/**
 * Renders a whole stream (or the part that arrived) as an HTML document body fragment wrapped
 * in a minimal document. A type's overview (several agents or targets) comes on top.
 */
export function renderHtml(events: readonly MeasurementEvent[], options: RenderHtmlOptions = {}): string {
  const fold = new MeasurementFold();
  for (const e of events) fold.add(e);

  const parts: string[] = [];
  // The answer first: one line that says how it went, then the command and the detail.
  const summaries = summarizeParts(fold);
  if (summaries.length) parts.push(`<p style="margin:0 0 6px 0;font-size:15px"><b>${escapeHtml(headline(summaries))}</b></p>`);
  if (options.command) parts.push(`<p style="margin:0 0 8px 0;color:#555"><b>${escapeHtml(options.command)}</b></p>`);
  if (options.note) parts.push(`<p style="margin:0 0 8px 0;color:#8a6d00">${escapeHtml(options.note)}</p>`);
  for (const e of fold.generalErrors) parts.push(errorLine(e));

  const all = [...fold.parts].map((p) => ({ p, type: typeOfPart(p) }));
  const kit: HtmlKit = { heading, errorLine, summary: summarizePart, cell: cellText };
  for (const [type, r] of Object.entries(renderersByType) as [MeasurementType, (typeof renderersByType)[MeasurementType]][]) {
    const overview = r.htmlOverview?.(all.filter((x) => x.type === type).map((x) => x.p), kit) ?? '';
    if (overview) parts.push(overview);
  }
  const o: TypeHtmlOptions = { maxSweepHosts: options.maxSweepHosts ?? 256, ...(options.picture ? { picture: options.picture } : {}) };
  for (const { p, type } of all) parts.push(renderersByType[type].html(p, o, kit));
  const done = fold.done;
  if (done) {
    // ICMP errors are answers, not failures: they are counted by kind ("3 unreachable") next to
    // the parts that failed (error events), so the footer never says "0 errors" under them.
    const icmp = [...fold.icmpKinds].map(([kind, n]) => `, ${n} ${ICMP_KIND_WORDS[kind] ?? 'ICMP errors'}`).join('');
    parts.push(
      `<p style="color:#666;margin:8px 0 0 0">${done.parts} part${done.parts === 1 ? '' : 's'}, ` +
        `${done.sent} sent, ${done.received} received${escapeHtml(icmp)}, ${done.errors} failed, ` +
        `${Math.round(done.durationMs)} ms</p>`,
    );
  }
  return htmlDocument(parts.join('\n'));
}

/** How the footer counts each ICMP error kind. */
const ICMP_KIND_WORDS: Record<string, string> = {
  unreachable: 'unreachable',
  'time-exceeded': 'time exceeded',
  'packet-too-big': 'packet too big',
  'parameter-problem': 'parameter problem',
  other: 'other ICMP errors',
};

function heading(p: FoldPart, verb: string): string {
  const addr = p.start?.address ?? p.summary?.address;
  const via = p.start?.protocol && p.start.protocol !== 'icmp' ? ` (${p.start.protocol})` : '';
  return `<p style="margin:8px 0 2px 0"><b>${escapeHtml(verb)} ${escapeHtml(p.target)}</b>` +
    (addr && addr !== p.target ? ` (${escapeHtml(addr)})` : '') +
    `${escapeHtml(via)} from <b>${escapeHtml(p.agent)}</b>` +
    (p.start?.note ? ` <span style="color:#666">— ${escapeHtml(p.start.note)}</span>` : '') +
    '</p>';
}

function errorLine(e: ErrorEvent): string {
  const who = e.agent !== undefined ? `${e.agent}${e.target !== undefined ? ` → ${e.target}` : ''}: ` : '';
  return `<p style="margin:4px 0;color:#b00020">${escapeHtml(who + e.message)} <span style="color:#888">(${escapeHtml(e.code)})</span></p>`;
}
