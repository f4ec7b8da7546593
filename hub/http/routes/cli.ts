/**
 * `POST /v1/cli`: one command line of the shared grammar in (text/plain), the rendered text out,
 * streamed as the measurement runs. The same text the terminal CLI prints.
 */
import { monitorRefusal } from '../monitor-refusal.ts';
import { ErrorCode, HttpError } from '../../../shared/model/errors.ts';
import { parseCommand, rendererOptions } from '../../../shared/command/grammar.ts';
import { ndjsonLine } from '../../../shared/wire/ndjson.ts';
import { TextRenderer } from '../../../shared/render/text-renderer.ts';
import { readBody, sendText } from '../http-io.ts';
import { formatAgentList, formatVersion } from '../../../shared/render/agent-list.ts';
import { VERSION_INFO } from '../version-info.ts';
import { admitted, streamMeasurement } from './measurements.ts';
import type { HubRoute, RouteContext } from '../route.ts';
import type { MonitorCommand } from '../../../shared/command/monitor-command.ts';
import { answerMonitorCommand, type MonitorBackend } from '../../../shared/command/monitor-answer.ts';
import { ipinfoAnswer, routesAnswer } from './path-info.ts';
import { formatIpinfo, formatRoutes, type BgpRouteLine } from '../../../shared/render/path-info-text.ts';

export const cliRoute: HubRoute = {
  name: 'cli',
  methods: ['POST'],
  path: '/v1/cli',
  errorFormat: 'text',
  async handle(ctx) {
    const body = await readBody(ctx.req, ctx.hub.maxBodyBytes);
    const line = commandLine(body.toString('utf8'));
    const parsed = parseCommand(line);
    if (!parsed.ok) {
      // The reason on the first line, then the usage: what a terminal user expects to see.
      sendText(ctx.res, 400, `${parsed.message}\n${parsed.usage.replace(/\n*$/, '\n')}`);
      return;
    }
    switch (parsed.command) {
      case 'help':
        sendText(ctx.res, 200, parsed.text.replace(/\n*$/, '\n'));
        return;
      case 'version':
        sendText(ctx.res, 200, parsed.json ? ndjsonLine(VERSION_INFO) : formatVersion(VERSION_INFO, ctx.hub.registry.list()));
        return;
      case 'list':
        sendText(ctx.res, 200, parsed.json ? ndjsonLine({ agents: ctx.hub.registry.list() }) : formatAgentList(ctx.hub.registry.list()));
        return;
      case 'token':
        // A plain-text line cannot carry a subject, and minting needs admin or token:create;
        // say where tokens come from instead (docs/operations.md).
        sendText(ctx.res, 400, 'token: tokens come from POST /v1/tokens (admin or token:create scope), `meshprobe token create --sub SUBJECT --scope measure` on the hub\'s machine, or /token in the Telegram bot\n');
        return;
      case 'monitor':
        await monitorCommand(ctx, parsed.monitor, parsed.json, line);
        return;
      case 'ipinfo': {
        const a = await ipinfoAnswer(ctx.hub, parsed.address);
        sendText(ctx.res, 200, parsed.json ? ndjsonLine(a) : formatIpinfo(a));
        return;
      }
      case 'route': {
        const r = routesAnswer(ctx.hub, parsed.query, parsed.limit);
        const lines = r.routes.map((x) => ndjsonLine({ type: 'route', ...x })).join('') + ndjsonLine({ type: 'done', ...r.done });
        sendText(ctx.res, 200, parsed.json ? lines : formatRoutes(r.routes as BgpRouteLine[], r.done, Date.now()));
        return;
      }
      default: {
        const spec = await admitted(ctx, parsed.spec);
        if (!spec) return;
        if (parsed.json) {
          await streamMeasurement(ctx, spec, { contentType: 'application/x-ndjson; charset=utf-8', render: (e) => ndjsonLine(e) });
          return;
        }
        const selected = ctx.hub.registry.select(spec.from, spec.limit, spec.type).agents.length;
        const renderer = new TextRenderer({ multiAgent: selected > 1, multiTarget: spec.targets.length > 1, ...rendererOptions(parsed.display, () => performance.timeOrigin + performance.now()) });
        await streamMeasurement(ctx, spec, { contentType: 'text/plain; charset=utf-8', render: (e) => renderer.push(e) });
      }
    }
  },
};

/** `monitor …`: the hub's MonitorApi, acting for the request's principal; the answer as the CLI prints it. */
async function monitorCommand(ctx: RouteContext, cmd: MonitorCommand, json: boolean, line: string): Promise<void> {
  const api = ctx.hub.monitors;
  if (!api) throw new HttpError(503, ErrorCode.Store, 'monitor: this hub runs without a monitor store');
  const who = ctx.principal;
  // The API is synchronous; async wrappers give the shared answer code the backend it expects.
  const backend: MonitorBackend = {
    create: async (r) => api.create(who, r),
    list: async () => api.list(who),
    show: async (ref, rangeMs) => api.show(who, ref, rangeMs),
    update: async (ref, patch) => api.update(who, ref, patch),
    remove: async (ref) => api.remove(who, ref),
  };
  try {
    const answer = await answerMonitorCommand(cmd, backend, { line });
    sendText(ctx.res, 200, json ? `${JSON.stringify(answer.data)}\n` : answer.text);
  } catch (err) {
    throw monitorRefusal(err);
  }
}

/** The body is one command line; a trailing newline (curl --data-binary, echo |) is tolerated. */
function commandLine(text: string): string {
  const lines = text.replace(/\r/g, '').split('\n').filter((l) => l.trim() !== '');
  if (lines.length > 1) throw new HttpError(400, ErrorCode.BadRequest, 'send one command line per request');
  return lines[0] ?? '';
}
