/**
 * The `monitor` command of the shared grammar (issue 13, design §6 and §11): add, rm, list, show,
 * pause and resume continuous monitors. Its option table feeds help and the parser like every
 * other command's; what it parses to is a {@link MonitorCommand}, not a MeasurementSpec, because
 * a monitor is a standing order kept by the hub rather than one run.
 */
import { AlertRuleLimits, parseAlertRule } from '../model/alert-rule.ts';
import { formatDuration, parseDurationMs } from '../model/duration.ts';
import { GrammarError } from '../model/errors.ts';
import { MONITOR_NAME_PATTERN, MonitorLimits, type MonitorCreateRequest } from '../model/monitor-types.ts';
import { ipProblem, parseIp } from '../net/ip-address.ts';
import type { CommandSpec, OptionSpec } from './command-spec.ts';
import { helpOpt, json } from './common-options.ts';

/** What a `monitor …` line asks for. `ref` is a monitor's id (digits) or its name. */
export type MonitorCommand =
  | { action: 'add'; request: MonitorCreateRequest }
  | { action: 'rm'; ref: string }
  | { action: 'list' }
  /** `agent`: only this agent's statistics and heatmap. `rangeMs`: absent = the hub's default (24 h). */
  | { action: 'show'; ref: string; rangeMs?: number; agent?: string }
  | { action: 'pause' | 'resume'; ref: string };

/** The actions, with the other words accepted for them. */
export const MONITOR_ACTIONS: Readonly<Record<MonitorCommand['action'], readonly string[]>> = {
  add: ['add', 'new', 'create'],
  rm: ['rm', 'remove', 'del', 'delete'],
  list: ['list', 'ls'],
  show: ['show', 'info', 'get'],
  pause: ['pause', 'stop'],
  resume: ['resume', 'start', 'unpause'],
};

/** Bounds the grammar checks before the hub does (the hub's settings may be stricter). */
export const MonitorCommandLimits = {
  /** `--range` of `monitor show`: hourly rows are kept 400 days. */
  minRangeMs: 60_000,
  maxRangeMs: 400 * 86_400_000,
  /** Characters of one `--alert` rule (shared/model/alert-rule.ts). */
  maxAlertLength: AlertRuleLimits.maxLength,
  /** Characters of a target (a 253-character name, `@`, an IPv6 address). */
  maxTargetLength: 300,
} as const;

const from: OptionSpec = {
  long: 'from',
  short: 's',
  kind: 'list',
  arg: 'AGENTS',
  noun: 'agent',
  help: 'add: agents to run it (default: all capable); show: one agent',
};
const interval: OptionSpec = { long: 'interval', short: 'i', kind: 'duration', arg: 'INTERVAL', noun: 'interval', help: 'add: time between probes: 2, 0.5, 500ms, 1m (default 1s)' };
const name: OptionSpec = { long: 'name', kind: 'text', arg: 'NAME', noun: 'name', help: 'add: the name to refer to it by (default: from the target)' };
const trace: OptionSpec = { long: 'trace', kind: 'duration', arg: 'PERIOD', noun: 'trace period', help: 'add: route watch, the path traced every PERIOD (at least 1m)' };
const alert: OptionSpec = { long: 'alert', kind: 'text', arg: 'RULE', noun: 'alert rule', help: "add: alert rule such as 'loss>5% for 5m'; repeatable" };
const type: OptionSpec = { long: 'type', short: 't', kind: 'text', arg: 'TYPE', noun: 'type', help: 'add: the type it runs (default ping); TCP types take HOST:PORT' };
const paused: OptionSpec = { long: 'paused', kind: 'flag', noun: 'paused', help: 'add: create it paused (resume it later)' };
const legacy: OptionSpec = { long: 'legacy', kind: 'flag', noun: 'legacy', help: "add: the type's older protocol (TCP echo: 16-byte frames, 0.8 s timeout)" };
const fixedTimeout: OptionSpec = { long: 'fixed-timeout', kind: 'flag', noun: 'fixed timeout', help: 'add: keep the timeout fixed instead of adapting it' };
const range: OptionSpec = { long: 'range', kind: 'duration', arg: 'RANGE', noun: 'range', help: 'show: the time the statistics cover (default 24h)' };
const monitorJson: OptionSpec = { ...json, help: 'print the hub\'s JSON answer instead of text' };

/** Which options each action takes (json and help: all of them). */
const ACTION_OPTIONS: Readonly<Record<MonitorCommand['action'], readonly string[]>> = {
  add: ['from', 'interval', 'name', 'trace', 'alert', 'paused', 'type', 'legacy', 'fixed-timeout'],
  rm: [],
  list: [],
  show: ['range', 'from'],
  pause: [],
  resume: [],
};

/** The `monitor` entry of the command table (shared/command/help.ts). */
export const MONITOR_COMMAND: CommandSpec = {
  name: 'monitor',
  aliases: ['monitors'],
  usage: 'monitor add TARGET [-t TYPE] [-s AGENTS] [-i INTERVAL] [--name NAME] [--trace PERIOD] [--alert RULE]… [--paused] [--legacy] [--fixed-timeout] | rm ID|NAME | list | show ID|NAME [--range RANGE] [-s AGENT] | pause|resume ID|NAME',
  summary: 'watch targets continuously: latency histograms, loss, routes, alerts',
  options: [from, interval, name, trace, alert, paused, type, legacy, fixedTimeout, range, monitorJson, helpOpt],
  examples: [
    'monitor add 127.0.0.1',
    'monitor add -i 5s --name gw gw.example.net@192.0.2.1',
    "monitor add example.net -s lax1,fra1 --trace 10m --alert 'loss>5% for 5m'",
    'monitor list',
    'monitor show gw --range 3d',
    'monitor pause gw',
    'monitor rm 7',
  ],
};

/** The action an action word names, or undefined. */
export function monitorAction(word: string): MonitorCommand['action'] | undefined {
  const w = word.toLowerCase();
  for (const [action, words] of Object.entries(MONITOR_ACTIONS)) if (words.includes(w)) return action as MonitorCommand['action'];
  return undefined;
}

/** A host name as DNS spells it (letters of any script, digits, `-`, `_`), labels of 1–63, at most 253 in all. */
const HOST_NAME = /^(?=.{1,253}\.?$)[\p{L}\p{N}_](?:[\p{L}\p{N}_-]{0,61}[\p{L}\p{N}_])?(?:\.[\p{L}\p{N}_](?:[\p{L}\p{N}_-]{0,61}[\p{L}\p{N}_])?)*\.?$/u;

/**
 * Why `target` cannot be monitored, in one line, or undefined. A target is a host name, an IPv4
 * or IPv6 literal, or `name@address` (meshping's form: the name is shown, the address probed).
 */
export function monitorTargetProblem(target: string, o: { port?: boolean } = {}): string | undefined {
  const t = target.trim();
  // `HOST:PORT`, `[v6]:PORT` for the types that connect to a port (the hub asks the type itself).
  if (o.port) {
    const hp = /^(?:\[([^\]]+)\]|([^:@[\]]+)):([0-9]{1,5})$/.exec(t);
    if (hp) {
      if (Number(hp[3]) < 1 || Number(hp[3]) > 65535) return `port ${hp[3]} in '${t}' is not 1–65535`;
      return monitorTargetProblem(hp[1] ?? hp[2]!);
    }
  }
  if (t === '') return 'the target is empty';
  if (t.length > MonitorCommandLimits.maxTargetLength) return `the target is longer than ${MonitorCommandLimits.maxTargetLength} characters`;
  const at = t.indexOf('@');
  if (at !== -1) {
    const host = t.slice(0, at);
    const address = t.slice(at + 1);
    if (address.includes('@')) return `'${t}' has more than one @; write NAME@ADDRESS`;
    if (host === '' || !HOST_NAME.test(host)) return `'${host}' in '${t}' is not a name; write NAME@ADDRESS`;
    if (!parseIp(address)) return `${ipProblem(address) ?? `'${address}' is not an address`} (in NAME@ADDRESS)`;
    return undefined;
  }
  if (t.includes('/')) return `'${t}' is a prefix; a monitor watches one host`;
  // `[2001:db8::1]` as URLs write it is taken too.
  if (parseIp(t, { brackets: true })) return undefined;
  // Colons, brackets, zones and numbers that are no literal: say what is wrong with the address.
  if (t.includes(':') || t.includes('[') || t.includes('%') || /^[0-9.]+$/.test(t) || /^0x/i.test(t)) return ipProblem(t);
  if (!HOST_NAME.test(t)) return `'${t}' is not a host name or address`;
  return undefined;
}

/** Why `ref` is neither a monitor id nor a name, or undefined. */
export function monitorRefProblem(ref: string): string | undefined {
  if (/^[0-9]{1,15}$/.test(ref) || MONITOR_NAME_PATTERN.test(ref)) return undefined;
  return `'${ref}' is not a monitor id or name`;
}

function last(v: unknown): string {
  return String(Array.isArray(v) ? v[v.length - 1] : v);
}

function values(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).map(String);
}

function readDuration(cmd: string, o: OptionSpec, raw: string, min: number, max: number): number {
  const flag = `${cmd}: ${o.short ? `-${o.short}` : `--${o.long}`}`;
  if (raw === '' || raw === 'true') throw new GrammarError(`${flag} needs a value (${o.arg}: seconds, or a number with ms, s, m, h or d)`);
  const ms = parseDurationMs(raw);
  if (ms === undefined) throw new GrammarError(`${flag}: ${o.noun} must be seconds or a number with ms, s, m, h or d (such as 500ms, 10m), not '${raw}'`);
  if (ms < min) throw new GrammarError(`${flag}: ${o.noun} must be at least ${formatDuration(min)}`);
  if (ms > max) throw new GrammarError(`${flag}: ${o.noun} must be at most ${formatDuration(max)}`);
  return ms;
}

function readSelectors(cmd: string, v: unknown): string[] {
  const items = values(v);
  if (items.some((s) => s.trim() === '' || s === 'true')) throw new GrammarError(`${cmd}: -s needs a value (AGENTS)`);
  const parts = items.flatMap((s) => s.split(',')).map((s) => s.trim());
  if (parts.some((s) => s === '')) throw new GrammarError(`${cmd}: -s: empty agent name in '${items.join(',')}'`);
  return [...new Set(parts)];
}

function one(positionals: string[], what: string, action: string): string {
  if (positionals.length === 0) throw new GrammarError(`monitor ${action}: missing ${what}`);
  if (positionals.length > 1) throw new GrammarError(`monitor ${action}: unexpected argument '${positionals[1]}' (one ${what} only)`);
  return positionals[0]!;
}

function ref(positionals: string[], action: string): string {
  const r = one(positionals, 'ID or NAME', action);
  const problem = monitorRefProblem(r);
  if (problem) throw new GrammarError(`monitor ${action}: ${problem}`);
  return r;
}

function add(argv: Record<string, unknown>, rest: string[]): MonitorCommand {
  const target = one(rest, 'TARGET', 'add');
  let type: string | undefined;
  if (argv['type'] !== undefined) {
    type = last(argv['type']).toLowerCase();
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(type)) throw new GrammarError(`monitor add: --type needs a measurement type (as help lists them), not '${type}'`);
  }
  // A port only with another type than the default: the hub checks it against the type.
  const problem = monitorTargetProblem(target, { port: type !== undefined });
  if (problem) throw new GrammarError(`monitor add: ${problem}`);
  const request: MonitorCreateRequest = { target: target.trim() };
  if (type !== undefined) request.type = type;
  if (argv['from'] !== undefined) request.from = readSelectors('monitor add', argv['from']);
  if (argv['interval'] !== undefined) {
    request.interval = readDuration('monitor add', interval, last(argv['interval']), MonitorLimits.minIntervalMs, MonitorLimits.maxIntervalMs) / 1000;
  }
  if (argv['name'] !== undefined) {
    const n = last(argv['name']);
    if (n === '' || n === 'true') throw new GrammarError('monitor add: --name needs a value (NAME)');
    if (!MONITOR_NAME_PATTERN.test(n)) {
      throw new GrammarError(`monitor add: --name: '${n}' is not a name (1–63 letters, digits and . _ : @ -, starting with a letter or digit)`);
    }
    request.name = n;
  }
  if (argv['trace'] !== undefined) request.trace = readDuration('monitor add', trace, last(argv['trace']), MonitorLimits.minTraceMs, MonitorLimits.maxTraceMs) / 1000;
  if (argv['alert'] !== undefined) {
    const rules = values(argv['alert']).map((r) => r.trim());
    if (rules.some((r) => r === '' || r === 'true')) throw new GrammarError("monitor add: --alert needs a rule, such as 'loss>5% for 5m'");
    if (rules.length > MonitorLimits.maxAlerts) throw new GrammarError(`monitor add: at most ${MonitorLimits.maxAlerts} --alert rules per monitor`);
    const long = rules.find((r) => r.length > MonitorCommandLimits.maxAlertLength);
    if (long) throw new GrammarError(`monitor add: --alert: a rule is at most ${MonitorCommandLimits.maxAlertLength} characters`);
    // Parsed here as the hub parses it, so every front-end refuses a bad rule before calling the hub.
    for (const rule of rules) {
      const parsed = parseAlertRule(rule);
      if (!parsed.ok) throw new GrammarError(`monitor add: --${parsed.message}`);
    }
    request.alert = rules;
  }
  const flag = (k: string) => argv[k] === true || (Array.isArray(argv[k]) && argv[k].includes(true));
  if (flag('paused')) request.paused = true;
  // Probe options: the hub refuses them for a type that has none (the type's own validation).
  if (flag('legacy')) request.legacy = true;
  if (flag('fixed-timeout')) request.fixedTimeout = true;
  return { action: 'add', request };
}

function show(argv: Record<string, unknown>, rest: string[]): MonitorCommand {
  const cmd: MonitorCommand & { action: 'show' } = { action: 'show', ref: ref(rest, 'show') };
  if (argv['range'] !== undefined) cmd.rangeMs = readDuration('monitor show', range, last(argv['range']), MonitorCommandLimits.minRangeMs, MonitorCommandLimits.maxRangeMs);
  if (argv['from'] !== undefined) {
    const agents = readSelectors('monitor show', argv['from']);
    if (agents.length > 1) throw new GrammarError('monitor show: -s takes one agent');
    cmd.agent = agents[0]!;
  }
  return cmd;
}

/**
 * The monitor command of a parsed line: `argv` as yargs-parser keyed it by the long names of
 * {@link MONITOR_COMMAND}'s options, `positionals` the words that are not options (the action
 * first). Throws a GrammarError with a one-line reason.
 */
export function parseMonitorCommand(argv: Record<string, unknown>, positionals: string[]): MonitorCommand {
  const word = positionals[0];
  if (word === undefined) throw new GrammarError('monitor: missing action (add, rm, list, show, pause or resume)');
  const action = monitorAction(word);
  if (!action) throw new GrammarError(`monitor: unknown action '${word}' (add, rm, list, show, pause or resume)`);
  const allowed = ACTION_OPTIONS[action];
  for (const o of MONITOR_COMMAND.options) {
    const v = argv[o.long];
    const present = o.kind === 'flag' ? v === true || (Array.isArray(v) && v.includes(true)) : v !== undefined;
    if (!present || o.long === 'json' || o.long === 'help' || allowed.includes(o.long)) continue;
    const users = (Object.keys(ACTION_OPTIONS) as MonitorCommand['action'][]).filter((a) => ACTION_OPTIONS[a].includes(o.long));
    throw new GrammarError(`monitor ${action}: ${o.short ? `-${o.short}` : `--${o.long}`} applies to monitor ${users.join(' and ')} only`);
  }
  const rest = positionals.slice(1);
  switch (action) {
    case 'add':
      return add(argv, rest);
    case 'show':
      return show(argv, rest);
    case 'list':
      if (rest.length) throw new GrammarError(`monitor list: unexpected argument '${rest[0]}'`);
      return { action };
    default:
      return { action, ref: ref(rest, action) };
  }
}
