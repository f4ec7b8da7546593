/**
 * The renderers of every measurement type, by type: the one place the generic renderers (text,
 * HTML, MCP) learn which types exist. Adding a type adds its folder and one line here.
 */
import type { MeasurementType } from '../registry.ts';
import { dnsRenderers } from '../measurements/dns/renderers.ts';
import { httpRenderers } from '../measurements/http/renderers.ts';
import { pingRenderers } from '../measurements/ping/renderers.ts';
import { probeRenderers } from '../measurements/probe/renderers.ts';
import { tracerouteRenderers } from '../measurements/traceroute/renderers.ts';
import { mtrRenderers } from '../measurements/mtr/renderers.ts';
import type { FoldPart } from './measurement-fold.ts';
import type { MeasurementRenderers } from './measurement-renderers.ts';

/** Each type's renderers; the first entry is the fallback for a part nothing else claims. */
export const renderersByType: Readonly<Record<MeasurementType, MeasurementRenderers>> = {
  ping: pingRenderers,
  traceroute: tracerouteRenderers,
  probe: probeRenderers,
  mtr: mtrRenderers,
  dns: dnsRenderers,
  http: httpRenderers,
};

const FALLBACK = Object.keys(renderersByType)[0] as MeasurementType;

/**
 * The type of a part: its start's or summary's, else the type that claims what it holds (hops,
 * hosts), else the fallback (the first type).
 */
export function typeOfPart(p: FoldPart): MeasurementType {
  const m = p.start?.measurement ?? p.summary?.measurement;
  if (m) return m;
  for (const [type, r] of Object.entries(renderersByType) as [MeasurementType, MeasurementRenderers][]) {
    if (r.claims?.(p)) return type;
  }
  return FALLBACK;
}

/** The outputSchema of a type's MCP tool. */
export function outputSchemaOf(type: MeasurementType): MeasurementRenderers['outputSchema'] {
  return renderersByType[type].outputSchema;
}
