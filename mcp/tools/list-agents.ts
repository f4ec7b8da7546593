/**
 * The `list_agents` tool (the `list` command of the other front-ends): which agents exist,
 * where they are, and what they can measure, so a model can fill in `from`.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AgentInfo } from '../../shared/wire/agent-link.ts';
import { describeError } from '../../shared/model/errors.ts';
import { formatAgentList } from '../../shared/render/agent-list.ts';
import { saneAddressInfo } from '../../shared/net/address-info.ts';
import { ListAgentsInput } from '../input-schemas.ts';
import { ListAgentsOutput } from '../output-schemas.ts';
import { andList, measurementTypes } from '../../shared/registry.ts';
import type { ToolContext } from './measure-tools.ts';

const TYPES = andList(measurementTypes().map((t) => t.name));

/** Registers list_agents on `server`. */
export function registerListAgents(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description:
        'Where can meshprobe measure from? Lists the agents connected to the hub with their name, country, city, ' +
        `ASN, ISP and capabilities (icmp, icmp6, udp, tcp and the measurement types it runs: ${TYPES}). Use the names or attribute filters ` +
        `(country=DE, city=Berlin, asn=64500) as \`from\` in ${TYPES}.`,
      inputSchema: ListAgentsInput,
      outputSchema: ListAgentsOutput,
      annotations: { title: 'List agents', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async (args, extra) => {
      const hub = ctx.hubFor(extra);
      const signal = ctx.signal ? AbortSignal.any([extra.signal, ctx.signal]) : extra.signal;
      let agents: AgentInfo[];
      try {
        agents = await hub.agents({ signal });
      } catch (err) {
        return { content: [{ type: 'text', text: describeError(err).message }], isError: true };
      }
      const version = await hub.version({ signal }).catch(() => undefined);
      const needle = args.filter?.toLowerCase();
      const shown = needle ? agents.filter((a) => matches(a, needle)) : agents;
      const structured: ListAgentsOutput = {
        agents: shown.map(clean),
        hub: version ? { name: version.name, version: version.version, api: version.api } : null,
      };
      return { content: [{ type: 'text', text: text(shown, agents.length, needle) }], structuredContent: structured };
    },
  );
}

function matches(a: AgentInfo, needle: string): boolean {
  return [a.name, a.country, a.city, a.asn !== undefined ? `as${a.asn}` : undefined, a.asn?.toString(), a.isp]
    .some((v) => v?.toLowerCase().includes(needle));
}

/** Only the declared fields: the outputSchema is what the model relies on. */
function clean(a: AgentInfo): ListAgentsOutput['agents'][number] {
  const out: ListAgentsOutput['agents'][number] = { name: a.name, capabilities: [...(a.capabilities ?? [])], version: String(a.version ?? '') };
  if (a.country !== undefined) out.country = a.country;
  if (a.city !== undefined) out.city = a.city;
  if (a.asn !== undefined) out.asn = a.asn;
  if (a.isp !== undefined) out.isp = a.isp;
  if (a.latitude !== undefined) out.latitude = a.latitude;
  if (a.longitude !== undefined) out.longitude = a.longitude;
  const info = saneAddressInfo(a.info);
  if (info) out.info = info;
  return out;
}

function text(shown: AgentInfo[], total: number, needle: string | undefined): string {
  if (total > 0 && shown.length === 0) return `No agent matches '${needle}' (${total} connected).`;
  return formatAgentList(shown, { layout: 'lines' });
}
