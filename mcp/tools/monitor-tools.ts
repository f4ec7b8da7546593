/**
 * The monitor tools — monitor_add, monitor_list, monitor_show, monitor_remove — the `monitor`
 * command of the other front-ends for models. Arguments are checked by the shared grammar's
 * monitor rules (shared/command/monitor-command.ts), so a model gets the same one-line refusals
 * as a person; the hub's refusals (policy, caps naming the cap) come back as isError results.
 * monitor_show answers with the statistics as text and the heatmap as image content.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { answerMonitorCommand, hubMonitorBackend } from '../../shared/command/monitor-answer.ts';
import { parseMonitorCommand, type MonitorCommand } from '../../shared/command/monitor-command.ts';
import { describeError } from '../../shared/model/errors.ts';
import { MonitorAddInput, MonitorAddOutput, MonitorListOutput, MonitorRemoveInput, MonitorRemoveOutput, MonitorShowInput, MonitorShowOutput } from '../monitor-schemas.ts';
import type { ToolExtra } from '../run-measurement.ts';
import type { ToolContext } from './measure-tools.ts';

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Runs `build()` (the grammar's checks) and the command; every failure is an isError result with one line. */
async function run(ctx: ToolContext, extra: ToolExtra, build: () => MonitorCommand, shape: (data: unknown) => Record<string, unknown>): Promise<CallToolResult> {
  let cmd: MonitorCommand;
  try {
    cmd = build();
  } catch (err) {
    return failure(describeError(err).message);
  }
  const signal = ctx.signal ? AbortSignal.any([extra.signal, ctx.signal]) : extra.signal;
  try {
    const answer = await answerMonitorCommand(cmd, hubMonitorBackend(ctx.hubFor(extra), { signal }), { pictures: true });
    const content: CallToolResult['content'] = [{ type: 'text', text: answer.text }];
    if (answer.heatmap) content.push({ type: 'image', data: Buffer.from(answer.heatmap).toString('base64'), mimeType: 'image/png' });
    return { content, structuredContent: shape(answer.data) };
  } catch (err) {
    return failure(describeError(err).message);
  }
}

/** A tool argument as the grammar's argv has it (durations as text, as typed). */
function arg(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

/** Registers the four monitor tools on `server`. */
export function registerMonitorTools(server: McpServer, ctx: ToolContext): void {
  server.registerTool(
    'monitor_add',
    {
      title: 'Add a monitor',
      description:
        'Watch a target continuously from meshprobe agents (like meshping): a probe every interval from every capable agent (or those in `from`), ' +
        'latency histograms, loss, averages over 15 min/6 h/24 h, optional route watch and alert rules. The monitor keeps running after this call; ' +
        'read it with monitor_show and monitor_list, stop it with monitor_remove.',
      inputSchema: MonitorAddInput,
      outputSchema: MonitorAddOutput,
      annotations: { title: 'Add a monitor', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      run(
        ctx,
        extra,
        () => {
          const argv: Record<string, unknown> = {};
          if (args.from) argv['from'] = args.from;
          if (args.interval !== undefined) argv['interval'] = arg(args.interval);
          if (args.name !== undefined) argv['name'] = args.name;
          if (args.trace !== undefined) argv['trace'] = arg(args.trace);
          if (args.alert) argv['alert'] = args.alert;
          if (args.paused) argv['paused'] = true;
          return parseMonitorCommand(argv, ['add', args.target]);
        },
        (data) => ({ monitor: data }),
      ),
  );
  server.registerTool(
    'monitor_list',
    {
      title: 'List monitors',
      description: "Your monitors with their statistics per agent: meshping's table (sent, received, success, loss, min, avg 15m/6h/24h, max, last; times in ms).",
      inputSchema: {},
      outputSchema: MonitorListOutput,
      annotations: { title: 'List monitors', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (_args, extra) => run(ctx, extra, () => ({ action: 'list' }), (data) => data as Record<string, unknown>),
  );
  server.registerTool(
    'monitor_show',
    {
      title: 'Show a monitor',
      description:
        'One monitor over a time range (default 24h): statistics per agent with p50/p95/p99, the alerts holding, route and address changes, ' +
        'and its latency heatmap as an image (time across, latency up, count as colour, loss strip).',
      inputSchema: MonitorShowInput,
      outputSchema: MonitorShowOutput,
      annotations: { title: 'Show a monitor', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    (args, extra) =>
      run(
        ctx,
        extra,
        () => {
          const argv: Record<string, unknown> = {};
          if (args.range !== undefined) argv['range'] = arg(args.range);
          if (args.agent !== undefined) argv['from'] = args.agent;
          return parseMonitorCommand(argv, ['show', String(args.monitor)]);
        },
        (data) => ({ monitor: data }),
      ),
  );
  server.registerTool(
    'monitor_remove',
    {
      title: 'Remove a monitor',
      description: 'Stops a monitor on every agent and deletes it with its history.',
      inputSchema: MonitorRemoveInput,
      outputSchema: MonitorRemoveOutput,
      annotations: { title: 'Remove a monitor', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args, extra) => run(ctx, extra, () => parseMonitorCommand({}, ['rm', String(args.monitor)]), (data) => ({ removed: data })),
  );
}
