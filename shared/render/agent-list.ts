/**
 * Plain-text answers to `list` and `version`, shared by `POST /v1/cli` and the CLI's direct mode
 * so both print the same thing.
 */
import type { AgentInfo } from '../wire/agent-link.ts';

/** A fixed-width table of agents: name, location, ASN, capabilities. */
export function formatAgentList(agents: readonly AgentInfo[]): string {
  if (agents.length === 0) return 'no agents are connected\n';
  const rows = agents.map((a) => [
    a.name,
    [a.city, a.country].filter(Boolean).join(', ') || '-',
    a.asn !== undefined ? `AS${a.asn}` : '-',
    a.capabilities.join(',') || '-',
    a.version,
  ]);
  const header = ['AGENT', 'LOCATION', 'ASN', 'CAPABILITIES', 'VERSION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ') + '\n';
  return line(header) + rows.map(line).join('');
}

/** `meshprobe 0.1.0 (api 1, node v24.21.0)` plus one line per agent version. */
export function formatVersion(v: { name: string; version: string; api: number; runtime?: string }, agents: readonly AgentInfo[] = []): string {
  const head = `${v.name} ${v.version} (api ${v.api}${v.runtime ? `, ${v.runtime}` : ''})\n`;
  return head + agents.map((a) => `agent ${a.name} ${a.version}\n`).join('');
}
