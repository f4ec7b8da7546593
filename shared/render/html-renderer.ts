/**
 * HTML rendering of a measurement's events for email (design §7): ping blocks, the traceroute
 * hop table, the ping matrix (agents × targets) with cells coloured by latency, the sweep
 * summary. Mail clients drop `<style>` blocks and scripts, so every style is inline and the
 * markup is plain tables. Every value from the wire is escaped. Pure and runtime-neutral.
 */
import type {
  ErrorEvent,
  HopEvent,
  HostEvent,
  IcmpErrorEvent,
  MeasurementEvent,
  ReplyEvent,
  StartEvent,
  SummaryEvent,
  TimeoutEvent,
} from '../model/events.ts';
import { formatLossShort, formatMs3, formatPingTime } from './format.ts';
import { saneEvent } from '../model/event-guard.ts';

/** Options of {@link renderHtml}. */
export interface RenderHtmlOptions {
  /** The command line as the user wrote it, shown as the heading. Default: none. */
  command?: string;
  /** A remark shown above the results, e.g. "stopped after 25 s: partial results". */
  note?: string;
  /** Responding hosts listed per sweep before "… and N more" (default 256). */
  maxSweepHosts?: number;
}

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

const FONT = "font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:13px";
const TABLE = 'border-collapse:collapse;margin:4px 0 12px 0';
const TH = 'border:1px solid #bbb;padding:3px 8px;background:#f0f0f0;text-align:left';
const TD = 'border:1px solid #bbb;padding:3px 8px';
const TDR = `${TD};text-align:right`;

type PairKey = string;
const pairKey = (agent: string | undefined, target: string | undefined): PairKey => `${agent ?? ''}\u0000${target ?? ''}`;

interface Pair {
  agent: string;
  target: string;
  start?: StartEvent;
  lines: Array<ReplyEvent | TimeoutEvent | IcmpErrorEvent>;
  hops: HopEvent[];
  hosts: HostEvent[];
  summary?: SummaryEvent;
  errors: ErrorEvent[];
}

/**
 * Renders a whole stream (or the part that arrived) as an HTML document body fragment wrapped
 * in a minimal document. Several agents or targets of a ping add the matrix on top.
 */
export function renderHtml(events: readonly MeasurementEvent[], options: RenderHtmlOptions = {}): string {
  const pairs = new Map<PairKey, Pair>();
  const general: ErrorEvent[] = [];
  let done: Extract<MeasurementEvent, { type: 'done' }> | undefined;
  /** ICMP errors by kind over the whole stream, for the footer. */
  const icmpKinds = new Map<string, number>();
  const pair = (agent: string, target: string): Pair => {
    const k = pairKey(agent, target);
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { agent, target, lines: [], hops: [], hosts: [], errors: [] }));
    return p;
  };
  for (const raw of events) {
    // Every field bounded, unknown events dropped (shared/model/event-guard.ts).
    const e = saneEvent(raw);
    if (!e) continue;
    switch (e.type) {
      case 'start': pair(e.agent, e.target).start = e; break;
      case 'icmp-error':
        icmpKinds.set(e.kind, (icmpKinds.get(e.kind) ?? 0) + 1);
        pair(e.agent, e.target).lines.push(e);
        break;
      case 'reply': case 'timeout': pair(e.agent, e.target).lines.push(e); break;
      case 'hop': pair(e.agent, e.target).hops.push(e); break;
      case 'host': pair(e.agent, e.target).hosts.push(e); break;
      case 'summary': pair(e.agent, e.target).summary = e; break;
      case 'error':
        if (e.agent !== undefined && e.target !== undefined) pair(e.agent, e.target).errors.push(e);
        else general.push(e);
        break;
      case 'done': done = e; break;
    }
  }

  const parts: string[] = [];
  if (options.command) parts.push(`<p style="margin:0 0 8px 0"><b>${escapeHtml(options.command)}</b></p>`);
  if (options.note) parts.push(`<p style="margin:0 0 8px 0;color:#8a6d00">${escapeHtml(options.note)}</p>`);
  for (const e of general) parts.push(errorLine(e));

  const all = [...pairs.values()];
  const pings = all.filter((p) => kindOf(p) === 'ping');
  const agents = unique(pings.map((p) => p.agent));
  const targets = unique(pings.map((p) => p.target));
  if (agents.length > 1 || targets.length > 1) parts.push(matrix(pings, agents, targets));

  for (const p of all) {
    const kind = kindOf(p);
    if (kind === 'traceroute') parts.push(tracerouteBlock(p));
    else if (kind === 'probe') parts.push(sweepBlock(p, options.maxSweepHosts ?? 256));
    else parts.push(pingBlock(p));
  }
  if (done) {
    // ICMP errors are answers, not failures: they are counted by kind ("3 unreachable") next to
    // the parts that failed (error events), so the footer never says "0 errors" under them.
    const icmp = [...icmpKinds].map(([kind, n]) => `, ${n} ${ICMP_KIND_WORDS[kind] ?? 'ICMP errors'}`).join('');
    parts.push(
      `<p style="color:#666;margin:8px 0 0 0">${done.parts} part${done.parts === 1 ? '' : 's'}, ` +
        `${done.sent} sent, ${done.received} received${escapeHtml(icmp)}, ${done.errors} failed, ` +
        `${Math.round(done.durationMs)} ms</p>`,
    );
  }
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div style="${FONT}">\n${parts.join('\n')}\n</div></body></html>\n`;
}

/** Renders a plain text message (help, a refusal) as HTML: escaped, whitespace kept. */
export function renderHtmlText(text: string, options: { command?: string } = {}): string {
  const head = options.command ? `<p style="margin:0 0 8px 0"><b>${escapeHtml(options.command)}</b></p>\n` : '';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div style="${FONT}">\n${head}<pre style="${FONT};margin:0">${escapeHtml(text)}</pre>\n</div></body></html>\n`;
}

/** How the footer counts each ICMP error kind. */
const ICMP_KIND_WORDS: Record<string, string> = {
  unreachable: 'unreachable',
  'time-exceeded': 'time exceeded',
  'packet-too-big': 'packet too big',
  'parameter-problem': 'parameter problem',
  other: 'other ICMP errors',
};

function kindOf(p: Pair): 'ping' | 'traceroute' | 'probe' {
  const m = p.start?.measurement ?? p.summary?.measurement;
  if (m) return m;
  if (p.hops.length) return 'traceroute';
  if (p.hosts.length) return 'probe';
  return 'ping';
}

function heading(p: Pair, verb: string): string {
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

function pingBlock(p: Pair): string {
  const out = [heading(p, 'PING')];
  if (p.lines.length) {
    // In sequence order: a timeout is only known after later replies may have arrived.
    const lines = [...p.lines].sort((a, b) => a.seq - b.seq).map((e) => {
      if (e.type === 'reply') {
        return `${e.bytes} bytes from ${e.from}: seq=${e.seq}${e.ttl !== null ? ` ttl=${e.ttl}` : ''} time=${formatPingTime(e.rttMs)} ms${e.kind ? ` (${e.kind})` : ''}`;
      }
      if (e.type === 'timeout') return `no answer for seq=${e.seq}`;
      return `From ${e.from} seq=${e.seq} ${e.message}`;
    });
    out.push(`<pre style="${FONT};margin:0 0 4px 0">${escapeHtml(lines.join('\n'))}</pre>`);
  }
  if (p.summary) out.push(statsTable(p.summary));
  for (const e of p.errors) out.push(errorLine(e));
  return out.join('\n');
}

function statsTable(s: SummaryEvent): string {
  const cell = (v: number | null) => (v === null ? '–' : formatMs3(v));
  const head = ['sent', 'received', 'loss', 'min', 'avg', 'max', 'mdev', 'p50', 'p90', 'p99'];
  const row = [String(s.sent), String(s.received), formatLossShort(s.lossPct), cell(s.minMs), cell(s.avgMs), cell(s.maxMs), cell(s.mdevMs), cell(s.p50Ms), cell(s.p90Ms), cell(s.p99Ms)];
  return `<table style="${TABLE}"><tr>${head.map((h) => `<th style="${TH}">${h}</th>`).join('')}</tr>` +
    `<tr>${row.map((c) => `<td style="${TDR}">${escapeHtml(c)}</td>`).join('')}</tr></table>` +
    '<p style="margin:0 0 8px 0;color:#666;font-size:11px">times in ms</p>';
}

function tracerouteBlock(p: Pair): string {
  const out = [heading(p, 'traceroute to')];
  const rows: string[] = [];
  for (const hop of [...p.hops].sort((a, b) => a.ttl - b.ttl)) {
    if (hop.responders.length === 0) {
      rows.push(`<tr><td style="${TDR}">${hop.ttl}</td><td style="${TD}">*</td><td style="${TD}"></td><td style="${TDR}">* * *</td><td style="${TDR}">${escapeHtml(formatLossShort(hop.lossPct))}</td></tr>`);
      continue;
    }
    hop.responders.forEach((r, i) => {
      const rtts = r.rttsMs.map((v) => `${formatMs3(v)} ms`).join('  ');
      rows.push(
        '<tr>' +
          `<td style="${TDR}">${i === 0 ? hop.ttl : ''}</td>` +
          `<td style="${TD}">${escapeHtml(r.address)}${r.annotation ? ` <b>${escapeHtml(r.annotation)}</b>` : ''}</td>` +
          `<td style="${TD}">${escapeHtml(r.name ?? '')}</td>` +
          `<td style="${TDR}">${escapeHtml(rtts)}</td>` +
          `<td style="${TDR}">${i === 0 ? escapeHtml(formatLossShort(hop.lossPct)) : ''}</td>` +
          '</tr>',
      );
    });
  }
  out.push(
    `<table style="${TABLE}"><tr><th style="${TH}">hop</th><th style="${TH}">address</th><th style="${TH}">name</th><th style="${TH}">rtt</th><th style="${TH}">loss</th></tr>` +
      rows.join('') + '</table>',
  );
  if (p.summary) {
    const s = p.summary;
    out.push(`<p style="margin:0 0 8px 0;color:#666">${s.reached === false ? 'destination not reached' : 'destination reached'}` +
      `${s.hops !== undefined ? ` in ${s.hops} hop${s.hops === 1 ? '' : 's'}` : ''}</p>`);
  }
  for (const e of p.errors) out.push(errorLine(e));
  return out.join('\n');
}

function sweepBlock(p: Pair, maxHosts: number): string {
  const out = [heading(p, 'sweep of')];
  const up = p.hosts.filter((h) => h.rttMs !== null);
  const total = p.summary?.hostsTotal ?? p.hosts.length;
  const upCount = p.summary?.hostsUp ?? up.length;
  out.push(`<p style="margin:0 0 4px 0">${upCount} of ${total} host${total === 1 ? '' : 's'} answered</p>`);
  if (up.length) {
    const shown = up.slice(0, maxHosts);
    out.push(
      `<table style="${TABLE}"><tr><th style="${TH}">address</th><th style="${TH}">rtt</th></tr>` +
        shown.map((h) => `<tr><td style="${TD}">${escapeHtml(h.address)}</td><td style="${TDR};background:${latencyColour(h.rttMs)}">${escapeHtml(formatPingTime(h.rttMs!))} ms</td></tr>`).join('') +
        '</table>',
    );
    if (up.length > shown.length) out.push(`<p style="margin:0 0 8px 0;color:#666">… and ${up.length - shown.length} more</p>`);
  }
  if (p.summary?.kernelDrops) out.push(`<p style="margin:0 0 8px 0;color:#666">${p.summary.kernelDrops} replies dropped by the kernel (receive buffer full)</p>`);
  for (const e of p.errors) out.push(errorLine(e));
  return out.join('\n');
}

function matrix(pings: Pair[], agents: string[], targets: string[]): string {
  const byKey = new Map(pings.map((p) => [pairKey(p.agent, p.target), p]));
  const head = `<tr><th style="${TH}">agent \\ target</th>${targets.map((t) => `<th style="${TH}">${escapeHtml(t)}</th>`).join('')}</tr>`;
  const rows = agents.map((a) => {
    const cells = targets.map((t) => {
      const p = byKey.get(pairKey(a, t));
      const s = p?.summary;
      if (!p || (!s && p.errors.length === 0)) return `<td style="${TDR}">…</td>`;
      if (!s) return `<td style="${TDR};background:${NO_ANSWER_BACKGROUND}" title="${escapeHtml(p.errors[0]!.message)}">error</td>`;
      const text = s.avgMs === null ? 'no answer' : `${formatPingTime(s.avgMs)} ms`;
      const loss = s.lossPct > 0 && s.avgMs !== null ? ` <span style="color:#b00020">(${escapeHtml(formatLossShort(s.lossPct))} loss)</span>` : '';
      return `<td style="${TDR};background:${latencyColour(s.avgMs)}">${escapeHtml(text)}${loss}</td>`;
    });
    return `<tr><th style="${TH}">${escapeHtml(a)}</th>${cells.join('')}</tr>`;
  });
  const legend = LATENCY_BANDS.map((b) => `<span style="background:${b.background};padding:1px 6px">${escapeHtml(b.label)}</span>`).join(' ') +
    ` <span style="background:${NO_ANSWER_BACKGROUND};padding:1px 6px">no answer</span>`;
  return `<p style="margin:8px 0 2px 0"><b>average round trip, agents × targets</b></p>` +
    `<table style="${TABLE}" class="meshprobe-matrix">${head}${rows.join('')}</table>` +
    `<p style="margin:0 0 12px 0;font-size:11px">${legend}</p>`;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
