/**
 * The command grammar shared by Telegram, email, the CLI and POST /v1/cli (design §6).
 * One line in, one value out: a validated MeasurementSpec, a simple command, help text, or a
 * one-line reason plus the command's usage. Never throws.
 *
 * yargs-parser is imported through its browser build: the package's default entry pulls
 * `fs`, `path`, `util` and `node:module`, which workerd does not have.
 */
import yargsParser from 'yargs-parser/browser';
import type { Options as YargsOptions } from 'yargs-parser';
import { parseSpec, Limits, type MeasurementSpec } from './spec.ts';
import { checkSweepSize, parseCidr, parseIp } from './cidr.ts';
import { COMMANDS, findCommand, helpText, usage, type CommandSpec, type OptionSpec } from './help.ts';

/** What {@link parseCommand} returns. `ok: false` carries a one-line reason and the usage. */
export type ParsedCommand =
  | { ok: true; command: 'ping' | 'traceroute' | 'probe'; spec: MeasurementSpec; json: boolean }
  | { ok: true; command: 'list' | 'version' | 'token'; json: boolean }
  | { ok: true; command: 'help'; topic?: string; text: string }
  | { ok: false; code: 'MP_ERR_BAD_REQUEST'; message: string; usage: string };

/** Options of {@link parseCommand}. */
export interface ParseCommandOptions {
  /**
   * The Telegram bot's own username (with or without `@`). When given, `/ping@other_bot` is
   * refused, because in a group that command was meant for another bot. Default: any name.
   */
  botName?: string;
}

/** Longest line accepted; a command is short, anything longer is a paste accident. */
export const MAX_LINE_LENGTH = 1000;

type Failure = Extract<ParsedCommand, { ok: false }>;

class GrammarError extends Error {}

function fail(message: string, command: string): Failure {
  return { ok: false, code: 'MP_ERR_BAD_REQUEST', message, usage: usage(command) };
}

/**
 * Splits a line into words. Whitespace (including no-break spaces) separates; '…' and "…"
 * (and the curly quotes phones substitute) group. Dashes that phones "smarten" (— and –) at the
 * start of a word are turned back into `--`/`-`, so `—json` typed on iOS still works.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | undefined;
  const closing: Record<string, string> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019', '\u201e': '\u201c' };
  for (const ch of line) {
    if (quote !== undefined) {
      if (ch === closing[quote] || (quote === '\u201c' && ch === '\u201c')) quote = undefined;
      else cur += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    if (ch in closing) {
      quote = ch;
      inWord = true;
      continue;
    }
    cur += ch;
    inWord = true;
  }
  if (quote !== undefined) throw new GrammarError('unterminated quote');
  if (inWord) out.push(cur);
  return out.map((w) => w.replace(/^\u2014/, '--').replace(/^\u2013/, '-'));
}

function flagName(o: OptionSpec): string {
  return o.short ? `-${o.short}` : `--${o.long}`;
}

function yargsOptions(c: CommandSpec): YargsOptions {
  const string: string[] = [];
  const boolean: string[] = [];
  const alias: Record<string, string[]> = {};
  for (const o of c.options) {
    if (o.kind === 'flag') boolean.push(o.long);
    else string.push(o.long);
    // -4/-6 are rewritten to --ipv4/--ipv6 before parsing (yargs would read them as numbers).
    const names = [...(o.short && !/^[46]$/.test(o.short) ? [o.short] : []), ...(o.aliases ?? [])];
    if (names.length) alias[o.long] = names;
  }
  return {
    string,
    boolean,
    alias,
    configuration: {
      'camel-case-expansion': false,
      'duplicate-arguments-array': true,
      'flatten-duplicate-arrays': true,
      // Unknown options land in `_` where we can name them, instead of becoming silent keys.
      'unknown-options-as-args': true,
      'strip-aliased': true,
      'strip-dashed': false,
      'parse-numbers': false,
      'parse-positional-numbers': false,
      'short-option-groups': true,
      'boolean-negation': false,
      'dot-notation': false,
      'greedy-arrays': false,
      'halt-at-non-option': false,
      'populate--': false,
      'set-placeholder-key': false,
      'nargs-eats-options': false,
    },
  };
}

/** The last value given for an option (getopt semantics: a repeated scalar option's last one wins). */
function last(v: unknown): unknown {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function readInt(name: string, cmd: string, o: OptionSpec, raw: string): number {
  if (raw === '') throw new GrammarError(`${cmd}: ${name} needs a value (${o.arg})`);
  if (/^[+-]?[0-9]+$/.test(raw)) {
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new GrammarError(`${cmd}: ${name}: ${o.noun} is too large`);
    return n;
  }
  if (/^[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(raw)) {
    throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be a whole number`);
  }
  throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be a whole number, not '${raw}'`);
}

/** Bounds of the millisecond fields, from Limits, so seconds are checked in the user's unit. */
function msBounds(field: OptionSpec['field']): [number, number] {
  if (field === 'intervalMs') return [Limits.minIntervalMs, Limits.maxIntervalMs];
  return [Limits.minTimeoutMs, Limits.maxTimeoutMs];
}

function readSeconds(name: string, cmd: string, o: OptionSpec, raw: string): number {
  if (raw === '') throw new GrammarError(`${cmd}: ${name} needs a value (${o.arg}, in seconds)`);
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(raw)) {
    throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be a number of seconds, not '${raw}'`);
  }
  const ms = Math.round(Number(raw) * 1000);
  const [min, max] = msBounds(o.field);
  if (ms < min) throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be at least ${min / 1000} seconds`);
  if (ms > max) throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be at most ${max / 1000} seconds`);
  return ms;
}

/** Rough shape check of a ping/traceroute target; the resolver gives the final word. */
const HOSTLIKE = /^[\p{L}\p{N}._:\-\[\]%]+$/u;

function checkHostTarget(cmd: string, t: string, ipVersion: 4 | 6 | undefined): void {
  if (t.includes('/')) {
    const c = parseCidr(t);
    if (c.ok) throw new GrammarError(`${cmd}: ${t} is a prefix; use probe to sweep it`);
    throw new GrammarError(`${cmd}: '${t}' is not a host name or address`);
  }
  if (!HOSTLIKE.test(t) || t.startsWith('.') || t.length > 253) {
    throw new GrammarError(`${cmd}: '${t}' is not a host name or address`);
  }
  const ip = parseIp(t);
  if (ip && ipVersion && ip.family !== ipVersion) {
    throw new GrammarError(`${cmd}: -${ipVersion} given but ${t} is an IPv${ip.family} address`);
  }
  if (!ip && t.includes(':') && !/^[^:]+:[0-9]{1,5}$/.test(t) && !/^\[[^\]]+\]:[0-9]{1,5}$/.test(t)) {
    throw new GrammarError(`${cmd}: '${t}' is not a valid IPv6 address`);
  }
}

/** Builds the spec of a measurement command and validates it through parseSpec. */
function measurement(c: CommandSpec, argv: Record<string, unknown>, positionals: string[], forcedV6: boolean): ParsedCommand {
  const cmd = c.name;
  const input: Record<string, unknown> = { type: cmd };
  const flagOf = new Map<string, OptionSpec>();
  for (const o of c.options) {
    if (o.field) flagOf.set(o.field, o);
    const v = argv[o.long];
    if (v === undefined || o.kind === 'flag' || !o.field) continue;
    const name = flagName(o);
    if (o.kind === 'list') {
      const items = (Array.isArray(v) ? v : [v]).map(String);
      if (items.some((s) => s.trim() === '')) throw new GrammarError(`${cmd}: ${name} needs a value (${o.arg})`);
      const parts = items.flatMap((s) => s.split(',')).map((s) => s.trim());
      if (parts.some((s) => s === '')) throw new GrammarError(`${cmd}: ${name}: empty ${o.noun} name in '${items.join(',')}'`);
      // iputils' -s is the packet size; a bare number here is almost surely that habit.
      const num = parts.find((s) => /^[0-9]+$/.test(s));
      if (num !== undefined) throw new GrammarError(`${cmd}: ${name} ${num}: -s selects agents here; for the payload size use --size ${num}`);
      input[o.field] = [...new Set(parts)];
    } else if (o.kind === 'int') {
      input[o.field] = readInt(name, cmd, o, String(last(v)));
    } else if (o.kind === 'seconds') {
      input[o.field] = readSeconds(name, cmd, o, String(last(v)));
    } else if (o.kind === 'protocol') {
      const p = String(last(v)).toLowerCase();
      if (p === '') throw new GrammarError(`${cmd}: ${name} needs a value (icmp, udp or tcp)`);
      if (p !== 'icmp' && p !== 'udp' && p !== 'tcp') throw new GrammarError(`${cmd}: ${name}: protocol must be icmp, udp or tcp, not '${p}'`);
      input[o.field] = p;
    }
  }
  const want4 = argv['ipv4'] === true || (Array.isArray(argv['ipv4']) && argv['ipv4'].includes(true));
  const want6 = forcedV6 || argv['ipv6'] === true || (Array.isArray(argv['ipv6']) && argv['ipv6'].includes(true));
  if (want4 && want6) throw new GrammarError(`${cmd}: -4 and -6 exclude each other`);
  const ipVersion = want4 ? 4 : want6 ? 6 : undefined;
  if (ipVersion) input['ipVersion'] = ipVersion;

  if (input['port'] !== undefined && (input['protocol'] ?? 'icmp') === 'icmp') {
    throw new GrammarError(`${cmd}: -p: a port needs -P tcp or -P udp`);
  }

  if (cmd === 'ping') {
    if (positionals.length === 0) throw new GrammarError('ping: missing target');
    for (const t of positionals) checkHostTarget(cmd, t, ipVersion);
    input['targets'] = positionals;
  } else if (cmd === 'traceroute') {
    if (positionals.length === 0) throw new GrammarError('traceroute: missing target');
    if (positionals.length > 1) throw new GrammarError(`traceroute: unexpected argument '${positionals[1]}' (one target only)`);
    checkHostTarget(cmd, positionals[0]!, ipVersion);
    input['targets'] = positionals;
  } else {
    if (positionals.length === 0) throw new GrammarError('probe: missing CIDR prefix');
    if (positionals.length > 1) throw new GrammarError(`probe: unexpected argument '${positionals[1]}' (one prefix only)`);
    const r = parseCidr(positionals[0]!);
    if (!r.ok) throw new GrammarError(`probe: ${r.message}`);
    const tooBig = checkSweepSize(r.prefix);
    if (tooBig) throw new GrammarError(`probe: ${tooBig}`);
    if (ipVersion && r.prefix.family !== ipVersion) {
      throw new GrammarError(`probe: -${ipVersion} given but ${r.prefix.text} is an IPv${r.prefix.family} prefix`);
    }
    input['targets'] = [r.prefix.text];
  }

  const r = parseSpec(input);
  if (!r.ok) {
    // Name the flag the user typed rather than the field of the schema.
    const field = /^([A-Za-z]+)\b/.exec(r.message)?.[1];
    const o = field ? flagOf.get(field) : undefined;
    const msg = o ? `${flagName(o)}: ${r.message.replace(field!, o.noun)}` : r.message;
    throw new GrammarError(`${cmd}: ${msg}`);
  }
  return { ok: true, command: cmd as 'ping' | 'traceroute' | 'probe', spec: r.spec, json: argv['json'] === true || (Array.isArray(argv['json']) && argv['json'].includes(true)) };
}

function parseUnsafe(line: string, o: ParseCommandOptions): ParsedCommand {
  if (typeof line !== 'string') return fail('the command must be text', '');
  if (line.length > MAX_LINE_LENGTH) return fail(`command too long (at most ${MAX_LINE_LENGTH} characters)`, '');
  let words: string[];
  try {
    words = tokenize(line);
  } catch (e) {
    return fail(e instanceof GrammarError ? e.message : 'cannot read the command', '');
  }
  if (words.length === 0) return fail('empty command', '');

  // `/ping@meshprobe_bot`: Telegram's form in groups. The bot part is optional everywhere.
  const m = /^\/?([^@\s]*)(?:@([A-Za-z0-9_]+))?$/.exec(words[0]!);
  if (!m || m[1] === '') return fail(`unknown command '${words[0]}'`, '');
  const word = m[1]!;
  const bot = m[2];
  if (bot !== undefined && o.botName !== undefined) {
    const mine = o.botName.replace(/^@/, '');
    if (bot.toLowerCase() !== mine.toLowerCase()) return fail(`that command is for @${bot}, not @${mine}`, '');
  }
  const c = findCommand(word);
  if (!c) return fail(`unknown command '${word}'`, '');
  const cmd = c.name;
  const rest = words.slice(1);

  if (cmd === 'help') {
    const topics = rest.filter((w) => w !== '--help' && w !== '-h');
    if (topics.length > 1) return fail(`help: unexpected argument '${topics[1]}'`, 'help');
    const topicWord = topics[0];
    if (topicWord === undefined) return { ok: true, command: 'help', text: helpText() };
    const t = findCommand(topicWord.replace(/^\//, ''));
    if (!t) return fail(`help: no such command '${topicWord}'`, 'help');
    return { ok: true, command: 'help', topic: t.name, text: helpText(t.name) };
  }
  // `COMMAND --help` wins over any other problem on the line: the user is asking how it works.
  if (rest.some((w) => w === '--help' || w === '-h')) return { ok: true, command: 'help', topic: cmd, text: helpText(cmd) };

  // yargs-parser reads `-4`/`-6` as negative numbers; give them their long names first.
  const args = rest.map((w) => (w === '-4' ? '--ipv4' : w === '-6' ? '--ipv6' : w));
  const parsed = yargsParser.detailed(args, yargsOptions(c));
  if (parsed.error) return fail(`${cmd}: ${parsed.error.message.split('\n')[0]}`, cmd);
  const argv = parsed.argv as Record<string, unknown> & { _: (string | number)[] };
  const known = new Set(['_', ...c.options.map((x) => x.long)]);
  for (const k of Object.keys(argv)) {
    if (!known.has(k)) return fail(`${cmd}: unknown option ${k.length === 1 ? '-' : '--'}${k}`, cmd);
  }
  const positionals = argv._.map(String);
  const bad = positionals.find((p) => p.length > 1 && p.startsWith('-'));
  if (bad) {
    // yargs keeps `--opt=value` whole; show only the option.
    return fail(`${cmd}: unknown option ${bad.split('=')[0]}`, cmd);
  }

  try {
    if (cmd === 'list' || cmd === 'version' || cmd === 'token') {
      if (positionals.length) return fail(`${cmd}: unexpected argument '${positionals[0]}'`, cmd);
      return { ok: true, command: cmd, json: argv['json'] === true || (Array.isArray(argv['json']) && argv['json'].includes(true)) };
    }
    return measurement(c, argv, positionals, word.toLowerCase().endsWith('6'));
  } catch (e) {
    if (e instanceof GrammarError) return fail(e.message, cmd);
    throw e;
  }
}

/**
 * Parses one command line of the shared grammar (design §6): `ping`, `traceroute` (`trace`,
 * `tr`), `probe`, `list`, `version`, `token`, `help [COMMAND]`, with an optional leading `/`
 * and `@botname`. Limits are enforced by shared/spec.ts parseSpec. Never throws: any
 * failure is `{ ok: false, message, usage }` with a one-line message.
 */
export function parseCommand(line: string, o: ParseCommandOptions = {}): ParsedCommand {
  try {
    return parseUnsafe(line, o);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return fail(`cannot parse the command: ${msg}`, '');
  }
}

/** The command words the grammar understands (canonical names and aliases), for bot menus. */
export function commandWords(): string[] {
  return COMMANDS.flatMap((c) => [c.name, ...c.aliases]);
}
