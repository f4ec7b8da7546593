/**
 * The tools' `outputSchema`s (zod; the SDK publishes them as JSON Schema in tools/list and
 * checks every `structuredContent` against them before it leaves the server). A measurement
 * tool's schema is its type's (shared/measurements/<type>/mcp.ts), found by `outputSchemaOf`
 * (shared/render/renderers-by-type.ts); this file holds the others'.
 */
import { z } from 'zod';


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
      capabilities: z.array(z.string()),
      version: z.string(),
    }),
  ),
  hub: z.object({ name: z.string(), version: z.string(), api: z.number() }).nullable(),
});

export type ListAgentsOutput = z.infer<typeof ListAgentsOutput>;
