/**
 * The `meshprobe` CLI. Same grammar as every front-end, iputils-style output streamed line by line.
 * Measures from this machine (an in-process LocalAgent) unless a hub is configured with
 * `--hub URL` / MESHPROBE_HUB; then through the hub (MESHPROBE_TOKEN / --token for a bearer token).
 *
 * Exit status (iputils-compatible): 0 every target answered; 1 some target got no reply, or a
 * part failed while measuring; 2 the command could not run (usage error, a name that does not
 * resolve, the hub refused or could not be reached).
 */
import type { LocalAgent } from '../agent/runtime/local-agent.ts';
import { AgentRegistry } from '../hub/core/agent-registry.ts';
import { formatAgentList, formatVersion } from '../shared/render/agent-list.ts';
import { runMeasurement } from '../hub/core/measurement-stream.ts';
import { VERSION_INFO } from '../hub/core/version.ts';
import { describeError, ErrorCode, HubError, HubRefusedError } from '../shared/model/errors.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';
import { parseCommand, rendererOptions } from '../shared/command/grammar.ts';
import { helpText, usage } from '../shared/command/help.ts';
import { HubClient } from '../shared/wire/hub-client.ts';
import { cliSettings, readSettings, type Settings } from '../shared/config/settings.ts';

/** The CLI's settings, read once from its environment. */
type CliSettings = Settings<typeof cliSettings>;
import { ndjsonLine } from '../shared/wire/ndjson.ts';
import { TextRenderer } from '../shared/render/text-renderer.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';
import { Exit, StreamTracker } from './stream-tracker.ts';
import { SweepLiveView } from './sweep-live.ts';

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

interface CliFlags {
  hub?: string;
  token?: string;
  rest: string[];
}

/** Runs one CLI invocation; resolves with the exit status. Never throws. */
export async function run(io: CliEnvironment): Promise<number> {
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
  // Subcommands outside the measurement grammar: running as a remote agent, minting tokens.
  // --hub and --token were taken out of argv above; they are handed back to them.
  if (flags.rest[0] === 'agent') {
    const { runAgentCommand } = await import('../agent/runtime/agent-command.ts');
    const passed = [...(flags.hub ? ['--hub', flags.hub] : []), ...(flags.token ? ['--token', flags.token] : [])];
    return runAgentCommand([...passed, ...flags.rest.slice(1)], io.env, io);
  }
  // `token` alone too: its usage (create, revoke) comes from here, hub or not.
  if (flags.rest[0] === 'token') {
    const { runTokenCommand } = await import('./token-command.ts');
    return runTokenCommand(flags.rest.slice(1), { ...(flags.hub ? { hub: flags.hub } : {}), ...(flags.token ? { token: flags.token } : {}), env: io.env }, io);
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

  // The environment is read here, once, through the schema (shared/config/settings.ts); the
  // agent and token subcommands above read theirs the same way.
  let settings: CliSettings;
  let client: HubClient | undefined;
  try {
    settings = readSettings(cliSettings, io.env);
    const hubUrl = flags.hub ?? settings.MESHPROBE_HUB;
    const token = flags.token ?? settings.MESHPROBE_TOKEN;
    if (hubUrl) client = new HubClient({ url: hubUrl, ...(token ? { token } : {}) });
  } catch (err) {
    io.stderr(`meshprobe: ${describeError(err).message}\n`);
    return Exit.Usage;
  }

  if (!('spec' in parsed)) {
    if (client) return streamCliText(client, line, io);
    const info = (await localAgent(settings)).info;
    if (parsed.command === 'version') io.stdout(parsed.json ? ndjsonLine(VERSION_INFO) : formatVersion(VERSION_INFO, [info]));
    else io.stdout(parsed.json ? ndjsonLine({ agents: [info] }) : formatAgentList([info]));
    return Exit.Ok;
  }

  const spec = parsed.spec;
  const tracker = new StreamTracker();
  // probe: the bitmap of the prefix, filled in as host events arrive (final frame only when piped).
  const sweepView = spec.type === 'probe'
    ? new SweepLiveView({
        tty: io.terminal !== undefined,
        ...(io.terminal?.columns ? { width: io.terminal.columns } : {}),
        ...(io.terminal?.rows ? { height: io.terminal.rows } : {}),
      })
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
    if (text) (e.type === 'error' ? io.stderr : io.stdout)(text);
  };
  // Events are rendered as they arrive; after Ctrl-C the `done` is rebuilt with the
  // statistics so far, so it is held back here.
  const onEvent = (e: MeasurementEvent) => {
    if (e.type === 'done' && io.interrupt.aborted) return;
    show(e);
  };

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

/** Direct mode: the measurement runs in this process, from this machine. Returns an exit status if refused. */
async function measureHere(spec: MeasurementSpec, settings: CliSettings, io: CliEnvironment, onEvent: (e: MeasurementEvent) => void): Promise<number | undefined> {
  const agent = await localAgent(settings);
  const foreign = spec.from.filter((s) => s.toLowerCase() !== agent.info.name.toLowerCase());
  if (foreign.length > 0) {
    io.stderr(`meshprobe: -s ${foreign.join(',')} needs a hub: pass --hub URL or set MESHPROBE_HUB\n`);
    return Exit.Usage;
  }
  const registry = new AgentRegistry();
  registry.add(agent);
  await runMeasurement(spec, registry.select([]), { signal: io.interrupt, emit: onEvent });
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

/** Loaded on demand: through a hub the CLI needs no raw sockets (nor the native addon). */
async function localAgent(settings: CliSettings): Promise<LocalAgent> {
  const { LocalAgent } = await import('../agent/runtime/local-agent.ts');
  const dnsServers = settings.MESHPROBE_DNS_SERVERS;
  return new LocalAgent({ name: settings.MESHPROBE_AGENT_NAME || 'local', icmpMode: settings.MESHPROBE_ICMP_MODE, ...(dnsServers.length ? { dnsServers } : {}) });
}

/** Removes the CLI's own flags (`--hub URL`, `--token T`, also `--hub=URL`) from argv. */
export function takeCliFlags(argv: readonly string[]): CliFlags {
  const out: CliFlags = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(hub|token)(?:=(.*))?$/.exec(a);
    if (!m) {
      out.rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new Error(`--${m[1]} needs a value`);
    out[m[1] as 'hub' | 'token'] = value;
  }
  return out;
}

/** Quotes one argv word so that the grammar's tokenizer gets it back unchanged. */
function quote(word: string): string {
  if (word !== '' && !/[\s'"\u201c\u201d\u2018\u2019\u201e]/.test(word)) return word;
  return word.includes("'") ? `"${word}"` : `'${word}'`;
}

/**
 * Resolves once everything written to `stream` so far has been handed to the kernel (or the
 * stream failed). A pipe to a slow reader is asynchronous on Linux: writes the pipe cannot take
 * yet wait in the stream, and `process.exit()` would drop them. Callbacks run in write order, so
 * an empty write's callback runs after every earlier write.
 */
function drained(stream: NodeJS.WritableStream & { destroyed?: boolean }): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((ok) => void stream.write('', () => ok()));
}

/** Exits with `code` once stdout and stderr have taken everything written to them. */
async function exitWhenDrained(code: number): Promise<never> {
  process.exitCode = code;
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** The process entry: wires stdio, Ctrl-C and the exit status; exits once the output is written. */
export async function main(): Promise<void> {
  const interrupt = new AbortController();
  let firstInterrupt = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C: stop and print the statistics so far (as iputils does). Second: leave now,
    // even with output still queued for a reader that does not read: that is what it asks for.
    // Two within 300 ms are one keypress delivered twice (terminal group + the shim passing it on).
    if (interrupt.signal.aborted) {
      if (performance.now() - firstInterrupt > 300) process.exit(130);
      return;
    }
    firstInterrupt = performance.now();
    interrupt.abort();
  });
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `meshprobe … | head` closes the pipe early; that is not an error worth a trace. Nothing
    // more can reach stdout; what is queued on stderr still goes out.
    if (err.code === 'EPIPE') void exitWhenDrained(0);
    else throw err;
  });
  const code = await run({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    interrupt: interrupt.signal,
    ...(process.stdout.isTTY ? { terminal: { columns: process.stdout.columns, rows: process.stdout.rows } } : {}),
  });
  // The local agent's sockets may hold the loop open; the answer is complete once stdout and
  // stderr have taken it, so leave then.
  await exitWhenDrained(code);
}

if (import.meta.main) await main();
