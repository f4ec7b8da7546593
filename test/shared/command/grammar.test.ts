import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand, tokenize, commandWords, MAX_LINE_LENGTH } from '../../../shared/command/grammar.ts';
import { usage, COMMANDS } from '../../../shared/command/help.ts';
import { Limits } from '../../../shared/model/limits.ts';

/** Lines that parse: the spec fields that must be set (from defaults to [] when absent). */
const good: [string, Record<string, unknown>, { command?: string; json?: boolean }?][] = [
  ['ping 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'] }],
  ['ping -c 3 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 3 }],
  ['ping -c3 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 3 }],
  ['ping --count=5 ::1', { type: 'ping', targets: ['::1'], count: 5 }],
  ['ping --count 5 ::1', { type: 'ping', targets: ['::1'], count: 5 }],
  ['/ping -c 3 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 3 }],
  ['/ping@meshprobe_bot -c 3 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 3 }],
  ['/ping@MeshProbe_Bot ::1', { type: 'ping', targets: ['::1'] }],
  ['PING 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'] }],
  ['ping 127.0.0.1 ::1 example.test', { type: 'ping', targets: ['127.0.0.1', '::1', 'example.test'] }],
  ['ping -s lax1 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], from: ['lax1'] }],
  ['ping -s lax1,fra1 -s country=DE 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], from: ['lax1', 'fra1', 'country=DE'] }],
  ['ping --from a --from=b x.test', { type: 'ping', targets: ['x.test'], from: ['a', 'b'] }],
  ['ping -s a,a x.test', { type: 'ping', targets: ['x.test'], from: ['a'] }],
  ['ping -s country=DE --limit 2 x.test', { type: 'ping', targets: ['x.test'], from: ['country=DE'], limit: 2 }],
  // iputils ping habits (issue 11, item 17): -n numeric, -w deadline; -q/-O/-D only change the text.
  ['ping -n 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], numeric: true }],
  ['ping -w 5 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], deadlineMs: 5000 }],
  ['ping -w 0.5 -c 3 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], deadlineMs: 500, count: 3 }],
  ['ping -nqOD -w 2 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], numeric: true, deadlineMs: 2000 }],
  ['ping -q 1.2.3.4', { type: 'ping', targets: ['1.2.3.4'] }],
  ['ping --deadline=3 --quiet --outstanding --timestamp x.test', { type: 'ping', targets: ['x.test'], deadlineMs: 3000 }],
  // traceroute(8) habits: -n no reverse DNS, -I ICMP echo, -T TCP SYN.
  ['traceroute -n 127.0.0.1', { type: 'traceroute', targets: ['127.0.0.1'], numeric: true }],
  ['traceroute -n -I 127.0.0.1', { type: 'traceroute', targets: ['127.0.0.1'], numeric: true, protocol: 'icmp' }],
  ['traceroute -T -p 443 x.test', { type: 'traceroute', targets: ['x.test'], protocol: 'tcp', port: 443 }],
  ['traceroute -nT x.test', { type: 'traceroute', targets: ['x.test'], numeric: true, protocol: 'tcp' }],
  ['traceroute -I -P icmp x.test', { type: 'traceroute', targets: ['x.test'], protocol: 'icmp' }],
  ['tr --limit 3 -s country=DE x.test', { type: 'traceroute', targets: ['x.test'], from: ['country=DE'], limit: 3 }],
  ['probe -n 127.1.0.0/24', { type: 'probe', targets: ['127.1.0.0/24'], numeric: true }],
  ['ping -i 0.2 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], intervalMs: 200 }],
  ['ping -i .5 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], intervalMs: 500 }],
  ['ping -i 2 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], intervalMs: 2000 }],
  ['ping -W 1.5 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], timeoutMs: 1500 }],
  ['ping -4 x.test', { type: 'ping', targets: ['x.test'], ipVersion: 4 }],
  ['ping -6 x.test', { type: 'ping', targets: ['x.test'], ipVersion: 6 }],
  ['ping6 ::1', { type: 'ping', targets: ['::1'], ipVersion: 6 }],
  ['ping -P tcp -p 443 x.test', { type: 'ping', targets: ['x.test'], protocol: 'tcp', port: 443 }],
  ['ping -P UDP -p 53 x.test', { type: 'ping', targets: ['x.test'], protocol: 'udp', port: 53 }],
  ['ping -P tcp x.test', { type: 'ping', targets: ['x.test'], protocol: 'tcp' }],
  ['ping --size 1400 -t 5 x.test', { type: 'ping', targets: ['x.test'], size: 1400, ttl: 5 }],
  ['ping -S 0 x.test', { type: 'ping', targets: ['x.test'], size: 0 }],
  ['ping -c 3 -c 5 x.test', { type: 'ping', targets: ['x.test'], count: 5 }],
  ['ping --json -c 1 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 1 }, { json: true }],
  ['ping \u2014json 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'] }, { json: true }],
  ['ping\u00a0-c\u00a02 127.0.0.1', { type: 'ping', targets: ['127.0.0.1'], count: 2 }],
  ['  ping   -c  2   127.0.0.1  ', { type: 'ping', targets: ['127.0.0.1'], count: 2 }],
  ['ping "127.0.0.1"', { type: 'ping', targets: ['127.0.0.1'] }],
  ['traceroute 127.0.0.1', { type: 'traceroute', targets: ['127.0.0.1'] }, { command: 'traceroute' }],
  ['trace 127.0.0.1', { type: 'traceroute', targets: ['127.0.0.1'] }, { command: 'traceroute' }],
  ['tr -q 1 -m 20 -w 0.5 x.test', { type: 'traceroute', targets: ['x.test'], queriesPerHop: 1, maxHops: 20, timeoutMs: 500 }],
  ['/tr@meshprobe_bot -P tcp -p 443 -6 x.test', { type: 'traceroute', targets: ['x.test'], protocol: 'tcp', port: 443, ipVersion: 6 }],
  ['traceroute --max-hops 64 --queries 10 x.test', { type: 'traceroute', targets: ['x.test'], maxHops: 64, queriesPerHop: 10 }],
  ['traceroute --timeout 2 x.test', { type: 'traceroute', targets: ['x.test'], timeoutMs: 2000 }],
  ['traceroute6 x.test', { type: 'traceroute', targets: ['x.test'], ipVersion: 6 }],
  ['probe 127.1.0.0/24', { type: 'probe', targets: ['127.1.0.0/24'] }, { command: 'probe' }],
  ['probe 127.1.0.9/24', { type: 'probe', targets: ['127.1.0.0/24'] }],
  ['probe --rate 0 127.1.0.0/16', { type: 'probe', targets: ['127.1.0.0/16'], rate: 0 }],
  ['probe -s lax1 --rate 5000 198.18.0.0/16', { type: 'probe', targets: ['198.18.0.0/16'], from: ['lax1'], rate: 5000 }],
  ['probe 2001:DB8::/120', { type: 'probe', targets: ['2001:db8::/120'] }],
  ['probe 127.0.0.1/32', { type: 'probe', targets: ['127.0.0.1/32'] }],
];

for (const [line, fields, extra] of good) {
  test(`parses ${JSON.stringify(line)}`, () => {
    const r = parseCommand(line, { botName: 'meshprobe_bot' });
    assert.equal(r.ok, true, r.ok ? '' : r.message);
    if (!r.ok || !('spec' in r)) throw new Error('expected a measurement');
    assert.equal(r.command, extra?.command ?? fields['type']);
    assert.equal(r.json, extra?.json ?? false);
    assert.deepEqual(r.spec, { from: [], ...fields });
  });
}

/** Lines that fail: the exact one-line message and the usage of which command. */
const bad: [string, string, string][] = [
  ['', 'empty command', ''],
  ['   ', 'empty command', ''],
  ['foo 1.2.3.4', "unknown command 'foo'", ''],
  ['/start@other_bot', 'that command is for @other_bot, not @meshprobe_bot', ''],
  ['/ping@other_bot 127.0.0.1', 'that command is for @other_bot, not @meshprobe_bot', ''],
  ['ping', 'ping: missing target', 'ping'],
  ['ping --foo 127.0.0.1', 'ping: unknown option --foo', 'ping'],
  ['ping --foo=1 127.0.0.1', 'ping: unknown option --foo', 'ping'],
  ['ping -x 127.0.0.1', 'ping: unknown option -x', 'ping'],
  ['ping --no-json 127.0.0.1', 'ping: unknown option --no-json', 'ping'],
  ['ping --cout 3 127.0.0.1', 'ping: unknown option --cout; did you mean --count?', 'ping'],
  ['ping --dedline 3 127.0.0.1', 'ping: unknown option --dedline; did you mean --deadline?', 'ping'],
  ['ping -o 127.0.0.1', 'ping: unknown option -o; did you mean -O?', 'ping'],
  ['ping -d 127.0.0.1', 'ping: unknown option -d; did you mean -D?', 'ping'],
  ['traceroute -i x.test', 'traceroute: unknown option -i; did you mean -I?', 'traceroute'],
  ['traceroute --max-hop 5 x.test', 'traceroute: unknown option --max-hop; did you mean --max-hops?', 'traceroute'],
  ['probe -r 5 127.1.0.0/24', 'probe: unknown option -r; did you mean --rate?', 'probe'],
  ['ping -n 2 x.test', 'ping: -n takes no value (it means no reverse DNS); for 2 agents write --limit 2', 'ping'],
  ['ping -w 0 127.0.0.1', 'ping: -w: deadline must be at least 0.001 seconds', 'ping'],
  ['ping -w 3601 127.0.0.1', 'ping: -w: deadline must be at most 3600 seconds', 'ping'],
  ['ping -w x 127.0.0.1', "ping: -w: deadline must be a number of seconds, not 'x'", 'ping'],
  ['traceroute -I -T x.test', 'traceroute: -I and -T exclude each other', 'traceroute'],
  ['traceroute -T -P udp x.test', 'traceroute: -T and -P udp exclude each other', 'traceroute'],
  ['traceroute -s 60 x.test', 'traceroute: -s 60: -s selects agents; an agent name is not a number', 'traceroute'],
  ['ping -c', 'ping: -c needs a value (COUNT)', 'ping'],
  ['ping 127.0.0.1 -c', 'ping: -c needs a value (COUNT)', 'ping'],
  ['ping -c abc 127.0.0.1', "ping: -c: count must be a whole number, not 'abc'", 'ping'],
  ['ping -c 0 127.0.0.1', 'ping: -c: count must be at least 1', 'ping'],
  ['ping -c -3 127.0.0.1', 'ping: -c: count must be at least 1', 'ping'],
  ['ping -c 1.5 127.0.0.1', 'ping: -c: count must be a whole number', 'ping'],
  [`ping -c ${Limits.maxCount + 1} 127.0.0.1`, `ping: -c: count must be at most ${Limits.maxCount}`, 'ping'],
  ['ping -c 99999999999999999999 127.0.0.1', 'ping: -c: count is too large', 'ping'],
  ['ping -i abc 127.0.0.1', "ping: -i: interval must be a number of seconds, not 'abc'", 'ping'],
  ['ping -i 0.0001 127.0.0.1', 'ping: -i: interval must be at least 0.001 seconds', 'ping'],
  ['ping -i 61 127.0.0.1', 'ping: -i: interval must be at most 60 seconds', 'ping'],
  ['ping -W 0 127.0.0.1', 'ping: -W: timeout must be at least 0.001 seconds', 'ping'],
  ['ping -W 1e3 127.0.0.1', "ping: -W: timeout must be a number of seconds, not '1e3'", 'ping'],
  ['ping -4 -6 x.test', 'ping: -4 and -6 exclude each other', 'ping'],
  ['ping -4 ::1', 'ping: -4 given but ::1 is an IPv6 address', 'ping'],
  ['ping -6 127.0.0.1', 'ping: -6 given but 127.0.0.1 is an IPv4 address', 'ping'],
  ['ping -P sctp x.test', "ping: -P: protocol must be icmp, udp or tcp, not 'sctp'", 'ping'],
  ['ping -p 80 x.test', 'ping: -p: port needs protocol tcp or udp', 'ping'],
  ['ping -P tcp -p 70000 x.test', 'ping: -p: port must be at most 65535', 'ping'],
  ['ping -t 300 x.test', 'ping: -t: ttl must be at most 255', 'ping'],
  ['ping --size 70000 x.test', `ping: -S: size must be at most ${Limits.maxSize}`, 'ping'],
  ['ping -s 127.0.0.1', 'ping: missing target', 'ping'],
  ['ping -s , x.test', "ping: -s: empty agent name in ','", 'ping'],
  ['ping -s x.test', 'ping: missing target', 'ping'],
  ['ping -s 100 127.0.0.1', 'ping: -s 100: -s selects agents; did you mean -S 100 / --size 100?', 'ping'],
  ['ping --limit 0 -s a x.test', 'ping: --limit: limit must be at least 1', 'ping'],
  ['ping 127.0.0.0/24', 'ping: 127.0.0.0/24 is a prefix; use probe to sweep it', 'ping'],
  ['ping "a b"', "ping: 'a b' is not a host name or address", 'ping'],
  ['ping x;rm', "ping: 'x;rm' is not a host name or address", 'ping'],
  ['ping 2001:db8::zz', "ping: '2001:db8::zz' is not a valid IPv6 address", 'ping'],
  ['ping "127.0.0.1', 'unterminated quote', ''],
  ['traceroute', 'traceroute: missing target', 'traceroute'],
  ['tr a.test b.test', "traceroute: unexpected argument 'b.test' (one target only)", 'traceroute'],
  ['traceroute -m 100 x.test', `traceroute: -m: max hops must be at most ${Limits.maxHops}`, 'traceroute'],
  ['traceroute -q 0 x.test', 'traceroute: -q: queries must be at least 1', 'traceroute'],
  ['traceroute -c 3 x.test', 'traceroute: unknown option -c', 'traceroute'],
  ['probe', 'probe: missing CIDR prefix', 'probe'],
  ['probe 127.1.0.1', 'probe: 127.1.0.1 is an address, not a prefix; write 127.1.0.1/32 for one host', 'probe'],
  ['probe example.test', "probe: 'example.test' is not a CIDR prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/120)", 'probe'],
  ['probe 10.0.0.0/8', 'probe: 10.0.0.0/8 has 16777216 addresses; the largest IPv4 sweep is a /16 (65536 addresses)', 'probe'],
  ['probe 2001:db8::/64', 'probe: 2001:db8::/64 has 18446744073709551616 addresses; the largest IPv6 sweep is a /112 (65536 addresses)', 'probe'],
  ['probe 127.1.0.0/33', "probe: '/33' is not a prefix length (0–32 for IPv4)", 'probe'],
  ['probe 127.1.0.0/24 127.2.0.0/24', "probe: unexpected argument '127.2.0.0/24' (one prefix only)", 'probe'],
  ['probe --rate -1 127.1.0.0/24', 'probe: --rate: rate must be at least 0', 'probe'],
  ['probe --rate fast 127.1.0.0/24', "probe: --rate: rate must be a whole number, not 'fast'", 'probe'],
  ['list everything', "list: unexpected argument 'everything'", 'list'],
  ['version -c 3', 'version: unknown option -c', 'version'],
  ['token now', "token: unexpected argument 'now'", 'token'],
  ['help nosuch', "help: no such command 'nosuch'", 'help'],
  ['help ping tr', "help: unexpected argument 'tr'", 'help'],
  ['x'.repeat(MAX_LINE_LENGTH + 1), `command too long (at most ${MAX_LINE_LENGTH} characters)`, ''],
];

for (const [line, message, cmd] of bad) {
  test(`rejects ${JSON.stringify(line.length > 60 ? line.slice(0, 20) + '…' : line)} with a one-line reason and the usage`, () => {
    const r = parseCommand(line, { botName: '@meshprobe_bot' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.code, 'MP_ERR_BAD_REQUEST');
    assert.equal(r.message, message);
    assert.ok(!r.message.includes('\n'), 'the reason is one line');
    assert.equal(r.usage, usage(cmd));
  });
}

test('simple commands parse with their --json flag', () => {
  assert.deepEqual(parseCommand('list'), { ok: true, command: 'list', json: false });
  assert.deepEqual(parseCommand('/version@meshprobe_bot --json'), { ok: true, command: 'version', json: true });
  assert.deepEqual(parseCommand('token'), { ok: true, command: 'token', json: false });
  assert.deepEqual(parseCommand('agents'), { ok: true, command: 'list', json: false });
});

test('help, help COMMAND, COMMAND --help and -h give the help text of that topic', () => {
  const overview = parseCommand('help');
  assert.ok(overview.ok && overview.command === 'help' && overview.topic === undefined);
  const viaAlias = parseCommand('help tr');
  const viaFlag = parseCommand('traceroute --help');
  const viaShort = parseCommand('/trace@meshprobe_bot -h');
  assert.ok(viaAlias.ok && viaAlias.command === 'help' && viaAlias.topic === 'traceroute');
  assert.deepEqual(viaFlag, viaAlias);
  assert.deepEqual(viaShort, viaAlias);
  // Asking for help wins over a malformed rest of the line.
  const helpWins = parseCommand('ping -c abc --help');
  assert.ok(helpWins.ok && helpWins.command === 'help' && helpWins.topic === 'ping');
  const start = parseCommand('/start');
  assert.ok(start.ok && start.command === 'help');
});

test('a @botname suffix is accepted for any bot when no botName is configured', () => {
  const r = parseCommand('/ping@whatever_bot 127.0.0.1');
  assert.equal(r.ok, true);
});

test('every example in the help text parses', () => {
  for (const c of COMMANDS) {
    for (const ex of c.examples) {
      const r = parseCommand(ex);
      assert.equal(r.ok, true, `${ex}: ${r.ok ? '' : r.message}`);
    }
  }
});

test('commandWords lists canonical names and aliases', () => {
  const w = commandWords();
  for (const x of ['ping', 'traceroute', 'trace', 'tr', 'probe', 'list', 'version', 'token', 'help']) assert.ok(w.includes(x), x);
});

test('tokenize groups quotes, splits on any whitespace and restores smart dashes', () => {
  assert.deepEqual(tokenize(`ping  'a b' "c"\td`), ['ping', 'a b', 'c', 'd']);
  assert.deepEqual(tokenize('ping \u201cx y\u201d \u2013c 3'), ['ping', 'x y', '-c', '3']);
  assert.deepEqual(tokenize('ping ""'), ['ping', '']);
});

test('non-string input yields a value, not an exception', () => {
  const r = parseCommand(undefined as unknown as string);
  assert.equal(r.ok, false);
  const r2 = parseCommand(42 as unknown as string);
  assert.equal(r2.ok, false);
});

test('grammar, help and the text renderer bundle without Node built-ins (as workerd needs) and still parse', async () => {
  const esbuild = await import('esbuild');
  const entry = new URL('../../../shared/', import.meta.url).pathname;
  const r = await esbuild.build({
    stdin: {
      contents: "export { parseCommand } from './command/grammar.ts'; export { renderText } from './render/text-renderer.ts'; export { SweepGrid } from './render/sweep-grid.ts';",
      resolveDir: entry,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    // 'neutral' resolves no Node built-in: any fs/path/util import fails the build.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  const code = r.outputFiles[0]!.text;
  assert.doesNotMatch(code, /from ["'](node:)?(fs|path|util|module)["']/);
  const mod = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  assert.deepEqual(mod.parseCommand('ping -c 2 127.0.0.1').spec, { type: 'ping', targets: ['127.0.0.1'], from: [], count: 2 });
});

test('ping -q, -O and -D reach the text renderer: summary only, timeouts said, lines stamped', async () => {
  const { TextRenderer } = await import('../../../shared/render/text-renderer.ts');
  const { rendererOptions } = await import('../../../shared/command/grammar.ts');
  const base = { agent: 'local', target: '127.0.0.1' } as const;
  const events = [
    { type: 'start', ...base, measurement: 'ping', address: '127.0.0.1', family: 4, protocol: 'icmp', params: { count: 2, size: 56 } },
    { type: 'reply', ...base, seq: 1, ttl: 64, rttMs: 0.031, bytes: 64, from: '127.0.0.1' },
    { type: 'timeout', ...base, seq: 2 },
    { type: 'summary', ...base, measurement: 'ping', durationMs: 1000, sent: 2, received: 1, lossPct: 50, minMs: 0.031, avgMs: 0.031, maxMs: 0.031, mdevMs: 0, p50Ms: 0.031, p90Ms: 0.031, p99Ms: 0.031 },
  ] as const;
  const render = (line: string) => {
    const r = parseCommand(line);
    assert.ok(r.ok && 'spec' in r, line);
    const t = new TextRenderer(rendererOptions(r.display, () => 1_700_000_000_123.456));
    return events.map((e) => t.push(e as never)).join('');
  };
  const plain = render('ping -c 2 127.0.0.1');
  assert.match(plain, /^64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=0\.031 ms$/m);
  assert.doesNotMatch(plain, /no answer yet|\[1700000000/);

  const quiet = render('ping -q -c 2 127.0.0.1');
  assert.match(quiet, /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$/m);
  assert.match(quiet, /^2 packets transmitted, 1 received, 50% packet loss/m);
  assert.doesNotMatch(quiet, /bytes from|no answer yet/);

  const stamped = render('ping -O -D -c 2 127.0.0.1');
  assert.match(stamped, /^\[1700000000\.123456\] 64 bytes from 127\.0\.0\.1: icmp_seq=1 /m);
  assert.match(stamped, /^\[1700000000\.123456\] no answer yet for icmp_seq=2$/m);
  // iputils stamps per-probe lines only: the header and the statistics stay as they are.
  assert.match(stamped, /^PING 127\.0\.0\.1 /m);
  assert.match(stamped, /^--- 127\.0\.0\.1 ping statistics ---$/m);

  const r = parseCommand('traceroute -n 127.0.0.1');
  assert.ok(r.ok && r.command === 'traceroute' && r.display === undefined, 'display flags are ping only');
});

test('--help and -h as the first word are the help, as every command-line tool answers them', () => {
  for (const line of ['--help', '-h', '--help ping', '-h monitor']) {
    const r = parseCommand(line);
    assert.equal(r.ok && r.command, 'help', line);
  }
  const ping = parseCommand('--help ping');
  assert.ok(ping.ok && ping.command === 'help' && ping.text.startsWith('usage: ping'));
});
