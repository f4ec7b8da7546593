/**
 * What every front-end does with a parsed `monitor …` command: make the call (through a
 * {@link MonitorBackend}: the hub client's REST calls in the CLI, bots and MCP, the hub's own
 * MonitorApi in POST /v1/cli) and render the answer in every shape a medium may want — a wide
 * table for terminals, a compact one for phones, HTML for mail, the heatmap PNG for `show`.
 * Runtime-neutral: the I/O is the backend the caller passes.
 */
import { formatDuration } from '../model/duration.ts';
import { describeError } from '../model/errors.ts';
import type { MonitorCreateRequest, MonitorDetail, MonitorView } from '../model/monitor-types.ts';
import { formatMonitorCompact } from '../render/monitor-compact.ts';
import { formatMonitorCaption, formatMonitorDetail, monitorTitle } from '../render/monitor-detail.ts';
import { safeMonitor } from '../render/monitor-format.ts';
import { formatMonitorDetailHtml, formatMonitorListHtml } from '../render/monitor-html.ts';
import { formatMonitorTable } from '../render/monitor-table.ts';
import { renderHtmlText } from '../render/html-style.ts';
import type { HubCallOptions, MonitorHeatmapQuery, MonitorHubLike, MonitorPatch } from '../wire/hub-client.ts';
import type { MonitorCommand } from './monitor-command.ts';

/** The monitor calls a front-end makes, whoever serves them. Errors are MeshprobeErrors with the hub's reason. */
export interface MonitorBackend {
  create(request: MonitorCreateRequest): Promise<MonitorView>;
  list(): Promise<MonitorView[]>;
  show(ref: string, rangeMs?: number): Promise<MonitorDetail>;
  update(ref: string, patch: MonitorPatch): Promise<MonitorView>;
  remove(ref: string): Promise<{ id: number; name: string }>;
  /** The heatmap as PNG bytes; absent where no picture can be shown. */
  heatmap?(ref: string, q: MonitorHeatmapQuery): Promise<Uint8Array>;
}

/** The hub client's monitor calls as a backend (`options`: the signal, the user acted for). */
export function hubMonitorBackend(hub: MonitorHubLike, options: HubCallOptions = {}): MonitorBackend {
  return {
    create: (r) => hub.createMonitor(r, options),
    list: () => hub.listMonitors(options),
    show: (ref, rangeMs) => hub.showMonitor(ref, rangeMs, options),
    update: (ref, patch) => hub.updateMonitor(ref, patch, options),
    remove: (ref) => hub.removeMonitor(ref, options),
    heatmap: (ref, q) => hub.monitorHeatmap(ref, q, options),
  };
}

/** Options of {@link answerMonitorCommand}. */
export interface MonitorAnswerOptions {
  /** The command line as the user wrote it: the heading of the HTML answer. Default none. */
  line?: string;
  /** Where this monitor's alerts go (the chat or mail address the `add` came from). */
  notify?: MonitorCreateRequest['notify'];
  /** Fetch the heatmap for `show` (media that show pictures). Default false. */
  pictures?: boolean;
  /** Colour the Loss column of the terminal table with ANSI escapes. Default false. */
  ansi?: boolean;
}

/** The answer in every shape; a front-end sends the ones its medium shows. */
export interface MonitorAnswer {
  action: MonitorCommand['action'];
  /** The hub's answer as it came (for --json and MCP structured content). */
  data: unknown;
  /** For terminals: meshping's wide table for `list`. */
  text: string;
  /** For phones: lines of at most 36 columns (names and addresses aside). */
  compact: string;
  /** An HTML document for email. */
  html: string;
  /** `show` with pictures: the heatmap PNG, and the caption that goes with it. */
  heatmap?: Uint8Array;
  caption?: string;
  /** `show` with pictures when the heatmap could not be had: why, in one line. */
  heatmapProblem?: string;
}

function simple(action: MonitorCommand['action'], data: unknown, text: string, line: string | undefined): MonitorAnswer {
  const t = text.replace(/\n*$/, '\n');
  return { action, data, text: t, compact: text.replace(/\n+$/, ''), html: renderHtmlText(t, line ? { command: line } : {}) };
}

function added(v: MonitorView): string {
  const m = safeMonitor(v);
  const every = m.intervalMs !== null ? ` every ${formatDuration(m.intervalMs)}` : '';
  const where = m.agents.length ? `from ${m.agents.join(', ')}` : m.paused ? 'paused' : 'no agent runs it yet';
  return `added monitor ${monitorTitle(m)}: probes ${m.probe}${every}, ${where}\nsee it with: monitor show ${m.id ?? m.name}`;
}

/**
 * Runs `cmd` against `backend` and renders the answer. Throws what the backend throws (a
 * MeshprobeError with the hub's one-line reason); the front-end shows its message.
 */
export async function answerMonitorCommand(cmd: MonitorCommand, backend: MonitorBackend, o: MonitorAnswerOptions = {}): Promise<MonitorAnswer> {
  switch (cmd.action) {
    case 'add': {
      const request = o.notify && !cmd.request.notify ? { ...cmd.request, notify: o.notify } : cmd.request;
      const v = await backend.create(request);
      return simple('add', v, added(v), o.line);
    }
    case 'rm': {
      const r = await backend.remove(cmd.ref);
      return simple('rm', r, `removed monitor ${monitorTitle(safeMonitor(r))}`, o.line);
    }
    case 'pause':
    case 'resume': {
      const v = await backend.update(cmd.ref, { paused: cmd.action === 'pause' });
      return simple(cmd.action, v, `${cmd.action === 'pause' ? 'paused' : 'resumed'} monitor ${monitorTitle(safeMonitor(v))}`, o.line);
    }
    case 'list': {
      const list = await backend.list();
      return {
        action: 'list',
        data: { monitors: list },
        text: formatMonitorTable(list, { ansi: o.ansi === true }),
        compact: formatMonitorCompact(list),
        html: formatMonitorListHtml(list, o.line ?? ''),
      };
    }
    case 'show':
      return show(cmd, backend, o);
  }
}

async function show(cmd: Extract<MonitorCommand, { action: 'show' }>, backend: MonitorBackend, o: MonitorAnswerOptions): Promise<MonitorAnswer> {
  const full = await backend.show(cmd.ref, cmd.rangeMs);
  // -s AGENT: that agent's statistics only (the heatmap is asked for that agent too).
  const detail: MonitorDetail = cmd.agent && Array.isArray(full?.stats) ? { ...full, stats: full.stats.filter((s) => s?.agent === cmd.agent) } : full;
  const text = formatMonitorDetail(detail);
  const answer: MonitorAnswer = { action: 'show', data: detail, text, compact: text.replace(/\n+$/, ''), html: '' };
  if (o.pictures && backend.heatmap) {
    try {
      const ref = typeof detail?.id === 'number' ? String(detail.id) : cmd.ref;
      answer.heatmap = await backend.heatmap(ref, { ...(cmd.agent ? { agent: cmd.agent } : {}), ...(cmd.rangeMs !== undefined ? { rangeMs: cmd.rangeMs } : {}) });
      answer.caption = formatMonitorCaption(detail);
    } catch (err) {
      // The statistics are the answer; a picture that cannot be had is a remark, not a failure.
      answer.heatmapProblem = `heatmap unavailable: ${describeError(err).message}`;
    }
  }
  answer.html = formatMonitorDetailHtml(detail, o.line ?? '', answer.heatmap ? { imageCid: HEATMAP_CID } : {});
  if (answer.heatmapProblem) {
    answer.text += `${answer.heatmapProblem}\n`;
    answer.compact += `\n${answer.heatmapProblem}`;
  }
  return answer;
}

/** The Content-ID of the heatmap in an email answer (the HTML refers to it as `cid:`). */
export const HEATMAP_CID = 'heatmap@meshprobe';
