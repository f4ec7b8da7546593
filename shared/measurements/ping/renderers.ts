/** How a ping renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { pingHtml, pingHtmlOverview } from './html.ts';
import { PingOutput, pingMcpFields, pingMcpText } from './mcp.ts';
import { pingText, pingTextDone } from './text.ts';

/** The ping renderers. */
export const pingRenderers: MeasurementRenderers = {
  text: pingText,
  textDone: pingTextDone,
  html: pingHtml,
  htmlOverview: pingHtmlOverview,
  outputSchema: PingOutput,
  mcpFields: pingMcpFields,
  mcpText: pingMcpText,
};
