/**
 * The measurement tools, one per type of the registry (shared/registry.ts). Each one turns its
 * arguments into a MeasurementSpec, streams it through the hub and answers with
 * structuredContent (checked against its outputSchema), a short text summary and, for a
 * sweep, the bitmap as a PNG.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { measurementTypes, type MeasurementType, type MeasurementTypeDef } from '../../shared/registry.ts';
import { validateSpec } from '../../shared/model/validate-spec.ts';
import type { HubLike } from '../../shared/wire/hub-client.ts';
import { lenientInput, measurementInput } from '../input-schemas.ts';
import type { MeasurementResult } from '../measurement-result.ts';
import { outputSchemaOf } from '../../shared/render/renderers-by-type.ts';
import { runMeasurement } from '../run-measurement.ts';
import type { ToolExtra } from '../run-measurement.ts';
import { SweepCollector } from '../sweep-collector.ts';
import { PathCollector } from '../path-collector.ts';

/** What the tools need from the server that registers them. */
export interface ToolContext {
  /** The hub to use for this call (acting with the caller's credentials). */
  hubFor(extra: ToolExtra): HubLike;
  /** Also cancels every measurement of this server (stateless mode: see http.ts). */
  signal?: AbortSignal | undefined;
}

const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;

/**
 * What a call appends to its text: the pictures of the parts that draw as a bitmap (the
 * collector keeps only the parts whose events fill a sweep grid, so other types add nothing),
 * and the path picture of each target traced from several agents, after a line saying where
 * the paths join (parts without hops add nothing).
 */
function pictures(): Pick<MeasureExtras, 'onEvent' | 'images'> {
  const sweep = new SweepCollector();
  const paths = new PathCollector();
  return {
    onEvent: (e) => {
      sweep.add(e);
      paths.add(e);
    },
    images: () => [
      ...sweep.images().map((png) => ({ type: 'image' as const, data: Buffer.from(png.data).toString('base64'), mimeType: 'image/png' })),
      ...paths.images().flatMap((p) => [
        { type: 'text' as const, text: `paths to ${p.target}: ${p.facts}` },
        { type: 'image' as const, data: Buffer.from(p.data).toString('base64'), mimeType: 'image/png' },
      ]),
    ],
  };
}

/** Registers one tool per measurement type of the registry (shared/registry.ts) on `server`. */
export function registerMeasureTools(server: McpServer, ctx: ToolContext): void {
  for (const type of measurementTypes()) {
    server.registerTool(
      type.name,
      {
        title: type.tool.title,
        description: description(type),
        inputSchema: lenientInput(measurementInput(type)),
        outputSchema: outputSchemaOf(type.name),
        annotations: { title: type.tool.title, ...annotations },
      },
      (args, extra) => {
        const units = type.tool.unitsPerPart?.(args);
        return measure(ctx, extra, { ...args, type: type.name }, (r) => r.structured(), { ...(units !== undefined ? { unitsPerPart: units } : {}), ...pictures() });
      },
    );
  }
}

/** The type's tool description, with the other types' referrals when it lists them. */
function description(type: MeasurementTypeDef): string {
  if (!type.tool.listsReferrals) return type.tool.description;
  const referrals = measurementTypes().filter((t) => t !== type && t.tool.referral).map((t) => t.tool.referral!);
  if (referrals.length === 0) return type.tool.description;
  const text = referrals.join('; ');
  return `${type.tool.description} ${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** What differs between the tools besides the spec and the output shape. */
interface MeasureExtras {
  /** Expected units of work per agent×target, for progress totals (ping: count). */
  unitsPerPart?: number;
  onEvent?: (e: MeasurementEvent) => void;
  /** Content appended after the text summary on success (the sweep pictures). */
  images?: () => CallToolResult['content'];
}

/** Runs the measurement and answers with `output(result)` as structuredContent, or an isError result. */
async function measure(
  ctx: ToolContext,
  extra: ToolExtra,
  args: Record<string, unknown> & { type: MeasurementType },
  output: (r: MeasurementResult) => Record<string, unknown>,
  more: MeasureExtras = {},
): Promise<CallToolResult> {
  // The one validation path (shared/model/validate-spec.ts): the same one-line refusal as the CLI,
  // /v1/cli and POST /v1/measurements give.
  const checked = validateSpec(compact(args));
  if (!checked.ok) return failure(checked.message);
  const spec = checked.spec;
  const outcome = await runMeasurement({
    hub: ctx.hubFor(extra),
    spec,
    extra,
    signal: ctx.signal,
    unitsPerPart: more.unitsPerPart,
    ...(more.onEvent ? { onEvent: more.onEvent } : {}),
  });
  if (!outcome.ok) return failure(outcome.message);
  const r = outcome.result;
  // Nothing measured at all: every part failed (bad name, policy refusal, no agent). The model
  // gets the same one-line reasons the other front-ends print, flagged as an error.
  if (!r.anySucceeded && r.errors.length > 0) {
    return failure([...new Set(r.errors.map((e) => e.message))].join('\n'));
  }
  return { content: [{ type: 'text', text: r.text() }, ...(more.images?.() ?? [])], structuredContent: output(r) };
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Drops undefined fields: absent and undefined are the same to a tool's caller. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
