/** How an HTTP request renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { httpHtml, httpHtmlOverview } from './html.ts';
import { HttpOutput, httpMcpFields, httpMcpText } from './mcp.ts';
import { httpText, httpTextDone } from './text.ts';

/** The http renderers. */
export const httpRenderers: MeasurementRenderers = {
  text: httpText,
  textDone: httpTextDone,
  html: httpHtml,
  htmlOverview: httpHtmlOverview,
  outputSchema: HttpOutput,
  mcpFields: httpMcpFields,
  mcpText: httpMcpText,
};
