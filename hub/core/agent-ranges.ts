/**
 * Per-agent allowed ranges set at the hub (MESHPROBE_AGENT_RANGES), e.g.
 * `lax1=10.0.0.0/8,192.168.0.0/16;fra1=198.18.0.0/15`: agents separated by `;`, prefixes by
 * `,`. An agent not named is not restricted by the hub (its own `--allow` still applies).
 */
import { parseCidr } from '../../shared/net/cidr.ts';
import { AGENT_NAME_PATTERN } from '../../shared/wire/agent-protocol-constants.ts';

/** Agent name → CIDR prefixes. */
export type AgentRanges = Record<string, readonly string[]>;

/** Parses the setting; throws an Error with a one-line reason naming the bad part. */
export function parseAgentRanges(text: string, setting = 'MESHPROBE_AGENT_RANGES'): AgentRanges {
  const out: Record<string, string[]> = {};
  for (const part of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq === -1) throw new Error(`${setting}: "${part}" is not NAME=CIDR,… (e.g. lax1=10.0.0.0/8,192.168.0.0/16)`);
    const name = part.slice(0, eq).trim();
    if (!AGENT_NAME_PATTERN.test(name)) throw new Error(`${setting}: "${name}" is not an agent name`);
    if (out[name]) throw new Error(`${setting}: agent ${name} is named twice`);
    const ranges = part.slice(eq + 1).split(',').map((s) => s.trim()).filter(Boolean);
    if (ranges.length === 0) throw new Error(`${setting}: give at least one prefix for agent ${name}`);
    const bad = ranges.find((r) => !parseCidr(r, { bareAddress: true }).ok);
    if (bad) throw new Error(`${setting}: ${bad} (agent ${name}) is not a CIDR prefix`);
    out[name] = ranges;
  }
  return out;
}

/** Checks a HubOptions value the same way; returns it normalised (trimmed names and prefixes). */
export function checkAgentRanges(ranges: AgentRanges): AgentRanges {
  return parseAgentRanges(Object.entries(ranges).map(([name, r]) => `${name}=${r.join(',')}`).join(';'), 'agentRanges');
}
