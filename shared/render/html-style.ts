/**
 * The pieces every HTML block of an email answer is built from: escaping, the inline styles
 * (mail clients drop `<style>` blocks, so every style is inline) and the latency colours.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A latency band: the background colour of a matrix cell and a word for the legend. */
export interface LatencyBand {
  /** Upper bound in ms (exclusive); Infinity for the last band. */
  belowMs: number;
  background: string;
  label: string;
}

/** The bands matrix cells are coloured by, green (near) to red (far). */
export const LATENCY_BANDS: readonly LatencyBand[] = [
  { belowMs: 10, background: '#c6efce', label: '< 10 ms' },
  { belowMs: 50, background: '#e2f0b6', label: '10–50 ms' },
  { belowMs: 100, background: '#fff2b3', label: '50–100 ms' },
  { belowMs: 200, background: '#ffd8a8', label: '100–200 ms' },
  { belowMs: Infinity, background: '#ffb3b3', label: '≥ 200 ms' },
];

/** Colour of a cell with no answer at all (100 % loss or an error). */
export const NO_ANSWER_BACKGROUND = '#d9d9d9';

/** The background colour for a latency; `null` (nothing received) gives the no-answer grey. */
export function latencyColour(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return NO_ANSWER_BACKGROUND;
  return (LATENCY_BANDS.find((b) => ms < b.belowMs) ?? LATENCY_BANDS[LATENCY_BANDS.length - 1]!).background;
}

/** Inline styles: the monospace font, a table, a header cell, a cell, a right-aligned cell. */
export const FONT = "font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:13px";
export const TABLE = 'border-collapse:collapse;margin:4px 0 12px 0';
export const TH = 'border:1px solid #bbb;padding:3px 8px;background:#f0f0f0;text-align:left';
export const TD = 'border:1px solid #bbb;padding:3px 8px';
export const TDR = `${TD};text-align:right`;

/**
 * A preformatted block that never widens the page: long lines wrap (and a word longer than the
 * screen breaks) inside the block, which scrolls inside itself where a client ignores wrapping.
 */
export const PRE = `${FONT};margin:0 0 4px 0;white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere;overflow-x:auto;max-width:100%`;

/**
 * The head of every answer: a viewport for phones and the few rules inline styles cannot say
 * (media queries). Below 600 px a table of class `mp-cards` collapses into one stacked card per
 * row, each cell labelled by its `data-label`; clients that drop `<style>` keep the inline look.
 */
export const DOCUMENT_HEAD = '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<style>' +
  'body{margin:0;padding:8px;-webkit-text-size-adjust:100%}' +
  '.mp{max-width:640px;overflow-wrap:anywhere}' +
  '.mp img{max-width:100%;height:auto}' +
  '.mp table{max-width:100%}' +
  '@media (max-width:600px){' +
  'table.mp-cards,table.mp-cards tbody,table.mp-cards tr,table.mp-cards td,table.mp-cards th{display:block!important;width:auto!important;text-align:left!important}' +
  'table.mp-cards tr.mp-head{display:none!important}' +
  'table.mp-cards tr{border:1px solid #bbb;margin:0 0 6px 0}' +
  'table.mp-cards td,table.mp-cards th{border:none!important}' +
  'table.mp-cards td[data-label]::before{content:attr(data-label) ": ";color:#555}' +
  '}' +
  '</style>';

/** Wraps a body fragment in the responsive document every answer uses. */
export function htmlDocument(body: string): string {
  return `<!DOCTYPE html><html><head>${DOCUMENT_HEAD}</head><body><div class="mp" style="${FONT}">\n${body}\n</div></body></html>\n`;
}

/** Renders a plain text message (help, a refusal) as HTML: escaped, whitespace kept, wrapped on a phone. */
export function renderHtmlText(text: string, options: { command?: string } = {}): string {
  const head = options.command ? `<p style="margin:0 0 8px 0"><b>${escapeHtml(options.command)}</b></p>\n` : '';
  return htmlDocument(`${head}<pre style="${PRE}">${escapeHtml(text)}</pre>`);
}
