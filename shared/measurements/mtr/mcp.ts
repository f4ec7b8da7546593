/**
 * mtr as an MCP tool answers it: per part one row per hop (responders, Loss %, Snt and the RTT
 * columns, the rate-limited flag) and in text the `mtr -r` table.
 */
import { z } from 'zod';
import type { FoldPart } from '../../render/measurement-fold.ts';
import { measurementOutput } from '../../render/mcp-output.ts';
import { mtrReportLines } from './text.ts';
import { currentMtrHops } from './mtr-stats.ts';

const info = z
  .object({
    asn: z.number().int().optional(),
    asName: z.string().optional(),
    country: z.string().optional(),
    city: z.string().optional(),
    label: z.string().optional(),
    prefix: z.string().optional(),
    originAsn: z.number().int().optional(),
  })
  .optional();

/** structuredContent of the `mtr` tool. */
export const MtrOutput = measurementOutput('mtr', {
  hops: z.array(
    z.object({
      ttl: z.number().int(),
      responders: z.array(z.object({ address: z.string(), name: z.string().optional(), replies: z.number().int().optional(), info })),
      sent: z.number().int().describe('Snt: probes whose fate is known'),
      lossPct: z.number(),
      lastMs: z.number().nullable(),
      avgMs: z.number().nullable(),
      bestMs: z.number().nullable(),
      worstMs: z.number().nullable(),
      stdevMs: z.number().nullable(),
      rateLimited: z.boolean().describe('Loss here does not carry on to later hops: the router limits its answers'),
    }),
  ),
});

/** The mtr fields of a part. */
export function mtrMcpFields(p: FoldPart): Record<string, unknown> {
  return {
    hops: currentMtrHops(p.hops).map((h) => ({
        ttl: h.ttl,
        responders: h.responders.map((r) => ({
          address: r.address,
          ...(r.name !== undefined ? { name: r.name } : {}),
          ...(r.replies !== undefined ? { replies: r.replies } : {}),
          ...(r.info !== undefined ? { info: { ...r.info } } : {}),
        })),
        sent: h.sent,
        lossPct: h.lossPct,
        lastMs: h.rtt?.lastMs ?? null,
        avgMs: h.rtt?.avgMs ?? null,
        bestMs: h.rtt?.bestMs ?? null,
        worstMs: h.rtt?.worstMs ?? null,
        stdevMs: h.rtt?.stdevMs ?? null,
        rateLimited: h.rateLimited === true,
      })),
  };
}

/** The text of an mtr part: the report table. */
export function mtrMcpText(who: string, p: FoldPart): string[] {
  return [`${who}: ${p.summary ? 'done' : 'interrupted'}`, ...mtrReportLines(p).map((l) => `  ${l}`)];
}
