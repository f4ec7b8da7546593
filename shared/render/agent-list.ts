/**
 * The answer to `list` in every front-end, and to `version`: one renderer of the agent list,
 * laid out per medium — a fixed-width table for terminals (the CLI, `POST /v1/cli`), or a
 * count line and one line per agent for chat, mail and models (Telegram, email, MCP) — and
 * the same list as an HTML table for email.
 */
import type { AgentInfo } from '../wire/agent-link.ts';
import { escapeHtml, renderHtmlText, TD, TH } from './html-style.ts';

/** Options of {@link formatAgentList}. */
export interface AgentListOptions {
  /**
   * `table` (default): a header row and aligned columns (agent, location, ASN, capabilities,
   * version), newline-terminated. `lines`: `N agents:` and one line per agent (name, place,
   * network, capabilities, two spaces apart), no final newline.
   */
  layout?: 'table' | 'lines';
  /** With `lines`: a mark before each name (Telegram: the country's flag), '' for none. */
  mark?: (a: AgentInfo) => string;
}

/** The agent list as text. */
export function formatAgentList(agents: readonly AgentInfo[], o: AgentListOptions = {}): string {
  return o.layout === 'lines' ? agentLines(agents, o.mark) : agentTable(agents);
}

function place(a: AgentInfo): string {
  return [a.city ?? a.info?.city, a.country ?? a.info?.country].filter(Boolean).join(', ');
}

/**
 * The agent's network: the AS it announced, else the one the hub's enrichment found for the
 * address it connected from, else that address's special-range label (`loopback`, `RFC1918`).
 */
function network(a: AgentInfo): string {
  const as = a.asn ?? a.info?.asn ?? a.info?.originAsn;
  if (as !== undefined) return `AS${as}`;
  return a.info?.label ?? '';
}

function agentTable(agents: readonly AgentInfo[]): string {
  if (agents.length === 0) return 'no agents are connected\n';
  const rows = agents.map((a) => [
    a.name,
    place(a) || '-',
    network(a) || '-',
    a.capabilities.join(',') || '-',
    a.version,
  ]);
  const header = ['AGENT', 'LOCATION', 'ASN', 'CAPABILITIES', 'VERSION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n';
  return line(header) + rows.map(line).join('');
}

function agentLines(agents: readonly AgentInfo[], mark: ((a: AgentInfo) => string) | undefined): string {
  if (agents.length === 0) return 'No agents are connected to the hub.';
  const lines = agents.map((a) => {
    const m = mark?.(a) ?? '';
    const net = [network(a), a.isp ?? (a.asn === undefined ? a.info?.asName : undefined) ?? ''].filter(Boolean).join(' ');
    return [`${m ? m + ' ' : ''}${a.name}`, place(a), net, (a.capabilities ?? []).join(',')].filter(Boolean).join('  ');
  });
  return [`${agents.length} agent${agents.length === 1 ? '' : 's'}:`, ...lines].join('\n');
}

/** The agent list as an HTML document for email, headed by the command line `line`. */
export function formatAgentListHtml(agents: readonly AgentInfo[], line: string): string {
  if (agents.length === 0) return renderHtmlText('No agents are connected to the hub.', { command: line });
  const rows = agents
    .map((a) => `<tr><td style="${TD}">${escapeHtml(a.name)}</td><td style="${TD}">${escapeHtml(place(a))}</td>` +
      `<td style="${TD}">${escapeHtml(network(a))}</td><td style="${TD}">${escapeHtml(a.capabilities.join(', '))}</td></tr>`)
    .join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p><b>${escapeHtml(line)}</b></p>` +
    `<table style="border-collapse:collapse"><tr><th style="${TH}">agent</th><th style="${TH}">location</th><th style="${TH}">ASN</th><th style="${TH}">capabilities</th></tr>${rows}</table></body></html>\n`;
}

/** `meshprobe 0.1.0 (api 1, node v24.21.0)` plus one line per agent version. */
export function formatVersion(v: { name: string; version: string; api: number; runtime?: string }, agents: readonly AgentInfo[] = []): string {
  const head = `${v.name} ${v.version} (api ${v.api}${v.runtime ? `, ${v.runtime}` : ''})\n`;
  return head + agents.map((a) => `agent ${a.name} ${a.version}\n`).join('');
}
