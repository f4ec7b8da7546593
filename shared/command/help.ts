/**
 * The command table of the shared grammar (design §6) and the help text built from it.
 * Every front-end (CLI, Telegram, email, /v1/cli, MCP) prints exactly these strings, and
 * shared/command/grammar.ts parses with the same option table, so help and parser cannot disagree.
 */
import { Limits, Defaults } from '../model/spec.ts';

/** How the grammar reads an option's value. */
export type OptionKind =
  /** Agent selectors: repeatable and comma-separated. */
  | 'list'
  /** A whole number. */
  | 'int'
  /** Seconds, fractions allowed (iputils style), carried as milliseconds. */
  | 'seconds'
  /** One of icmp, udp, tcp. */
  | 'protocol'
  /** A switch without a value. */
  | 'flag';

/** One option of one command. */
export interface OptionSpec {
  /** Long name without dashes, as yargs-parser keys it (`max-hops`). */
  long: string;
  /** Single-letter name, when there is one (`c`). `4`/`6` are handled by the grammar. */
  short?: string;
  /** More long names accepted for the same option (`timeout` for traceroute's `--wait`). */
  aliases?: string[];
  kind: OptionKind;
  /** Name of the value in help (`COUNT`); absent for flags. */
  arg?: string;
  /** The MeasurementSpec field it sets, when it sets one. */
  field?: 'from' | 'limit' | 'count' | 'intervalMs' | 'timeoutMs' | 'protocol' | 'port' | 'size' | 'ttl' | 'maxHops' | 'queriesPerHop' | 'rate' | 'deadlineMs' | 'numeric';
  /** A flag that sets a field to a fixed value (traceroute `-I` = protocol icmp). */
  sets?: { field: 'protocol'; value: 'icmp' | 'udp' | 'tcp' };
  /** A flag that changes only how the text is printed (ping `-q`, `-O`, `-D`). */
  display?: 'quiet' | 'outstanding' | 'timestamps';
  /** The noun used in error messages (`count`, `interval`). */
  noun: string;
  /** One line for the help text. */
  help: string;
}

/** One command of the grammar. */
export interface CommandSpec {
  name: 'ping' | 'traceroute' | 'probe' | 'list' | 'version' | 'token' | 'help';
  /** Other words that select this command (`trace`, `tr`). */
  aliases: string[];
  /** The usage line (design §6), without the `usage: ` prefix. */
  usage: string;
  /** One line saying what it does. */
  summary: string;
  options: OptionSpec[];
  /** Example command lines, shown in help and checked by the tests to parse. */
  examples: string[];
}

const from: OptionSpec = {
  long: 'from',
  short: 's',
  kind: 'list',
  arg: 'NODE',
  field: 'from',
  noun: 'agent',
  help: 'agent name or filter (country=DE); repeatable, comma-separated',
};
const limit: OptionSpec = {
  long: 'limit',
  kind: 'int',
  arg: 'N',
  field: 'limit',
  noun: 'limit',
  help: 'use N diverse agents of those matching -s',
};
/** `-n` as in traceroute(8) and iputils ping: addresses only, no reverse DNS. */
const numeric = (help: string): OptionSpec => ({ long: 'numeric', short: 'n', kind: 'flag', field: 'numeric', noun: 'numeric', help });
const v4: OptionSpec = { long: 'ipv4', short: '4', kind: 'flag', noun: 'ipv4', help: 'use IPv4 only' };
const v6: OptionSpec = { long: 'ipv6', short: '6', kind: 'flag', noun: 'ipv6', help: 'use IPv6 only' };
const protocol: OptionSpec = {
  long: 'protocol',
  short: 'P',
  kind: 'protocol',
  arg: 'icmp|udp|tcp',
  field: 'protocol',
  noun: 'protocol',
  help: 'probe with ICMP echo (default), UDP or TCP SYN',
};
const json: OptionSpec = { long: 'json', kind: 'flag', noun: 'json', help: 'print JSON (the raw NDJSON events) instead of text' };
const helpOpt: OptionSpec = { long: 'help', short: 'h', kind: 'flag', noun: 'help', help: 'show this help' };

/** The commands, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'ping',
    aliases: ['ping6'],
    usage: 'ping [-s NODE]… [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-w DEADLINE] [-nqOD] [-4|-6] [-P icmp|udp|tcp] [-p PORT] [-S SIZE] TARGET…',
    summary: 'send echo requests (or TCP SYN / UDP probes) to one or more targets',
    options: [
      from,
      limit,
      { long: 'count', short: 'c', kind: 'int', arg: 'COUNT', field: 'count', noun: 'count', help: `stop after COUNT probes per target (default ${Defaults.count}, at most ${Limits.maxCount})` },
      { long: 'interval', short: 'i', kind: 'seconds', arg: 'INTERVAL', field: 'intervalMs', noun: 'interval', help: `seconds between probes, fractions allowed (default ${Defaults.intervalMs / 1000})` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for each reply (default ${Defaults.timeoutMs / 1000})` },
      { long: 'deadline', short: 'w', kind: 'seconds', arg: 'DEADLINE', field: 'deadlineMs', noun: 'deadline', help: 'stop after DEADLINE seconds, whatever the count (alone: until then)' },
      numeric('numeric output: addresses only, no reverse DNS (as always for ping)'),
      { long: 'quiet', short: 'q', kind: 'flag', display: 'quiet', noun: 'quiet', help: 'quiet: only the header and the summary lines at the end' },
      { long: 'outstanding', short: 'O', kind: 'flag', display: 'outstanding', noun: 'outstanding', help: "say 'no answer yet for icmp_seq=N' when a probe times out" },
      { long: 'timestamp', short: 'D', kind: 'flag', display: 'timestamps', noun: 'timestamp', help: 'print the Unix time [1700000000.123456] before each reply line' },
      v4,
      v6,
      protocol,
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: `destination port for -P tcp (default ${Defaults.tcpPort}) or -P udp` },
      { long: 'size', short: 'S', kind: 'int', arg: 'SIZE', field: 'size', noun: 'size', help: `payload bytes (default ${Defaults.size})` },
      { long: 'ttl', short: 't', kind: 'int', arg: 'TTL', field: 'ttl', noun: 'ttl', help: `IP time to live / hop limit (default ${Defaults.ttl})` },
      json,
      helpOpt,
    ],
    examples: ['ping -c 3 127.0.0.1', 'ping -s lax1,fra1 -c 5 example.com ::1', 'ping -P tcp -p 443 -i 0.2 example.com', 'ping -q -w 5 -i 0.2 127.0.0.1', 'ping -D -O -c 3 127.0.0.1'],
  },
  {
    name: 'traceroute',
    aliases: ['trace', 'tr', 'traceroute6'],
    usage: 'traceroute [-s NODE]… [-q QUERIES] [-m MAXHOPS] [-w WAIT] [-n] [-4|-6] [-I|-T|-P icmp|udp|tcp] [-p PORT] TARGET',
    summary: 'list the routers on the path to one target',
    options: [
      from,
      limit,
      numeric('print hop addresses only, no reverse DNS lookups'),
      { long: 'icmp', short: 'I', kind: 'flag', sets: { field: 'protocol', value: 'icmp' }, noun: 'icmp', help: 'probe with ICMP echo (= -P icmp, the default here)' },
      { long: 'tcp', short: 'T', kind: 'flag', sets: { field: 'protocol', value: 'tcp' }, noun: 'tcp', help: `probe with TCP SYN (= -P tcp; port ${Defaults.tcpPort} unless -p)` },
      { long: 'queries', short: 'q', kind: 'int', arg: 'QUERIES', field: 'queriesPerHop', noun: 'queries', help: `probes per hop (default ${Defaults.queriesPerHop})` },
      { long: 'max-hops', short: 'm', kind: 'int', arg: 'MAXHOPS', field: 'maxHops', noun: 'max hops', help: `largest TTL probed (default ${Defaults.maxHops}, at most ${Limits.maxHops})` },
      { long: 'wait', short: 'w', aliases: ['timeout'], kind: 'seconds', arg: 'SECONDS', field: 'timeoutMs', noun: 'wait', help: `seconds to wait for each probe (default ${Defaults.timeoutMs / 1000})` },
      v4,
      v6,
      protocol,
      { long: 'port', short: 'p', kind: 'int', arg: 'PORT', field: 'port', noun: 'port', help: `UDP base port (default ${Defaults.tracePort}) or TCP port (default ${Defaults.tcpPort})` },
      json,
      helpOpt,
    ],
    examples: ['traceroute 127.0.0.1', 'tr -s lax1 -q 1 -m 20 example.com', 'traceroute -n -T -p 443 2001:db8::1', 'traceroute -n -I 127.0.0.1'],
  },
  {
    name: 'probe',
    aliases: [],
    usage: 'probe [-s NODE] [--rate PPS] [-W TIMEOUT] CIDR',
    summary: `sweep every address of a prefix with echo requests (at most a /${Limits.minSweepPrefixV4} or a /${Limits.minSweepPrefixV6})`,
    options: [
      from,
      limit,
      numeric('accepted for habit; a sweep prints addresses only'),
      { long: 'rate', kind: 'int', arg: 'PPS', field: 'rate', noun: 'rate', help: `packets per second (default ${Defaults.rate}; 0 = as fast as the agent's budget allows)` },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'TIMEOUT', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for the last replies (default ${Defaults.timeoutMs / 1000})` },
      json,
      helpOpt,
    ],
    examples: ['probe 127.1.0.0/24', 'probe -s lax1 --rate 5000 198.18.0.0/16'],
  },
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
    examples: ['help', 'help traceroute', 'ping --help'],
  },
];

/** The canonical command for a word (`tr` → `traceroute`), case-insensitive; undefined when unknown. */
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
  return COMMANDS.filter((c) => c.name !== 'list' && c.name !== 'version' && c.name !== 'token' && c.name !== 'help')
    .map((c) => `usage: ${c.usage}`)
    .concat(['usage: list | version | token | help [COMMAND]'])
    .join('\n');
}

/**
 * The usage line of `command` (an alias works too), e.g. `usage: traceroute [-s NODE]… … TARGET`.
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

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'meshprobe: ping, traceroute and sweep from any agent of the mesh.',
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
