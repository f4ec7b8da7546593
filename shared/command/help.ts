/**
 * The command table of the shared grammar (design §6) and the help text built from it.
 * Every front-end (CLI, Telegram, email, /v1/cli, MCP) prints exactly these strings, and
 * shared/command/grammar.ts parses with the same option table, so help and parser cannot disagree.
 */
import { andList, measurementType, measurementTypes } from '../registry.ts';
import type { CommandSpec, OptionSpec } from './command-spec.ts';
import { helpOpt, json } from './common-options.ts';
import { MONITOR_COMMAND } from './monitor-command.ts';
import { IPINFO_COMMAND, ROUTE_COMMAND } from './path-commands.ts';

export type { CommandSpec, OptionKind, OptionSpec } from './command-spec.ts';

const typeNames = measurementTypes().map((t) => t.name);

/** The commands, in the order help lists them: the measurement types of the registry, then the rest. */
export const COMMANDS: readonly CommandSpec[] = [
  ...measurementTypes().map((t): CommandSpec => ({ name: t.name, aliases: t.command.aliases, usage: t.command.usage, summary: t.command.summary, options: t.command.options, examples: t.command.examples })),
  MONITOR_COMMAND,
  IPINFO_COMMAND,
  ROUTE_COMMAND,
  { name: 'list', aliases: ['agents'], usage: 'list', summary: 'list the agents and where they are', options: [json, helpOpt], examples: ['list'] },
  { name: 'version', aliases: [], usage: 'version', summary: 'show the versions of the hub and this front-end', options: [json, helpOpt], examples: ['version'] },
  {
    name: 'token',
    aliases: [],
    usage: 'token',
    summary: 'get an API token for curl and MCP clients (Telegram: private chats only)',
    options: [json, helpOpt],
    examples: ['token'],
  },
  {
    name: 'help',
    aliases: ['start'],
    usage: 'help [COMMAND]',
    summary: 'show this help, or the options of one command',
    options: [],
    // `help T` and `T --help` for registered types, so the examples parse whatever the registry holds.
    examples: ['help', `help ${typeNames[1] ?? typeNames[0]}`, `${typeNames[0]} --help`],
  },
];

/** The canonical command for a word (an alias gives its command), case-insensitive; undefined when unknown. */
export function findCommand(word: string): CommandSpec | undefined {
  const w = word.toLowerCase();
  return COMMANDS.find((c) => c.name === w || c.aliases.includes(w));
}

/** Names of all commands, in help order. */
export function commandNames(): string[] {
  return COMMANDS.map((c) => c.name);
}

/** The usage of every command, one per line, as design §6 lists them. */
function allUsage(): string {
  return COMMANDS.filter((c) => measurementType(c.name) !== undefined || c === MONITOR_COMMAND || c === IPINFO_COMMAND || c === ROUTE_COMMAND)
    .map((c) => `usage: ${c.usage}`)
    .concat(['usage: list | version | token | help [COMMAND]'])
    .join('\n');
}

/**
 * The usage line of `command` (an alias works too), e.g. `usage: ping [-s NODE]… … TARGET…`.
 * For an unknown or empty command: the usage lines of every command.
 */
export function usage(command: string): string {
  const c = findCommand(command.replace(/^\//, ''));
  return c ? `usage: ${c.usage}` : allUsage();
}

function optionFlags(o: OptionSpec): string {
  const names = [o.short ? `-${o.short}` : undefined, `--${o.long}`, ...(o.aliases ?? []).map((a) => `--${a}`)].filter(Boolean);
  return names.join(', ') + (o.arg ? ` ${o.arg}` : '');
}

function commandHelp(c: CommandSpec): string {
  const lines = [`usage: ${c.usage}`, '', c.summary[0]!.toUpperCase() + c.summary.slice(1) + '.'];
  if (c.aliases.length) lines.push(`Aliases: ${c.aliases.join(', ')}.`);
  if (c.options.length) {
    lines.push('', 'Options:');
    const flags = c.options.map(optionFlags);
    const w = Math.max(...flags.map((f) => f.length));
    c.options.forEach((o, i) => lines.push(`  ${flags[i]!.padEnd(w)}  ${o.help}`));
  }
  lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

/** `text` in lines of at most `width` characters, broken at spaces (a longer word stays whole). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    // The verbs wrapped to a phone's width: a type more is a word more, never a longer line.
    ...wrapWords(`meshprobe: ${andList(measurementTypes().map((t) => t.command.verb))} from any agent of the mesh.`, 72),
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    allUsage(),
    '',
    'A leading / and a @botname suffix are accepted (/ping@meshprobe_bot).',
    'Times are in seconds, fractions allowed (-i 0.2). Add --json for the raw events.',
    '-s picks agents (iputils\' packet size is -S); -n means no reverse DNS; --limit N picks N agents.',
    'Type "help COMMAND" or "COMMAND --help" for its options.',
  ].join('\n');
}

/**
 * The help text: an overview without a topic, the options and examples of one command with one
 * (aliases work). An unknown topic yields the overview; the grammar rejects it before that.
 */
export function helpText(topic?: string): string {
  const c = topic ? findCommand(topic.replace(/^\//, '')) : undefined;
  return c && c.name !== 'help' ? commandHelp(c) : overview();
}
