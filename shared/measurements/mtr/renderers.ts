/** How an mtr run renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { mtrHtml } from './html.ts';
import { MtrOutput, mtrMcpFields, mtrMcpText } from './mcp.ts';
import { mtrLiveLines, mtrText } from './text.ts';

/** The mtr renderers. */
export const mtrRenderers: MeasurementRenderers = {
  // Hop events with a round are mtr's; single traces carry none.
  claims: (p) => [...p.hops.values()].some((h) => h.round !== undefined),
  text: mtrText,
  live: mtrLiveLines,
  html: mtrHtml,
  outputSchema: MtrOutput,
  mcpFields: mtrMcpFields,
  mcpText: mtrMcpText,
};
