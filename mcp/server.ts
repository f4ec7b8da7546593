/**
 * The meshprobe MCP server: one McpServer with a tool per measurement type (shared/registry.ts)
 * and list_agents. It is a hub client: every tool call goes to the hub's public HTTP API.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { measurementTypes } from '../shared/registry.ts';
import type { HubLike } from '../shared/wire/hub-client.ts';
import type { ToolExtra } from './run-measurement.ts';
import { registerListAgents } from './tools/list-agents.ts';
import { registerMeasureTools } from './tools/measure-tools.ts';
import { registerMonitorTools } from './tools/monitor-tools.ts';
import { registerPathTools } from './tools/path-tools.ts';

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /**
   * The hub a tool call talks to. Called once per call with the call's context, so that a
   * deployment can act with the caller's own token (`extra.authInfo.token`) and the hub
   * applies that subject's rate limits and revocations.
   */
  hubFor(extra: ToolExtra): HubLike;
  /** Aborting cancels every measurement this server runs. Default: none. */
  signal?: AbortSignal;
  /** Reported in `initialize`. Default: meshprobe's package version. */
  version?: string;
}

const INSTRUCTIONS =
  'meshprobe measures networks from agents placed in many locations. Use ' +
  measurementTypes().map((t) => `${t.name} ${t.tool.instruction}, `).join('') +
  'and list_agents to see where you can measure from (pass names or filters such as country=DE as `from`). ' +
  'To watch a target over time use monitor_add, then monitor_list and monitor_show (statistics and a heatmap); monitor_remove stops it. ' +
  'ipinfo tells who owns an address (ASN, organisation, place); route looks prefixes, origins and AS paths up in the hub\'s BGP table.';

/** A new server with every tool registered; connect it to one transport. */
export function createMcpServer(options: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'meshprobe', title: 'meshprobe', version: options.version ?? '0.1.0' },
    { capabilities: { tools: { listChanged: false } }, instructions: INSTRUCTIONS },
  );
  const ctx = { hubFor: options.hubFor, signal: options.signal };
  registerMeasureTools(server, ctx);
  registerListAgents(server, ctx);
  registerMonitorTools(server, ctx);
  registerPathTools(server, ctx);
  return server;
}
