/**
 * Every CLI command but the lean ones bin/cli.ts answers itself (`agent`, `token`, `version` and
 * `list` without a hub): measurements (from this machine or through a hub), `list`/`version`/
 * `token` through a hub, help, usage errors. Loaded only when such a command runs, so that
 * `meshprobe version` does not load the grammar, zod, the renderers or the agent.
 */
import type { LocalAgent } from '../agent/runtime/local-agent.ts';
import { formatAgentList, formatVersion } from '../shared/render/agent-list.ts';
import { versionInfo } from '../shared/model/version.ts';
import { describeError, ErrorCode, HubError, HubRefusedError } from '../shared/model/errors.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';
import { parseCommand, rendererOptions, type ParsedCommand } from '../shared/command/grammar.ts';
import { helpText, usage } from '../shared/command/help.ts';
import { HubClient } from '../shared/wire/hub-client.ts';
import { cliSettings, readSettings, type Settings } from '../shared/config/settings.ts';
import { ndjsonLine } from '../shared/wire/ndjson.ts';
import { TextRenderer } from '../shared/render/text-renderer.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';
import { measurementType } from '../shared/registry.ts';
import { runDirect } from './direct-measurement.ts';
import { Exit, StreamTracker } from './stream-tracker.ts';
import { SweepLiveView } from './sweep-live.ts';
import { hasLiveView, LiveView } from './live-view.ts';
import { takeCliFlags, useColour, type CliFlags } from './cli-flags.ts';
import type { MonitorCommand } from '../shared/command/monitor-command.ts';

/** The CLI's settings, read once from its environment. */
type CliSettings = Settings<typeof cliSettings>;

/** What the CLI reads from its environment; passed in so that tests can drive `run` directly. */
export interface CliEnvironment {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Fires when the user presses Ctrl-C (the first time). */
  interrupt: AbortSignal;
  /** Set when stdout is a terminal: the probe bitmap is then redrawn live, sized to it. */
  terminal?: { columns?: number; rows?: number };
}

/** Runs one CLI invocation; resolves with the exit status. Never throws. */
export async function runCommand(io: CliEnvironment): Promise<number> {
  const invocation = parseInvocation(io);
  if (typeof invocation === 'number') return invocation;
  const { flags, line, parsed } = invocation;
  const hub = readHubSettings(flags, io);
  if (typeof hub === 'number') return hub;
  const { settings, client } = hub;
  if (parsed.command === 'monitor') return monitorCommand(parsed, line, client, io);
  if (!('spec' in parsed)) return answerCommand(parsed, line, client, settings, io);

  const spec = parsed.spec;
  const tracker = new StreamTracker();
  // A sweep (probe): the bitmap of the prefix, filled in as host events arrive (final frame only when piped).
  const sweepView = measurementType(spec.type)?.view === 'sweep'
    ? new SweepLiveView({
        tty: io.terminal !== undefined,
        colour: useColour(flags.color, io.terminal !== undefined, settings.NO_COLOR),
        ...(io.terminal?.columns ? { width: io.terminal.columns } : {}),
        ...(io.terminal?.rows ? { height: io.terminal.rows } : {}),
      })
    : undefined;
  // A type with a live table, on a terminal: redrawn in place as rounds come in (one agent × one target).
  const liveView = hasLiveView(spec.type) && spec.targets.length === 1 && spec.from.length <= 1 && (spec.limit ?? 1) <= 1
    ? new LiveView({ tty: io.terminal !== undefined, ...(io.terminal?.columns ? { columns: io.terminal.columns } : {}) })
    : undefined;
  // The bitmap's caption gives a sweep's counts; the renderer's own count line would repeat them.
  const renderer = new TextRenderer({
    multiAgent: spec.from.length > 1 || (spec.limit ?? 1) > 1,
    multiTarget: spec.targets.length > 1,
    probeCounts: sweepView === undefined,
    // ping -q / -O / -D (iputils); -D stamps with the time the line is printed, in µs.
    ...rendererOptions(parsed.display, () => performance.timeOrigin + performance.now()),
  });
  const started = performance.now();
  const show = (e: MeasurementEvent) => {
    tracker.add(e);
    if (parsed.json) {
      io.stdout(ndjsonLine(e));
      return;
    }
    let text = renderer.push(e);
    if (sweepView && e.type !== 'error') text = sweepView.render(e, text);
    if (liveView) text = liveView.render(e, text);
    if (text) (e.type === 'error' ? io.stderr : io.stdout)(text);
  };
  // Events are rendered as they arrive; after Ctrl-C the `done` is rebuilt with the
  // statistics so far, so it is held back here.
  const onEvent = (e: MeasurementEvent) => {
    if (e.type === 'done' && io.interrupt.aborted) return;
    show(e);
  };

  return measure({ client, spec, settings, io, onEvent, show, tracker, started, parsed });
}

/**
 * Runs the measurement through the hub or here and resolves with the exit status: after Ctrl-C
 * the summaries and `done` so far are shown; a failure is one line on stderr.
 */
async function measure(m: {
  client: HubClient | undefined;
  spec: MeasurementSpec;
  settings: CliSettings;
  io: CliEnvironment;
  onEvent: (e: MeasurementEvent) => void;
  show: (e: MeasurementEvent) => void;
  tracker: StreamTracker;
  started: number;
  parsed: { command: MeasurementSpec['type']; json: boolean };
}): Promise<number> {
  const { client, spec, settings, io, onEvent, show, tracker, started, parsed } = m;
  try {
    if (client) {
      await measureThroughHub(client, spec, io.interrupt, onEvent);
    } else {
      const refused = await measureHere(spec, settings, io, onEvent);
      if (refused !== undefined) return refused;
    }
  } catch (err) {
    if (!(err instanceof HubError && err.code === ErrorCode.Cancelled)) {
      const { message } = describeError(err);
      const detail = err instanceof HubError && err.detail ? `${err.detail}\n` : '';
      io.stderr(`meshprobe: ${message}\n${detail}`);
      // Refused or unreachable before anything ran: the command could not run (2). A stream
      // that broke halfway: the measurement failed (1).
      return tracker.sawEvents ? Exit.NoReply : Exit.Usage;
    }
  }
  if (io.interrupt.aborted) {
    const { summaries, done } = tracker.finishInterrupted(performance.now() - started);
    for (const s of summaries) show(s);
    show(done);
  }
  if (tracker.hadInputError && !parsed.json) io.stderr(usage(parsed.command).replace(/\n*$/, '\n'));
  return tracker.exitCode();
}

/** A command that is not help: help, usage errors and bad flags end here with their exit status. */
type RunnableCommand = Exclude<ParsedCommand, { ok: false } | { command: 'help' }>;

/** The flags, the command line for the grammar and what it parsed to; or the exit status when it ends here. */
function parseInvocation(io: CliEnvironment): { flags: CliFlags; line: string; parsed: RunnableCommand } | number {
  let flags: CliFlags;
  try {
    flags = takeCliFlags(io.argv);
  } catch (err) {
    io.stderr(`meshprobe: ${describeError(err).message}\n${helpText().split('\n')[0]}\n`);
    return Exit.Usage;
  }
  if (flags.rest.length === 0) {
    io.stderr(helpText().replace(/\n*$/, '\n'));
    return Exit.Usage;
  }
  const line = flags.rest.map(quote).join(' ');
  const parsed = parseCommand(line);
  if (!parsed.ok) {
    io.stderr(`${parsed.message}\n${parsed.usage.replace(/\n*$/, '\n')}`);
    return Exit.Usage;
  }
  if (parsed.command === 'help') {
    io.stdout(parsed.text.replace(/\n*$/, '\n'));
    return Exit.Ok;
  }
  return { flags, line, parsed };
}

/**
 * The settings, and a hub client when a hub is named (flag or MESHPROBE_HUB); or the usage exit
 * status on a bad setting. The environment is read here, once, through the schema
 * (shared/config/settings.ts); the agent and token subcommands read theirs the same way.
 */
function readHubSettings(flags: CliFlags, io: CliEnvironment): { settings: CliSettings; client: HubClient | undefined } | number {
  try {
    const settings = readSettings(cliSettings, io.env);
    const hubUrl = flags.hub ?? settings.MESHPROBE_HUB;
    const token = flags.token ?? settings.MESHPROBE_TOKEN;
    const client = hubUrl ? new HubClient({ url: hubUrl, ...(token ? { token } : {}) }) : undefined;
    return { settings, client };
  } catch (err) {
    io.stderr(`meshprobe: ${describeError(err).message}\n`);
    return Exit.Usage;
  }
}

/** `list`, `version` and `token`: the hub's own text through a hub, else this machine's agent. */
async function answerCommand(parsed: { command: 'list' | 'version' | 'token' | 'ipinfo' | 'route'; json: boolean }, line: string, client: HubClient | undefined, settings: CliSettings, io: CliEnvironment): Promise<number> {
  if (client) return streamCliText(client, line, io);
  if (parsed.command === 'ipinfo' || parsed.command === 'route') {
    // Enrichment data and the BGP table live on the hub.
    io.stderr(`meshprobe: ${parsed.command} asks a hub: pass --hub URL or set MESHPROBE_HUB\n`);
    return Exit.Usage;
  }
  const info = (await localAgent(settings)).info;
  if (parsed.command === 'version') {
    const version = versionInfo(`node ${process.version}`);
    io.stdout(parsed.json ? ndjsonLine(version) : formatVersion(version, [info]));
  }
  else io.stdout(parsed.json ? ndjsonLine({ agents: [info] }) : formatAgentList([info]));
  return Exit.Ok;
}

/** Direct mode: the measurement runs in this process, from this machine. Returns an exit status if refused. */
async function measureHere(spec: MeasurementSpec, settings: CliSettings, io: CliEnvironment, onEvent: (e: MeasurementEvent) => void): Promise<number | undefined> {
  const agent = await localAgent(settings);
  const foreign = spec.from.filter((s) => s.toLowerCase() !== agent.info.name.toLowerCase());
  if (foreign.length > 0) {
    io.stderr(`meshprobe: -s ${foreign.join(',')} needs a hub: pass --hub URL or set MESHPROBE_HUB\n`);
    return Exit.Usage;
  }
  await runDirect(agent, spec, io.interrupt, onEvent);
  return undefined;
}

async function measureThroughHub(client: HubClient, spec: MeasurementSpec, signal: AbortSignal, onEvent: (e: MeasurementEvent) => void): Promise<void> {
  for await (const e of client.measure(spec, { signal })) onEvent(e);
}

/** `list`, `version` and `token` through a hub: the hub's own text. */
async function streamCliText(client: HubClient, line: string, io: CliEnvironment): Promise<number> {
  try {
    for await (const text of client.cli(line, { signal: io.interrupt })) io.stdout(text);
    return Exit.Ok;
  } catch (err) {
    if (err instanceof HubError && err.code === ErrorCode.Cancelled) return Exit.NoReply;
    const detail = err instanceof HubError && err.detail ? `${err.detail}\n` : '';
    io.stderr(`meshprobe: ${describeError(err).message}\n${detail}`);
    // The hub said no to this request (4xx): a usage error; unreachable, 5xx or broken: no reply.
    return err instanceof HubRefusedError && err.status < 500 ? Exit.Usage : Exit.NoReply;
  }
}

/**
 * `monitor …` through the hub's REST routes (monitors live on a hub; there is no direct mode):
 * the answer rendered here, meshping's table for `list`, coloured on a terminal unless NO_COLOR.
 */
async function monitorCommand(parsed: { monitor: MonitorCommand; json: boolean }, line: string, client: HubClient | undefined, io: CliEnvironment): Promise<number> {
  if (!client) {
    io.stderr('meshprobe: monitor needs a hub, which keeps the monitors: pass --hub URL or set MESHPROBE_HUB\n');
    return Exit.Usage;
  }
  const { answerMonitorCommand, hubMonitorBackend } = await import('../shared/command/monitor-answer.ts');
  try {
    const answer = await answerMonitorCommand(parsed.monitor, hubMonitorBackend(client, { signal: io.interrupt }), {
      line,
      ansi: io.terminal !== undefined && !io.env['NO_COLOR'],
    });
    io.stdout(parsed.json ? `${JSON.stringify(answer.data)}\n` : answer.text);
    return Exit.Ok;
  } catch (err) {
    if (err instanceof HubError && err.code === ErrorCode.Cancelled) return Exit.NoReply;
    io.stderr(`meshprobe: ${describeError(err).message}\n`);
    return err instanceof HubRefusedError && err.status < 500 ? Exit.Usage : Exit.NoReply;
  }
}

/** Loaded on demand: through a hub the CLI needs no raw sockets (nor the native addon). */
async function localAgent(settings: CliSettings): Promise<LocalAgent> {
  const { LocalAgent } = await import('../agent/runtime/local-agent.ts');
  const dnsServers = settings.MESHPROBE_DNS_SERVERS;
  return new LocalAgent({ name: settings.MESHPROBE_AGENT_NAME || 'local', icmpMode: settings.MESHPROBE_ICMP_MODE, ...(dnsServers.length ? { dnsServers } : {}), ...(settings.MESHPROBE_DNS_ROOTS.length ? { dnsRoots: settings.MESHPROBE_DNS_ROOTS } : {}) });
}

/** Quotes one argv word so that the grammar's tokenizer gets it back unchanged. */
function quote(word: string): string {
  if (word !== '' && !/[\s'"\u201c\u201d\u2018\u2019\u201e]/.test(word)) return word;
  return word.includes("'") ? `"${word}"` : `'${word}'`;
}
