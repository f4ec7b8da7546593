/** How a sweep renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { probeHtml } from './html.ts';
import { ProbeOutput, probeMcpFields, probeMcpText } from './mcp.ts';
import { probeText } from './text.ts';

/** The sweep renderers. */
export const probeRenderers: MeasurementRenderers = {
  claims: (p) => p.hostsSeen > 0,
  text: probeText,
  html: probeHtml,
  outputSchema: ProbeOutput,
  mcpFields: probeMcpFields,
  mcpText: probeMcpText,
};
