/** The /list answer: one line per agent with its flag, name, place, network and capabilities. */
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { countryFlag } from './agent-keyboard.ts';

export function agentListText(agents: readonly AgentInfo[]): string {
  if (agents.length === 0) return 'No agents are connected to the hub.';
  const lines = agents.map((a) => {
    const flag = countryFlag(a.country);
    const place = [a.city, a.country].filter(Boolean).join(', ');
    const net = [a.asn !== undefined ? `AS${a.asn}` : '', a.isp ?? ''].filter(Boolean).join(' ');
    return [`${flag ? flag + ' ' : ''}${a.name}`, place, net, a.capabilities.join(',')].filter(Boolean).join('  ');
  });
  return [`${agents.length} agent${agents.length === 1 ? '' : 's'}:`, ...lines].join('\n');
}
