import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommand } from '../../../shared/command/grammar.ts';
import { helpText, usage } from '../../../shared/command/help.ts';
import { MONITOR_COMMAND, monitorTargetProblem } from '../../../shared/command/monitor-command.ts';

function monitor(line: string) {
  const p = parseCommand(line);
  assert.ok(p.ok, `${line}: ${p.ok ? '' : p.message}`);
  assert.equal(p.command, 'monitor');
  return p.command === 'monitor' ? p.monitor : undefined;
}

function refused(line: string): string {
  const p = parseCommand(line);
  assert.ok(!p.ok, `${line} should be refused`);
  assert.equal(p.code, 'MP_ERR_BAD_REQUEST');
  assert.equal(p.usage, usage('monitor'));
  assert.ok(!p.message.includes('\n'), 'one line');
  return p.message;
}

const accepted: [string, unknown][] = [
  ['monitor add 127.0.0.1', { action: 'add', request: { target: '127.0.0.1' } }],
  ['/monitor add ::1', { action: 'add', request: { target: '::1' } }],
  ['/monitor@meshprobe_bot add 2001:db8::1', { action: 'add', request: { target: '2001:db8::1' } }],
  ['monitor add host.example.test', { action: 'add', request: { target: 'host.example.test' } }],
  ['monitor add gw.example.net@192.0.2.1', { action: 'add', request: { target: 'gw.example.net@192.0.2.1' } }],
  ['monitor add v6gw@2001:db8::1', { action: 'add', request: { target: 'v6gw@2001:db8::1' } }],
  ['monitor add -i 5s --name gw gw.example.net@192.0.2.1', { action: 'add', request: { target: 'gw.example.net@192.0.2.1', interval: 5, name: 'gw' } }],
  ['monitor add x.test -i 0.5', { action: 'add', request: { target: 'x.test', interval: 0.5 } }],
  ['monitor add x.test --interval 250ms', { action: 'add', request: { target: 'x.test', interval: 0.25 } }],
  ['monitor add x.test --interval=2', { action: 'add', request: { target: 'x.test', interval: 2 } }],
  ['monitor add x.test -i 1m', { action: 'add', request: { target: 'x.test', interval: 60 } }],
  ['monitor add x.test -s lax1,fra1 -s country=DE', { action: 'add', request: { target: 'x.test', from: ['lax1', 'fra1', 'country=DE'] } }],
  ['monitor add x.test --from lax1', { action: 'add', request: { target: 'x.test', from: ['lax1'] } }],
  ['monitor add x.test --trace 10m', { action: 'add', request: { target: 'x.test', trace: 600 } }],
  ["monitor add x.test --alert 'loss>5% for 5m' --alert \"p95>50ms for 10m\"", { action: 'add', request: { target: 'x.test', alert: ['loss>5% for 5m', 'p95>50ms for 10m'] } }],
  ['monitor add x.test --paused', { action: 'add', request: { target: 'x.test', paused: true } }],
  ['monitor new x.test', { action: 'add', request: { target: 'x.test' } }],
  ['monitor rm 7', { action: 'rm', ref: '7' }],
  ['monitor remove gw', { action: 'rm', ref: 'gw' }],
  ['monitor del gw.example.net', { action: 'rm', ref: 'gw.example.net' }],
  ['monitor list', { action: 'list' }],
  ['monitors ls', { action: 'list' }],
  ['MONITOR LIST', { action: 'list' }],
  ['monitor show gw', { action: 'show', ref: 'gw' }],
  ['monitor show gw --range 3d', { action: 'show', ref: 'gw', rangeMs: 3 * 86_400_000 }],
  ['monitor show 7 --range 90 -s lax1', { action: 'show', ref: '7', rangeMs: 90_000 }],
  ['monitor pause gw', { action: 'pause', ref: 'gw' }],
  ['monitor resume 7', { action: 'resume', ref: '7' }],
];
for (const [line, want] of accepted) {
  test(`grammar: ${line}`, () => {
    const m = monitor(line) as Record<string, unknown>;
    const { agent: _a, ...rest } = m;
    assert.deepEqual(rest, want);
  });
}

test('monitor show -s AGENT selects one agent', () => {
  assert.deepEqual(monitor('monitor show gw -s lax1'), { action: 'show', ref: 'gw', agent: 'lax1' });
});

test('--json is carried beside the command', () => {
  const p = parseCommand('monitor list --json');
  assert.ok(p.ok && p.command === 'monitor' && p.json);
});

const refusals: [string, RegExp][] = [
  ['monitor', /missing action/],
  ['monitor frob', /unknown action 'frob'/],
  ['monitor add', /monitor add: missing TARGET/],
  ['monitor add a.test b.test', /unexpected argument 'b\.test'/],
  ['monitor add 127.1', /shorthand IPv4/],
  ['monitor add 010.0.0.1', /leading zero/],
  ['monitor add 300.1.1.1', /octet over 255/],
  ['monitor add 2001:db8::g', /not an IPv4 or IPv6 address/],
  ['monitor add fe80::1%eth0', /zone index/],
  ['monitor add 127.0.0.0/24', /is a prefix/],
  ['monitor add name@host.test', /'host\.test' is not an IPv4 or IPv6 address \(in NAME@ADDRESS\)/],
  ['monitor add a@b@192.0.2.1', /more than one @/],
  ['monitor add @192.0.2.1', /is not a name/],
  ['monitor add bad_-.name!', /is not a host name or address/],
  ['monitor add x.test -i 0', /interval must be seconds or a number with ms, s, m, h or d/],
  ['monitor add x.test -i abc', /not 'abc'/],
  ['monitor add x.test -i 5x', /not '5x'/],
  ['monitor add x.test -i -1', /./],
  ['monitor add x.test -i 50ms', /interval must be at least 100ms/],
  ['monitor add x.test -i 2h', /interval must be at most 1h/],
  ['monitor add x.test -i', /-i needs a value/],
  ['monitor add x.test --trace 30s', /trace period must be at least 1m/],
  ['monitor add x.test --trace 2d', /trace period must be at most 1d/],
  ['monitor add x.test --name', /--name needs a value/],
  ['monitor add x.test --name -bad', /./],
  ['monitor add x.test --name "a b"', /is not a name/],
  ['monitor add x.test --alert', /--alert needs a rule/],
  // A bad rule is refused by the grammar, as the hub would refuse it, before any front-end calls the hub.
  ["monitor add x.test --alert 'jitter>5ms for 5m'", /^monitor add: --alert "jitter>5ms for 5m": unknown metric jitter; one of loss, p50/],
  ["monitor add x.test --alert 'loss>5ms'", /--alert "loss>5ms": loss is a percentage/],
  ["monitor add x.test --alert 'p95>50ms for 2d'", /--alert "p95>50ms for 2d": the window is 1m to 1d/],
  ["monitor add x.test --alert 'loss>5% for 5m' --alert 'p95 above 50ms'", /--alert "p95 above 50ms": expected METRIC>VALUE \[for WINDOW\]/],
  [`monitor add x.test --alert 'loss>5% for ${'5'.repeat(80)}m'`, /a rule is at most 80 characters/],
  [`monitor add x.test ${Array.from({ length: 9 }, (_, i) => `--alert 'loss>${i}% for 5m'`).join(' ')}`, /at most 8 --alert rules/],
  ['monitor add x.test --range 3d', /--range applies to monitor show only/],
  ['monitor rm 7 --paused', /--paused applies to monitor add only/],
  ['monitor list -i 5', /-i applies to monitor add only/],
  ['monitor show gw -i 5', /-i applies to monitor add only/],
  ['monitor rm 7 -s lax1', /-s applies to monitor add and show only/],
  ['monitor show gw --range 0', /range must be/],
  ['monitor show gw --range 500d', /range must be at most 400d/],
  ['monitor show gw --range 10s', /range must be at least 1m/],
  ['monitor show gw -s a,b', /-s takes one agent/],
  ['monitor rm', /missing ID or NAME/],
  ['monitor rm a b', /unexpected argument 'b'/],
  ['monitor rm "bad name"', /is not a monitor id or name/],
  ['monitor list extra', /unexpected argument 'extra'/],
  ['monitor add x.test --bogus', /unknown option --bogus/],
  ['monitor add x.test --intervall 5', /did you mean --interval/],
];
for (const [line, re] of refusals) {
  test(`refused with one line: ${line.slice(0, 80)}`, () => assert.match(refused(line), re));
}

test('every example of monitor help parses', () => {
  for (const e of MONITOR_COMMAND.examples) monitor(e);
});

test('help monitor and monitor --help show the same text with every action', () => {
  const p = parseCommand('help monitor');
  const q = parseCommand('monitor add --help');
  assert.ok(p.ok && p.command === 'help' && q.ok && q.command === 'help');
  assert.equal(p.text, q.text);
  assert.equal(p.text, helpText('monitor'));
  for (const w of ['add TARGET', 'rm ID|NAME', 'list', 'show ID|NAME', 'pause|resume', '--interval', '--trace', '--alert', '--range', '--paused']) assert.ok(p.text.includes(w), w);
  assert.ok(helpText().includes(usage('monitor')), 'the overview lists the monitor usage');
});

test('monitorTargetProblem takes IPv4, IPv6, names and name@address', () => {
  for (const t of ['127.0.0.1', '::1', '2001:db8::1', 'example.test', 'a-b.c_d.test', 'münchen.test', 'gw@127.0.0.1', 'gw@::1', 'host.test.']) {
    assert.equal(monitorTargetProblem(t), undefined, t);
  }
  assert.match(monitorTargetProblem('x'.repeat(400))!, /longer than 300/);
  assert.match(monitorTargetProblem('')!, /empty/);
});

test('monitor add --type TYPE: the type goes into the request, HOST:PORT and [v6]:PORT only with a type', () => {
  assert.deepEqual(monitor('monitor add --type tcpping -i 500ms echo.example.net:4000'), { action: 'add', request: { target: 'echo.example.net:4000', type: 'tcpping', interval: 0.5 } });
  assert.deepEqual(monitor('monitor add -t owd [2001:db8::1]:8001'), { action: 'add', request: { target: '[2001:db8::1]:8001', type: 'owd' } });
  assert.deepEqual(monitor('monitor add -t TCPPING 192.0.2.1:4000'), { action: 'add', request: { target: '192.0.2.1:4000', type: 'tcpping' } });
  assert.match(refused('monitor add echo.example.net:4000'), /monitor add: /);
  assert.match(refused('monitor add -t tcpping 192.0.2.1:70000'), /port 70000 .* is not 1–65535/);
  assert.match(refused('monitor add -t tcpping bad_host!:4000'), /not a host name/);
  assert.match(refused('monitor add -t "no such" 192.0.2.1'), /--type needs a measurement type/);
  assert.match(refused('monitor rm echo -t tcpping'), /applies to monitor add only/);
});

test('monitor add --legacy and --fixed-timeout set the probe options; other actions refuse them', () => {
  assert.deepEqual(monitor('monitor add -t tcpping --legacy 127.0.0.1:4000'), { action: 'add', request: { target: '127.0.0.1:4000', type: 'tcpping', legacy: true } });
  assert.deepEqual(monitor('monitor add -t tcpping --fixed-timeout -i 200ms 127.0.0.1:4000'), { action: 'add', request: { target: '127.0.0.1:4000', type: 'tcpping', interval: 0.2, fixedTimeout: true } });
  assert.deepEqual(monitor('monitor add -t tcpping 127.0.0.1:4000'), { action: 'add', request: { target: '127.0.0.1:4000', type: 'tcpping' } });
  assert.match(refused('monitor show 3 --legacy'), /--legacy applies to monitor add only/);
  assert.match(refused('monitor list --fixed-timeout'), /--fixed-timeout applies to monitor add only/);
});
