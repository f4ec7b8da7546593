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
import type { MeasurementSpec } from '../model/spec.ts';
import { Limits } from '../model/limits.ts';
import { measurementType, type MeasurementType, type MeasurementTypeDef } from '../registry.ts';
import { validateSpec } from '../model/validate-spec.ts';
import type { MeasurementEvent } from '../model/events.ts';
import type { TextRendererOptions } from '../render/text-renderer.ts';
import { ErrorCode, GrammarError } from '../model/errors.ts';
import { COMMANDS, findCommand, helpText, usage, type CommandSpec, type OptionSpec } from './help.ts';
import { parseMonitorCommand, type MonitorCommand } from './monitor-command.ts';

/** What {@link parseCommand} returns. `ok: false` carries a one-line reason and the usage. */
export type ParsedCommand =
  | { ok: true; command: MeasurementType; spec: MeasurementSpec; json: boolean; display?: DisplayOptions }
  | { ok: true; command: 'list' | 'version' | 'token'; json: boolean }
  /** `monitor …` (shared/command/monitor-command.ts): a standing order for the hub, not a spec. */
  | { ok: true; command: 'monitor'; monitor: MonitorCommand; json: boolean }
  | { ok: true; command: 'help'; topic?: string; text: string }
  | { ok: false; code: typeof ErrorCode.BadRequest; message: string; usage: string };

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

function fail(message: string, command: string): Failure {
  return { ok: false, code: ErrorCode.BadRequest, message, usage: usage(command) };
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
  if (field === 'deadlineMs') return [Limits.minDeadlineMs, Limits.maxDeadlineMs];
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

/** A `text` option's value: the last one, or with `repeat` every one; checked against `choices`. */
function readText(name: string, cmd: string, o: OptionSpec, v: unknown): string | string[] {
  const raw = (Array.isArray(v) ? v : [v]).map((x) => String(x));
  const values = o.repeat ? (o.commas ? raw.flatMap((x) => x.split(',')) : raw).map((x) => x.trim()) : [String(last(v)).trim()];
  for (const x of values) {
    if (x === '') throw new GrammarError(`${cmd}: ${name} needs a value (${o.arg})`);
    if (o.choices && !o.choices.some((c) => c.toLowerCase() === x.toLowerCase())) {
      throw new GrammarError(`${cmd}: ${name}: ${o.noun} must be ${o.choices.join(', ').replace(/, ([^,]*)$/, ' or $1')}, not '${x}'`);
    }
  }
  const canonical = values.map((x) => o.choices?.find((c) => c.toLowerCase() === x.toLowerCase()) ?? x);
  return o.repeat ? canonical : canonical[0]!;
}

/** How a ping's text is printed (iputils `-q`, `-O`, `-D`); the spec does not carry these. */
export interface DisplayOptions {
  /** `-q`: only the header and the summary lines at the end. */
  quiet: boolean;
  /** `-O`: a line for each probe that got no answer. */
  outstanding: boolean;
  /** `-D`: the Unix time before each reply line. */
  timestamps: boolean;
  /** `-v` (dns, http): the full answer. */
  verbose?: boolean;
}

const NO_DISPLAY: DisplayOptions = { quiet: false, outstanding: false, timestamps: false };

function given(v: unknown): boolean {
  return v === true || (Array.isArray(v) && v.includes(true));
}

/**
 * The TextRenderer options (shared/render/text-renderer.ts) for a parsed command's display flags.
 * `clock` says when an event happened (ms since the Unix epoch; for a live stream, now) for the
 * stamps of `-D`; shared code reads no clock itself.
 */
export function rendererOptions(
  display: DisplayOptions | undefined,
  clock: (e: MeasurementEvent) => number,
): Pick<TextRendererOptions, 'quiet' | 'timeouts' | 'timestamps' | 'verbose'> {
  return {
    ...(display?.quiet ? { quiet: true } : {}),
    ...(display?.verbose ? { verbose: true } : {}),
    ...(display?.outstanding ? { timeouts: true } : {}),
    ...(display?.timestamps ? { timestamps: clock } : {}),
  };
}

/** The grammar's wording of a validateSpec refusal: the flag the user typed instead of the field. */
function refusalText(c: CommandSpec, field: string, message: string, ipVersion: number | undefined): string {
  if (field === 'ipVersion' && ipVersion) return message.replace(`ipVersion ${ipVersion}`, `-${ipVersion}`);
  const o = c.options.find((x) => x.field === field);
  if (!o || !message.startsWith(field)) return message;
  return `${flagName(o)}: ${o.noun}${message.slice(field.length)}`;
}

/** Builds the spec of a measurement command and validates it through validateSpec. */
function measurement(c: CommandSpec, t: MeasurementTypeDef<MeasurementType>, argv: Record<string, unknown>, positionals: string[], forcedV6: boolean): ParsedCommand {
  const cmd = c.name;
  const input: Record<string, unknown> = { type: cmd };
  const display: DisplayOptions = { ...NO_DISPLAY };
  let setBy: OptionSpec | undefined;
  for (const o of c.options) {
    const v = argv[o.long];
    if (v === undefined) continue;
    const name = flagName(o);
    if (o.kind === 'flag') {
      if (!given(v)) continue;
      if (o.display) display[o.display] = true;
      if (o.field && !o.sets) input[o.field] = true;
      if (o.sets) {
        if (setBy && input[o.sets.field] !== o.sets.value) throw new GrammarError(`${cmd}: ${flagName(setBy)} and ${name} exclude each other`);
        setBy = o;
        input[o.sets.field] = o.sets.value;
      }
      continue;
    }
    if (!o.field) continue;
    if (o.kind === 'list') {
      const items = (Array.isArray(v) ? v : [v]).map(String);
      if (items.some((s) => s.trim() === '')) throw new GrammarError(`${cmd}: ${name} needs a value (${o.arg})`);
      const parts = items.flatMap((s) => s.split(',')).map((s) => s.trim());
      if (parts.some((s) => s === '')) throw new GrammarError(`${cmd}: ${name}: empty ${o.noun} name in '${items.join(',')}'`);
      // iputils' -s is the packet size; a bare number here is almost surely that habit.
      const num = parts.find((s) => /^[0-9]+$/.test(s));
      if (num !== undefined) {
        const size = c.options.some((x) => x.field === 'size');
        throw new GrammarError(`${cmd}: ${name} ${num}: -s selects agents; ${size ? `did you mean -S ${num} / --size ${num}?` : 'an agent name is not a number'}`);
      }
      input[o.field] = [...new Set(parts)];
    } else if (o.kind === 'int') {
      input[o.field] = readInt(name, cmd, o, String(last(v)));
    } else if (o.kind === 'seconds') {
      input[o.field] = readSeconds(name, cmd, o, String(last(v)));
    } else if (o.kind === 'text') {
      input[o.field] = readText(name, cmd, o, v);
    } else if (o.kind === 'protocol') {
      const p = String(last(v)).toLowerCase();
      if (p === '') throw new GrammarError(`${cmd}: ${name} needs a value (icmp, udp or tcp)`);
      if (p !== 'icmp' && p !== 'udp' && p !== 'tcp') throw new GrammarError(`${cmd}: ${name}: protocol must be icmp, udp or tcp, not '${p}'`);
      if (setBy && setBy.sets?.value !== p) throw new GrammarError(`${cmd}: ${flagName(setBy)} and ${name} ${p} exclude each other`);
      input[o.field] = p;
    }
  }
  // -I/-T may come after -P on the line; the loop above sees options in table order.
  if (setBy?.sets?.field === 'protocol' && input['protocol'] !== setBy.sets.value) throw new GrammarError(`${cmd}: ${flagName(setBy)} and -P ${String(input['protocol'])} exclude each other`);
  // dns -x: the reverse lookup asks for PTR whatever --type said.
  if (setBy?.sets?.field === 'queryType') input['queryType'] = setBy.sets.value;
  const want4 = given(argv['ipv4']);
  const want6 = forcedV6 || given(argv['ipv6']);
  if (want4 && want6) throw new GrammarError(`${cmd}: -4 and -6 exclude each other`);
  const ipVersion = want4 ? 4 : want6 ? 6 : undefined;
  if (ipVersion) input['ipVersion'] = ipVersion;

  // Our -n used to take a number (now --limit); `ping -n 2 host` must not ping 0.0.0.2.
  const num = given(argv['numeric']) ? positionals.find((p) => /^[0-9]+$/.test(p)) : undefined;
  if (num !== undefined) throw new GrammarError(`${cmd}: -n takes no value (it means no reverse DNS); for ${num} agents write --limit ${num}`);
  if (positionals.length === 0) throw new GrammarError(`${cmd}: missing ${t.command.missing}`);
  if (t.command.single && positionals.length > 1) {
    throw new GrammarError(`${cmd}: unexpected argument '${positionals[1]}' (one ${t.command.single} only)`);
  }
  const normalize = t.command.normalizeTarget;
  input['targets'] = normalize ? positionals.map(normalize) : positionals;

  const r = validateSpec(input);
  if (!r.ok) throw new GrammarError(`${cmd}: ${refusalText(c, r.field, r.message, ipVersion)}`);
  const json = given(argv['json']);
  // Display flags (-q, -O, -D) belong to the types whose command has them.
  const displays = c.options.some((o) => o.display !== undefined);
  return { ok: true, command: t.name, spec: r.spec, json, ...(displays ? { display } : {}) };
}

/** Edit distance (Damerau: a swap of neighbours counts one), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known option closest to an unknown one, or undefined when none is close. A long name is
 * compared with every long name by edit distance; a single letter with the other case of itself
 * (`-o` → `-O`) and with the long names it starts (`-r` → `--rate`).
 */
function closestOption(c: CommandSpec, unknown: string): string | undefined {
  const bare = unknown.replace(/^-+/, '');
  if (bare === '') return undefined;
  if (!unknown.startsWith('--') && bare.length === 1) {
    const other = c.options.find((o) => o.short && o.short !== bare && o.short.toLowerCase() === bare.toLowerCase());
    if (other) return `-${other.short}`;
    const long = c.options.find((o) => !o.short && o.long.startsWith(bare));
    return long ? `--${long.long}` : undefined;
  }
  let best: { name: string; d: number } | undefined;
  for (const o of c.options) {
    for (const n of [o.long, ...(o.aliases ?? [])]) {
      const d = distance(bare.toLowerCase(), n);
      if (!best || d < best.d) best = { name: `--${n}`, d };
    }
  }
  return best && best.d <= (bare.length <= 4 ? 1 : 2) ? best.name : undefined;
}

function unknownOption(c: CommandSpec, flag: string): Failure {
  const near = closestOption(c, flag);
  return fail(`${c.name}: unknown option ${flag}${near ? `; did you mean ${near}?` : ''}`, c.name);
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
    if (!known.has(k)) return unknownOption(c, `${k.length === 1 ? '-' : '--'}${k}`);
  }
  const positionals = argv._.map(String);
  const bad = positionals.find((p) => p.length > 1 && p.startsWith('-'));
  if (bad) {
    // yargs keeps `--opt=value` whole; show only the option.
    return unknownOption(c, bad.split('=')[0]!);
  }

  try {
    if (cmd === 'list' || cmd === 'version' || cmd === 'token') {
      if (positionals.length) return fail(`${cmd}: unexpected argument '${positionals[0]}'`, cmd);
      return { ok: true, command: cmd, json: given(argv['json']) };
    }
    if (cmd === 'monitor') return { ok: true, command: 'monitor', monitor: parseMonitorCommand(argv, positionals), json: given(argv['json']) };
    const t = measurementType(cmd);
    if (!t) return fail(`unknown command '${word}'`, '');
    return measurement(c, t, argv, positionals, word.toLowerCase().endsWith('6'));
  } catch (e) {
    if (e instanceof GrammarError) return fail(e.message, cmd);
    throw e;
  }
}

/**
 * Parses one command line of the shared grammar (design §6): a measurement type of the registry
 * (shared/registry.ts) with its aliases, `monitor …`, `list`, `version`, `token`, `help [COMMAND]`, with an optional leading `/`
 * and `@botname`. Limits are enforced by shared/model/validate-spec.ts, as for every front-end. Never throws: any
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
