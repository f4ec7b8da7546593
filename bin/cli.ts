/**
 * The `meshprobe` CLI. Same grammar as every front-end, iputils-style output streamed line by line.
 * Measures from this machine (an in-process LocalAgent) unless a hub is configured with
 * `--hub URL` / MESHPROBE_HUB; then through the hub (MESHPROBE_TOKEN / --token for a bearer token).
 *
 * Exit status (iputils-compatible): 0 every target answered; 1 some target got no reply, or a
 * part failed while measuring; 2 the command could not run (usage error, a name that does not
 * resolve, the hub refused or could not be reached).
 *
 * This entry stays lean: `agent` and `token` load only their own modules; `version` and `list`
 * without a hub are answered here from the local agent's announcement alone; every other command
 * loads bin/cli-command.ts (grammar, zod schemas, renderers, the hub client, the agent).
 */
import { formatAgentList, formatVersion } from '../shared/render/agent-list.ts';
import { versionInfo } from '../shared/model/version.ts';
import { ndjsonLine } from '../shared/wire/ndjson.ts';
import type { CliEnvironment } from './cli-command.ts';
import { takeCliFlags } from './cli-flags.ts';
import { exitWhenDrained } from './exit-when-drained.ts';

export type { CliEnvironment } from './cli-command.ts';

/** Runs one CLI invocation; resolves with the exit status. Never throws. */
export async function run(io: CliEnvironment): Promise<number> {
  const local = (await subcommand(io)) ?? (await localInfoCommand(io));
  if (local !== undefined) return local;
  const { runCommand } = await import('./cli-command.ts');
  return runCommand(io);
}

/**
 * The subcommands outside the measurement grammar, loaded alone: running as a remote agent,
 * minting tokens. --hub and --token were taken out of argv; they are handed back to them.
 */
async function subcommand(io: CliEnvironment): Promise<number | undefined> {
  let flags: ReturnType<typeof takeCliFlags>;
  try {
    flags = takeCliFlags(io.argv);
  } catch {
    return undefined;
  }
  if (flags.rest[0] === 'agent') {
    const { runAgentCommand } = await import('../agent/runtime/agent-command.ts');
    const passed = [...(flags.hub ? ['--hub', flags.hub] : []), ...(flags.token ? ['--token', flags.token] : [])];
    return runAgentCommand([...passed, ...flags.rest.slice(1)], io.env, io);
  }
  // The echo responders for other tools' probers: agent code, loaded alone.
  if (flags.rest[0] === 'echo-server') {
    const { runEchoServerCommand } = await import('../agent/servers/serve-command.ts');
    return runEchoServerCommand(flags.rest.slice(1), io);
  }
  // `token` alone too: its usage (create, revoke) comes from there, hub or not.
  if (flags.rest[0] === 'token') {
    const { runTokenCommand } = await import('./token-command.ts');
    return runTokenCommand(flags.rest.slice(1), { ...(flags.hub ? { hub: flags.hub } : {}), ...(flags.token ? { token: flags.token } : {}), env: io.env }, io);
  }
  return undefined;
}

/**
 * `version` or `list` (each alone or with `--json`) measured nowhere: the answer is this
 * process's version and the local agent's announcement, the same text the full grammar path
 * prints. Anything else (a hub, other words, DNS servers for the local agent to check) returns
 * undefined and takes the full path.
 */
async function localInfoCommand(io: CliEnvironment): Promise<number | undefined> {
  let rest: string[];
  let hub: string | undefined;
  try {
    ({ rest, hub } = takeCliFlags(io.argv));
  } catch {
    return undefined;
  }
  if (hub ?? io.env.MESHPROBE_HUB) return undefined;
  if ((io.env.MESHPROBE_DNS_SERVERS ?? '').trim() !== '') return undefined;
  const [command, option, ...more] = rest;
  if ((command !== 'version' && command !== 'list') || more.length > 0 || (option !== undefined && option !== '--json')) return undefined;
  const json = option === '--json';
  const { localAgentInfo } = await import('../agent/runtime/local-agent-info.ts');
  const info = localAgentInfo(io.env.MESHPROBE_AGENT_NAME || 'local');
  if (command === 'version') {
    const version = versionInfo(`node ${process.version}`);
    io.stdout(json ? ndjsonLine(version) : formatVersion(version, [info]));
  } else io.stdout(json ? ndjsonLine({ agents: [info] }) : formatAgentList([info]));
  return 0; // Exit.Ok
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
