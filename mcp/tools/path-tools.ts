/**
 * The `ipinfo` and `route` tools (issue 16; the `ipinfo`/`route` commands of the other
 * front-ends): who owns an address (ASN, organisation, place, special-range label, covering BGP
 * prefix) and what the hub's BGP table (MRT dumps) holds for a prefix, an address, an origin AS,
 * a neighbour AS or an AS-path segment. Arguments go through the shared grammar's parsers, so
 * the model gets the same one-line refusals as everyone else.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { parseIpinfo, parseRoute, RouteLimits } from '../../shared/command/path-commands.ts';
import { describeError } from '../../shared/model/errors.ts';
import { saneAddressInfo } from '../../shared/net/address-info.ts';
import { formatIpinfo, formatRoutes } from '../../shared/render/path-info-text.ts';
import { IpinfoOutput, RouteOutput } from '../output-schemas.ts';
import type { ToolContext } from './measure-tools.ts';

const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const asnText = z.union([z.number().int().min(0).max(4_294_967_295), z.string().trim().max(12)]);

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Registers `ipinfo` and `route` on `server`. */
export function registerPathTools(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'ipinfo',
    {
      title: 'Who owns an address',
      description:
        'What the hub knows of one IPv4 or IPv6 address: its ASN and AS organisation, country, city and coordinates (from the ' +
        "operator's MaxMind-format databases, the bundled ASN table or online providers), a special-range label (RFC1918, CGNAT, " +
        'DN42, ULA, documentation, …) and the covering prefix and origin AS of the BGP table. Use it on the hops of a path.',
      inputSchema: { address: z.string().trim().min(1).max(64).describe('An IPv4 or IPv6 address, e.g. "198.18.0.1" or "2001:db8::1".') },
      outputSchema: IpinfoOutput,
      annotations: { title: 'Who owns an address', ...annotations },
    },
    async (args, extra) => {
      let address: string;
      try {
        address = parseIpinfo([args.address]);
      } catch (err) {
        return failure(describeError(err).message);
      }
      const hub = ctx.hubFor(extra);
      if (!hub.ipinfo) return failure('ipinfo: this hub does not answer ipinfo');
      const signal = ctx.signal ? AbortSignal.any([extra.signal, ctx.signal]) : extra.signal;
      try {
        const a = await hub.ipinfo(address, { signal });
        const info = saneAddressInfo(a.info);
        const sources = Array.isArray(a.sources) ? a.sources.map(String).slice(0, 32) : [];
        const structured: IpinfoOutput = { address: a.address ?? address, info: info ?? null, sources };
        return { content: [{ type: 'text', text: formatIpinfo({ address: structured.address, sources, ...(info ? { info } : {}) }) }], structuredContent: structured };
      } catch (err) {
        return failure(describeError(err).message);
      }
    },
  );

  server.registerTool(
    'route',
    {
      title: 'BGP route lookup',
      description:
        "Looks routes up in the hub's BGP table (imported from MRT RIB dumps): give exactly one of `prefix` (that prefix, or the " +
        'longest covering one), `address` (longest-prefix match), `origin` (routes originated by an AS), `neighbor` (routes learnt ' +
        'from an AS, the first of the path) or `path` (ASNs that appear in a row in the AS path). Answers prefix, origin AS, AS path, ' +
        'next hop, the collector peer and the age of each route.',
      inputSchema: {
        prefix: z.string().trim().max(64).optional().describe('A prefix such as "198.18.0.0/15".'),
        address: z.string().trim().max(64).optional().describe('An address: the routes of the longest prefix covering it.'),
        origin: asnText.optional().describe('An AS number (64500 or "AS64500"): routes it originates.'),
        neighbor: asnText.optional().describe('An AS number: routes whose path starts with it (learnt from that neighbour).'),
        path: z.string().trim().max(200).optional().describe('AS numbers in a row, space-separated, e.g. "64496 64500".'),
        limit: z.number().int().min(1).max(RouteLimits.maxLimit).optional().describe(`At most this many routes (default ${RouteLimits.defaultLimit}).`),
      },
      outputSchema: RouteOutput,
      annotations: { title: 'BGP route lookup', ...annotations },
    },
    async (args, extra) => {
      const argv: Record<string, unknown> = {};
      for (const k of ['origin', 'neighbor', 'path', 'limit'] as const) if (args[k] !== undefined) argv[k] = args[k];
      const positionals = [args.prefix, args.address].filter((x): x is string => x !== undefined);
      let parsed: ReturnType<typeof parseRoute>;
      try {
        parsed = parseRoute(argv, positionals);
        if (args.address !== undefined && parsed.query.by !== 'address') return failure('route: address takes an address; use prefix for a prefix');
        if (args.prefix !== undefined && parsed.query.by === 'address') return failure('route: prefix takes a prefix such as 198.18.0.0/15; use address for an address');
      } catch (err) {
        return failure(describeError(err).message);
      }
      const hub = ctx.hubFor(extra);
      if (!hub.routes) return failure('route: this hub does not answer route');
      const signal = ctx.signal ? AbortSignal.any([extra.signal, ctx.signal]) : extra.signal;
      try {
        const { routes, done } = await hub.routes(parsed.query, parsed.limit, { signal });
        if (done && !done.table) return failure('route: no BGP table is loaded on this hub (MESHPROBE_MRT)');
        const structured: RouteOutput = {
          routes: routes.map((r) => ({
            prefix: String(r.prefix),
            originAs: typeof r.originAs === 'number' ? r.originAs : null,
            asPath: String(r.asPath ?? ''),
            nextHop: typeof r.nextHop === 'string' ? r.nextHop : null,
            peer: String(r.peer),
            peerAs: Number(r.peerAs) || 0,
            pathId: Number(r.pathId) || 0,
            originatedAt: String(r.originatedAt),
          })),
          truncated: done?.truncated ?? false,
          table: done?.table ? { ...done.table } : null,
        };
        return { content: [{ type: 'text', text: formatRoutes(structured.routes, done, Date.now()) }], structuredContent: structured };
      } catch (err) {
        return failure(describeError(err).message);
      }
    },
  );
}
