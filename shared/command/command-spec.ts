/**
 * The shape of the command table (shared/command/help.ts): commands and their options. A leaf
 * module, so that every measurement type can declare its command (shared/measurements/) without
 * importing the grammar.
 */

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
  /** A word or a line of text (`--server`, `--type`, `--header`): `choices` restricts it, `repeat` collects every one. */
  | 'text'
  /** A switch without a value. */
  | 'flag'
  /** A duration: bare seconds or a number with ms|s|m|h|d (shared/model/duration.ts), carried as milliseconds. */
  | 'duration'
  /** Free text checked by the command that reads it (a monitor's name, an alert rule); repeatable when the command says so. */
  | 'text';

/** One option of one command. */
export interface OptionSpec {
  /** Long name without dashes, as yargs-parser keys it (`max-hops`). */
  long: string;
  /** Single-letter name, when there is one (`c`). `4`/`6` are handled by the grammar. */
  short?: string;
  /** More long names accepted for the same option (`timeout` for a `--wait`). */
  aliases?: string[];
  kind: OptionKind;
  /** Name of the value in help (`COUNT`); absent for flags. */
  arg?: string;
  /** The MeasurementSpec field it sets, when it sets one. */
  field?:
    | 'from' | 'limit' | 'count' | 'intervalMs' | 'timeoutMs' | 'protocol' | 'port' | 'size' | 'ttl' | 'maxHops' | 'queriesPerHop' | 'rate' | 'deadlineMs' | 'numeric'
    // dns and http (issue 15): a flag with one of these sets it to true; a text option to its value(s).
    | 'queryType' | 'server' | 'transport' | 'dohUrl' | 'trace' | 'roots' | 'dnssec' | 'insecure'
    | 'method' | 'headers' | 'http2' | 'http3' | 'resolve' | 'maxBody' | 'follow';
  /** A flag that sets a field to a fixed value (`-I` = protocol icmp, dns `-x` = queryType PTR). */
  sets?: { field: 'protocol'; value: 'icmp' | 'udp' | 'tcp' } | { field: 'queryType'; value: 'PTR' };
  /** A flag that changes only how the text is printed (ping `-q`, `-O`, `-D`; dns/http `-v`). */
  display?: 'quiet' | 'outstanding' | 'timestamps' | 'verbose';
  /** `text`: the accepted values (compared without case, stored as written here). */
  choices?: readonly string[];
  /** `text`: repeatable; every value is kept, in order (a list field). */
  repeat?: boolean;
  /** `text` with `repeat`: each value is also split at commas (`--roots a,b`). */
  commas?: boolean;
  /** The noun used in error messages (`count`, `interval`). */
  noun: string;
  /** One line for the help text. */
  help: string;
}

/** One command of the grammar. */
export interface CommandSpec {
  /** The command word: a measurement type's name (shared/registry.ts), or list, version, token, help. */
  name: string;
  /** Other words that select this command (`ping6`). */
  aliases: string[];
  /** The usage line (design §6), without the `usage: ` prefix. */
  usage: string;
  /** One line saying what it does. */
  summary: string;
  options: OptionSpec[];
  /** Example command lines, shown in help and checked by the tests to parse. */
  examples: string[];
}
