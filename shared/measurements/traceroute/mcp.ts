/**
 * A traceroute as an MCP tool answers it: per part every hop (responders with address, name,
 * RTTs, annotation; loss) and whether the destination answered; in text one traceroute line
 * per hop with its loss.
 */
import { z } from 'zod';
import { formatLossShort } from '../../render/format.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import { measurementOutput } from '../../render/mcp-output.ts';
import { hopLine } from './text.ts';

/** structuredContent of the `traceroute` tool. */
export const TracerouteOutput = measurementOutput('traceroute', {
  hops: z.array(
    z.object({
      ttl: z.number().int(),
      responders: z.array(
        z.object({
          address: z.string(),
          name: z.string().optional(),
          rttsMs: z.array(z.number()),
          annotation: z.string().optional(),
        }),
      ),
      sent: z.number().int(),
      received: z.number().int(),
      lossPct: z.number(),
    }),
  ),
  reached: z.boolean().nullable().describe('Whether the destination answered'),
});
export type TracerouteOutput = z.infer<typeof TracerouteOutput>;

const sortedHops = (p: FoldPart) => [...p.hops.values()].sort((a, b) => a.ttl - b.ttl);

/** The traceroute fields of a part. */
export function tracerouteMcpFields(p: FoldPart): Record<string, unknown> {
  return {
    hops: sortedHops(p).map((e) => ({
      ttl: e.ttl,
      responders: e.responders.map((r) => ({
        address: r.address,
        rttsMs: r.rttsMs,
        ...(r.name !== undefined ? { name: r.name } : {}),
        ...(r.annotation !== undefined ? { annotation: r.annotation } : {}),
      })),
      sent: e.sent,
      received: e.received,
      lossPct: e.lossPct,
    })),
    reached: p.summary?.reached ?? null,
  };
}

/** The text of a traceroute part: reached or not, then one line per hop. */
export function tracerouteMcpText(who: string, p: FoldPart): string[] {
  const hops = sortedHops(p);
  const s = p.summary;
  const state = !s ? 'interrupted' : s.reached === true ? 'reached' : s.reached === false ? 'not reached' : 'done';
  const out = [`${who}: ${state}, ${hops.length} hop${hops.length === 1 ? '' : 's'}`];
  // The hop as the text renderer prints it, names and annotations kept, then the hop's loss.
  for (const h of hops) {
    const responders = h.responders.map((r) => ({
      address: r.address,
      rttsMs: r.rttsMs,
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.annotation !== undefined ? { annotation: r.annotation } : {}),
    }));
    out.push(`  ${hopLine({ ...h, responders })}  (loss ${formatLossShort(h.lossPct)})`);
  }
  return out;
}
