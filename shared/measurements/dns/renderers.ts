/** How a DNS query renders in every medium (shared/render/measurement-renderers.ts). */
import type { MeasurementRenderers } from '../../render/measurement-renderers.ts';
import { dnsHtml, dnsHtmlOverview } from './html.ts';
import { DnsOutput, dnsMcpFields, dnsMcpText } from './mcp.ts';
import { dnsText, dnsTextDone } from './text.ts';

/** The dns renderers. */
export const dnsRenderers: MeasurementRenderers = {
  text: dnsText,
  textDone: dnsTextDone,
  html: dnsHtml,
  htmlOverview: dnsHtmlOverview,
  outputSchema: DnsOutput,
  mcpFields: dnsMcpFields,
  mcpText: dnsMcpText,
};
