import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMANDS, commandNames, findCommand, helpText, usage } from '../../../shared/command/help.ts';

const docs = readFileSync(new URL('../../../docs/commands.md', import.meta.url), 'utf8');

test('every command of help has a section in docs/commands.md', () => {
  for (const name of commandNames()) assert.match(docs, new RegExp(`^## ${name}\\b`, 'm'), `docs lack "## ${name}"`);
});

test('every alias and every option of every command appears in docs/commands.md', () => {
  for (const c of COMMANDS) {
    for (const a of c.aliases) assert.ok(docs.includes(a), `docs lack alias ${a} of ${c.name}`);
    for (const o of c.options) {
      assert.ok(docs.includes(`--${o.long}`), `docs lack --${o.long} of ${c.name}`);
      if (o.short) assert.ok(docs.includes(`-${o.short}`), `docs lack -${o.short} of ${c.name}`);
    }
  }
});

test('every example in help appears in docs/commands.md', () => {
  for (const c of COMMANDS) for (const e of c.examples) assert.ok(docs.includes(e), `docs lack example "${e}"`);
});

const usageRows: [string, string][] = [
  ['ping', 'usage: ping [-s NODE]… [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-w DEADLINE] [-nqOD] [-4|-6] [-P icmp|udp|tcp] [-p PORT] [-S SIZE] TARGET…'],
  ['traceroute', 'usage: traceroute [-s NODE]… [-q QUERIES] [-m MAXHOPS] [-w WAIT] [-n] [-4|-6] [-I|-T|-P icmp|udp|tcp] [-p PORT] TARGET'],
  ['tr', 'usage: traceroute [-s NODE]… [-q QUERIES] [-m MAXHOPS] [-w WAIT] [-n] [-4|-6] [-I|-T|-P icmp|udp|tcp] [-p PORT] TARGET'],
  ['/trace', 'usage: traceroute [-s NODE]… [-q QUERIES] [-m MAXHOPS] [-w WAIT] [-n] [-4|-6] [-I|-T|-P icmp|udp|tcp] [-p PORT] TARGET'],
  ['probe', 'usage: probe [-s NODE] [--rate PPS] [-W TIMEOUT] CIDR'],
  ['mtr', 'usage: mtr [-s NODE]… [-c COUNT] [-i SECONDS] [-r|--report] [-u|--udp] [-T|--tcp] [-P PORT] [-m MAXHOPS] [-n] [-4|-6] TARGET'],
  ['list', 'usage: list'],
  ['version', 'usage: version'],
  ['token', 'usage: token'],
  ['help', 'usage: help [COMMAND]'],
];
for (const [cmd, line] of usageRows) {
  test(`usage(${JSON.stringify(cmd)}) is the design §6 line`, () => assert.equal(usage(cmd), line));
}

test('usage of an unknown or empty command lists every command', () => {
  const u = usage('nosuch');
  assert.equal(u, usage(''));
  assert.deepEqual(u.split('\n'), [usage('ping'), usage('traceroute'), usage('probe'), usage('mtr'), usage('dns'), usage('http'), usage('monitor'), 'usage: list | version | token | help [COMMAND]']);
});

test('the overview names every command with its summary and the usage lines', () => {
  const t = helpText();
  for (const c of COMMANDS) {
    assert.ok(t.includes(c.name), c.name);
    assert.ok(t.includes(c.summary), c.summary);
  }
  assert.ok(t.includes(usage('ping')));
  assert.equal(helpText('nosuch'), t, 'an unknown topic falls back to the overview');
  assert.equal(helpText('help'), t);
});

test('help COMMAND shows usage, options with their flags, and examples; aliases give the same text', () => {
  const t = helpText('traceroute');
  assert.ok(t.startsWith(usage('traceroute') + '\n'));
  assert.match(t, /^ {2}-q, --queries QUERIES +probes per hop/m);
  assert.match(t, /^ {2}-w, --wait, --timeout SECONDS +seconds to wait/m);
  assert.match(t, /^Examples:\n {2}traceroute 127\.0\.0\.1$/m);
  // traceroute(8)'s -n, -I and -T (issue 11, item 17); --limit has no short form any more.
  assert.match(t, /^ {2}-n, --numeric +print hop addresses only, no reverse DNS/m);
  assert.match(t, /^ {2}-I, --icmp +probe with ICMP echo/m);
  assert.match(t, /^ {2}-T, --tcp +probe with TCP SYN/m);
  assert.match(t, /^ {2}--limit N +use N diverse agents/m);
  const p = helpText('ping');
  for (const re of [/^ {2}-w, --deadline DEADLINE +stop after DEADLINE seconds/m, /^ {2}-q, --quiet +quiet: only the header and the summary/m, /^ {2}-O, --outstanding /m, /^ {2}-D, --timestamp /m, /^ {2}-S, --size SIZE +payload bytes/m]) {
    assert.match(p, re);
  }
  assert.equal(helpText('tr'), t);
  assert.equal(helpText('/trace'), t);
  assert.equal(helpText('TRACEROUTE'), t);
});

test('help text lines stay short enough for a phone, apart from the usage lines', () => {
  for (const topic of [undefined, ...commandNames()]) {
    for (const line of helpText(topic).split('\n')) {
      if (line.startsWith('usage: ')) continue;
      assert.ok(line.length <= 100, `${topic ?? 'overview'}: "${line}" is ${line.length} characters`);
    }
  }
});

test('findCommand resolves names and aliases case-insensitively', () => {
  assert.equal(findCommand('TR')?.name, 'traceroute');
  assert.equal(findCommand('ping6')?.name, 'ping');
  assert.equal(findCommand('start')?.name, 'help');
  assert.equal(findCommand('nope'), undefined);
});
