/**
 * A sweep as an MCP tool answers it: per part the hosts up of total and the answering hosts
 * (up to a cap); in text the count and every listed host as compact ranges.
 */
import { z } from 'zod';
import { compactAddresses } from '../../render/compact-addresses.ts';
import { fmtMs } from '../../render/fmt-ms.ts';
import type { FoldPart } from '../../render/measurement-fold.ts';
import type { McpCaps } from '../../render/measurement-renderers.ts';
import { measurementOutput } from '../../render/mcp-output.ts';
import { unreachableGroups } from './text.ts';

/** structuredContent of the `probe` tool. */
export const ProbeOutput = measurementOutput('probe', {
  hostsUp: z.number().int(),
  hostsTotal: z.number().int(),
  up: z.array(z.object({ address: z.string(), rttMs: z.number() })).describe('Hosts that answered, in address order'),
  upOmitted: z.number().int().describe('Answering hosts left out of `up` to keep it short'),
  hostsUnreachable: z.number().int().describe('Hosts that did not answer and for which an ICMP destination unreachable came back (the others were silent)'),
});
export type ProbeOutput = z.infer<typeof ProbeOutput>;

/** The sweep fields of a part. */
export function probeMcpFields(p: FoldPart, caps: McpCaps): Record<string, unknown> {
  const up = p.up.slice(0, caps.maxHosts);
  return {
    hostsUp: p.summary?.hostsUp ?? p.upCount,
    hostsTotal: p.summary?.hostsTotal ?? p.hostsSeen,
    up,
    upOmitted: Math.max(0, p.upCount - up.length),
    hostsUnreachable: p.unreachableCount,
  };
}

/** The text of a sweep part: hosts up of total, then every listed live host as ranges. */
export function probeMcpText(who: string, p: FoldPart, caps: McpCaps): string[] {
  const s = p.summary;
  const upCount = s?.hostsUp ?? p.upCount;
  const total = s?.hostsTotal ?? p.hostsSeen;
  const rtt = s && s.avgMs !== null ? `, rtt min/avg/max ${fmtMs(s.minMs)}/${fmtMs(s.avgMs)}/${fmtMs(s.maxMs)} ms` : '';
  const out = [`${who}: ${upCount} of ${total} hosts up${rtt}${s ? '' : ' (interrupted)'}`];
  const up = p.up.slice(0, caps.maxHosts);
  if (up.length) out.push(...compactAddresses(up.map((h) => h.address), 100).map((l) => `  ${l}`));
  const omitted = Math.max(0, p.upCount - up.length);
  if (omitted) out.push(`  … and ${omitted} more up (not listed)`);
  if (p.unreachableCount) {
    out.push(`  ${p.unreachableCount} unreachable:`);
    for (const [why, addresses] of unreachableGroups(p)) out.push(`    ${why}: ${compactAddresses(addresses, 100).join(' ')}`);
  }
  return out;
}
