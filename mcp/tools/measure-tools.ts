/**
 * The three measurement tools: ping, traceroute and probe (CIDR sweep). Each one turns its
 * arguments into a MeasurementSpec, streams it through the hub and answers with
 * structuredContent (checked against its outputSchema), a short text summary and, for
 * probe, the sweep bitmap as a PNG.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { Defaults } from '../../shared/model/spec.ts';
import type { MeasurementType } from '../../shared/model/spec.ts';
import { validateSpec } from '../../shared/model/validate-spec.ts';
import type { HubLike } from '../../shared/wire/hub-client.ts';
import { lenientInput, PingInput, ProbeInput, TracerouteInput } from '../input-schemas.ts';
import type { MeasurementResult } from '../measurement-result.ts';
import { PingOutput, ProbeOutput, TracerouteOutput } from '../output-schemas.ts';
import { runMeasurement } from '../run-measurement.ts';
import type { ToolExtra } from '../run-measurement.ts';
import { SweepCollector } from '../sweep-collector.ts';

/** What the tools need from the server that registers them. */
export interface ToolContext {
  /** The hub to use for this call (acting with the caller's credentials). */
  hubFor(extra: ToolExtra): HubLike;
  /** Also cancels every measurement of this server (stateless mode: see http.ts). */
  signal?: AbortSignal | undefined;
}

const annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;

/** Registers ping, traceroute and probe on `server`. */
export function registerMeasureTools(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'ping',
    {
      title: 'Ping',
      description:
        'Is a host up, and how fast and how reliably does it answer from a given place? Sends echo requests (ICMP by default, ' +
        'or UDP / a TCP handshake) from meshprobe agents and returns every reply with its round-trip time, timeouts, and ' +
        'statistics per agent×target (sent, received, loss %, min/avg/max/mdev, p50/p90/p99). Use several `from` agents to ' +
        'compare latency from different places. For the path to a host use traceroute; to find which addresses of a subnet are up use probe.',
      inputSchema: lenientInput(PingInput),
      outputSchema: PingOutput,
      annotations: { title: 'Ping', ...annotations },
    },
    (args, extra) => measure(ctx, extra, { ...args, type: 'ping' }, (r) => r.toPing(), { unitsPerPart: typeof args['count'] === 'number' ? args['count'] : Defaults.count }),
  );

  server.registerTool(
    'traceroute',
    {
      title: 'Traceroute',
      description:
        'Which routers does traffic cross on its way to a host, and where is it lost or delayed? Probes with increasing TTL ' +
        'from meshprobe agents and returns each hop with its responders (address, reverse DNS name, RTTs) and loss, and ' +
        'whether the destination was reached. For plain reachability and latency use ping.',
      inputSchema: lenientInput(TracerouteInput),
      outputSchema: TracerouteOutput,
      annotations: { title: 'Traceroute', ...annotations },
    },
    (args, extra) => measure(ctx, extra, { ...args, type: 'traceroute' }, (r) => r.toTraceroute()),
  );

  server.registerTool(
    'probe',
    {
      title: 'Sweep a subnet',
      description:
        'Which addresses of a subnet answer? Sweeps a CIDR prefix (e.g. 10.1.2.0/24) with ICMP echo requests from one ' +
        'meshprobe agent and returns the hosts that answered with their RTTs, the count up/total, and a bitmap image of ' +
        'the prefix (one cell per address, dark = silent, coloured by RTT). For one host use ping.',
      inputSchema: lenientInput(ProbeInput),
      outputSchema: ProbeOutput,
      annotations: { title: 'Sweep a subnet', ...annotations },
    },
    (args, extra) => {
      const sweep = new SweepCollector();
      return measure(ctx, extra, { ...args, type: 'probe' }, (r) => r.toProbe(), {
        onEvent: (e) => sweep.add(e),
        images: () => sweep.images().map((png) => ({ type: 'image', data: Buffer.from(png.data).toString('base64'), mimeType: 'image/png' })),
      });
    },
  );
}

/** What differs between the tools besides the spec and the output shape. */
interface MeasureExtras {
  /** Expected units of work per agent×target, for progress totals (ping: count). */
  unitsPerPart?: number;
  onEvent?: (e: MeasurementEvent) => void;
  /** Content appended after the text summary on success (probe: the sweep PNGs). */
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
