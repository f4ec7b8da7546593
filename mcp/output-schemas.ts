/**
 * The tools' `outputSchema`s (zod; the SDK publishes them as JSON Schema in tools/list and
 * checks every `structuredContent` against them before it leaves the server). A measurement
 * tool's schema is its type's (shared/measurements/<type>/mcp.ts), found by `outputSchemaOf`
 * (shared/render/renderers-by-type.ts); this file holds the others'.
 */
import { z } from 'zod';
import { AddressInfoSchema } from '../shared/net/address-info.ts';


/** structuredContent of the `list_agents` tool. */
export const ListAgentsOutput = z.object({
  agents: z.array(
    z.object({
      name: z.string(),
      country: z.string().optional(),
      city: z.string().optional(),
      asn: z.number().optional(),
      isp: z.string().optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      /** What the hub's enrichment knows of the address the agent connected from. */
      info: AddressInfoSchema.optional(),
      capabilities: z.array(z.string()),
      version: z.string(),
    }),
  ),
  hub: z.object({ name: z.string(), version: z.string(), api: z.number() }).nullable(),
});

export type ListAgentsOutput = z.infer<typeof ListAgentsOutput>;

/** structuredContent of the `ipinfo` tool (shared/net/address-info.ts's AddressInfo; null when nothing is known). */
export const IpinfoOutput = z.object({
  address: z.string(),
  info: AddressInfoSchema.nullable(),
  sources: z.array(z.string()),
});

export type IpinfoOutput = z.infer<typeof IpinfoOutput>;

/** structuredContent of the `route` tool: the routes as GET /v1/routes streams them. */
export const RouteOutput = z.object({
  routes: z.array(
    z.object({
      prefix: z.string(),
      originAs: z.number().nullable(),
      asPath: z.string(),
      nextHop: z.string().nullable(),
      peer: z.string(),
      peerAs: z.number(),
      pathId: z.number(),
      originatedAt: z.string(),
    }),
  ),
  truncated: z.boolean(),
  table: z.object({ routes: z.number(), prefixes: z.number(), peers: z.number(), dumpedAt: z.number().nullable() }).nullable(),
});

export type RouteOutput = z.infer<typeof RouteOutput>;
