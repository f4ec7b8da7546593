/** How a traceroute renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { tracerouteHtml } from './html.ts';
import { TracerouteOutput, tracerouteMcpFields, tracerouteMcpText } from './mcp.ts';
import { tracerouteText } from './text.ts';

/** The traceroute renderers. */
export const tracerouteRenderers: MeasurementRenderers = {
  claims: (p) => p.hops.size > 0,
  text: tracerouteText,
  html: tracerouteHtml,
  outputSchema: TracerouteOutput,
  mcpFields: tracerouteMcpFields,
  mcpText: tracerouteMcpText,
};
