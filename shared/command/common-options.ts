/**
 * Options several commands share (agent selection, -n, -4/-6, -P, --json, --help), so each
 * measurement type's command (shared/measurements/<type>/) declares only its own.
 */
import type { OptionSpec } from './command-spec.ts';

/** `-s NODE`: agent names or filters. */
export const from: OptionSpec = {
  long: 'from',
  short: 's',
  kind: 'list',
  arg: 'NODE',
  field: 'from',
  noun: 'agent',
  help: 'agent name or filter (country=DE); repeatable, comma-separated',
};
/** `--limit N`: N diverse agents. */
export const limit: OptionSpec = {
  long: 'limit',
  kind: 'int',
  arg: 'N',
  field: 'limit',
  noun: 'limit',
  help: 'use N diverse agents of those matching -s',
};
/** `-n` as in the classic tools (iputils ping and its path-tracing sibling): addresses only, no reverse DNS. */
export const numeric = (help: string): OptionSpec => ({ long: 'numeric', short: 'n', kind: 'flag', field: 'numeric', noun: 'numeric', help });
/** `-4`. */
export const v4: OptionSpec = { long: 'ipv4', short: '4', kind: 'flag', noun: 'ipv4', help: 'use IPv4 only' };
/** `-6`. */
export const v6: OptionSpec = { long: 'ipv6', short: '6', kind: 'flag', noun: 'ipv6', help: 'use IPv6 only' };
/** `-P icmp|udp|tcp`. */
export const protocol: OptionSpec = {
  long: 'protocol',
  short: 'P',
  kind: 'protocol',
  arg: 'icmp|udp|tcp',
  field: 'protocol',
  noun: 'protocol',
  help: 'probe with ICMP echo (default), UDP or TCP SYN',
};
/** `--json`. */
export const json: OptionSpec = { long: 'json', kind: 'flag', noun: 'json', help: 'print JSON (the raw NDJSON events) instead of text' };
/** `-h`, `--help`. */
export const helpOpt: OptionSpec = { long: 'help', short: 'h', kind: 'flag', noun: 'help', help: 'show this help' };
/** `-v` (dns, http): the full answer instead of the compact one. */
export const verbose = (help: string): OptionSpec => ({ long: 'verbose', short: 'v', kind: 'flag', display: 'verbose', noun: 'verbose', help });
