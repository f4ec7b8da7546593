// The `meshprobe` command as users run it: bin/meshprobe.js in a real process, with the project's
// Node 24 and with the system's older node (the shim re-executes), directly and through a hub.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import type { TestDnsServer } from '../helpers/dns-server.ts';
import { countEchoRequests, echoCounterUnavailable } from '../helpers/echo-counter.ts';
import { node24, root, startMain } from '../helpers/launcher-process.ts';
import type { MainProcess } from '../helpers/launcher-process.ts';

const shim = join(root, 'bin', 'meshprobe.js');
const systemNode = '/usr/bin/node';

let dns: TestDnsServer;
let hub: MainProcess;

before(async () => {
  dns = await startDnsServer({ 'box.meshprobe.test': ['127.0.0.1'] });
  hub = await startMain({ MESHPROBE_DNS_SERVERS: dns.servers.join(',') });
});
after(async () => {
  await hub?.stop();
  await dns?.close();
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI. Asynchronously: the DNS server lives in this process and must keep answering. */
function cli(args: string[], o: { node?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return cliAsync(args, o);
}

const replyLines = (text: string, from: string) =>
  text.split('\n').filter((l) => new RegExp(`^64 bytes from ${from.replace(/\./g, '\\.')}: icmp_seq=\\d+ ttl=\\d+ time=[\\d.]+ ms$`).test(l));

/** True when the local agent cannot open ICMP sockets here; the test then skips. */
const noPermission = (r: Result) => /MP_ERR_PERMISSION|CAP_NET_RAW|ping_group_range/.test(r.stderr) && !/bytes from/.test(r.stdout);

function assertPingOutput(r: Result, target: string, address: string, count: number): void {
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, new RegExp(`^PING ${target.replace(/\./g, '\\.')} \\(${address.replace(/\./g, '\\.')}\\) 56\\(84\\) bytes of data\\.$`));
  assert.equal(replyLines(r.stdout, address).length, count, r.stdout);
  assert.ok(lines.includes(`--- ${target} ping statistics ---`), r.stdout);
  assert.ok(lines.some((l) => l.startsWith(`${count} packets transmitted, ${count} received, 0% packet loss`)), r.stdout);
  assert.ok(lines.some((l) => /^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/.test(l)), r.stdout);
  assert.equal(r.stderr, '');
}

test('meshprobe ping -c 3 127.0.0.1 (Node 24, direct) prints three reply lines and the statistics block', async (t) => {
  const r = await cli(['ping', '-c', '3', '-i', '0.2', '127.0.0.1']);
  if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
  assertPingOutput(r, '127.0.0.1', '127.0.0.1', 3);
});

test('started by the system node (< 22.18), the shim re-executes with the project runtime', async (t) => {
  if (!existsSync(systemNode)) return t.skip('no /usr/bin/node on this host');
  const v = spawnSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  const [major, minor] = v.split('.').map(Number) as [number, number];
  if (major > 22 || (major === 22 && minor >= 18)) return t.skip(`/usr/bin/node is ${v}: no re-exec needed`);
  const r = await cli(['ping', '-c', '2', '-i', '0.2', '127.0.0.1'], { node: systemNode });
  if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
  assertPingOutput(r, '127.0.0.1', '127.0.0.1', 2);
  const bad = await cli(['ping', '-c', 'abc', '127.0.0.1'], { node: systemNode });
  assert.equal(bad.status, 2, 'the exit status passes through the shim');
});

test('a hostname the test DNS server maps to 127.0.0.1 pings fine', async (t) => {
  const r = await cli(['ping', '-c', '2', '-i', '0.2', 'box.meshprobe.test']);
  if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
  assertPingOutput(r, 'box.meshprobe.test', '127.0.0.1', 2);
});

test('bad input prints a one-line reason and the usage on stderr and exits 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['ping', '-c', 'abc', '127.0.0.1'], /abc/],
    [['ping', '--frobnicate', '127.0.0.1'], /frobnicate/],
    [['ping', '-c', '1', 'nowhere.meshprobe.test'], /cannot resolve nowhere\.meshprobe\.test/],
    [['pong', '127.0.0.1'], /pong/],
  ];
  for (const [args, reason] of cases) {
    const r = await cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, reason, args.join(' '));
    assert.match(r.stderr, /usage:/, args.join(' '));
    assert.doesNotMatch(r.stderr, /\bat .*\.(ts|js):\d+/, 'no stack trace');
    assert.doesNotMatch(r.stdout, /bytes from/);
  }
});

test('no reply at all exits 1, like iputils (echo requests dropped by nftables)', async (t) => {
  const why = await echoCounterUnavailable();
  if (why) return t.skip(why);
  const target = `127.78.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const counter = await countEchoRequests(target, { drop: true });
  try {
    const r = await cliAsync(['ping', '-c', '2', '-i', '0.2', '-W', '0.3', target]);
    if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /2 packets transmitted, 0 received, 100% packet loss/);
    assert.equal(await counter.read(), 2);
  } finally {
    await counter.close();
  }
});

test('--json prints the raw NDJSON events, done last', async (t) => {
  const r = await cli(['ping', '--json', '-c', '2', '-i', '0.2', '127.0.0.1']);
  if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
  assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'reply', 'summary', 'done']);
});

test('through a hub (--hub URL, or MESHPROBE_HUB) the output is the same', async (t) => {
  const viaFlag = await cli(['--hub', hub.url, 'ping', '-c', '2', '-i', '0.2', '127.0.0.1']);
  if (noPermission(viaFlag)) return t.skip(`no ICMP socket: ${viaFlag.stderr.trim()}`);
  assertPingOutput(viaFlag, '127.0.0.1', '127.0.0.1', 2);
  const viaEnv = await cli(['ping', '-c', '2', '-i', '0.2', 'box.meshprobe.test'], { env: { MESHPROBE_HUB: hub.url } });
  assertPingOutput(viaEnv, 'box.meshprobe.test', '127.0.0.1', 2);
  const list = await cli(['list'], { env: { MESHPROBE_HUB: hub.url } });
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^AGENT .*\nlocal\s/);
});

test('through a hub, bad names and unknown agents fail with a reason and exit 2', async () => {
  const nx = await cli(['--hub', hub.url, 'ping', '-c', '1', 'nowhere.meshprobe.test']);
  assert.equal(nx.status, 2, nx.stderr);
  assert.match(nx.stderr.split('\n')[0]!, /cannot resolve nowhere\.meshprobe\.test/);
  assert.match(nx.stderr, /usage:/);
  const agent = await cli(['--hub', hub.url, 'ping', '-s', 'lax9', '-c', '1', '127.0.0.1']);
  assert.equal(agent.status, 2, agent.stderr);
  assert.match(agent.stderr, /no agent matches "lax9"/);
});

test('an unreachable hub is one line and exit 2; -s without a hub says a hub is needed', async () => {
  const r = await cli(['--hub', 'http://127.0.0.1:1', 'ping', '-c', '1', '127.0.0.1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^meshprobe: cannot reach the hub at http:\/\/127\.0\.0\.1:1: .*\n$/);
  const s = await cli(['ping', '-s', 'lax1', '-c', '1', '127.0.0.1']);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /-s lax1 needs a hub/);
});

test('help, version and list answer without measuring', async () => {
  const help = await cli(['help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /ping/);
  const version = await cli(['version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^meshprobe \d+\.\d+\.\d+ \(api 1, node v\d+/);
  const list = await cli(['list']);
  assert.equal(list.status, 0);
  assert.match(list.stdout, /\nlocal\s/);
});

function cliAsync(args: string[], o: { node?: string; env?: Record<string, string>; onStdout?: (all: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, MESHPROBE_DNS_SERVERS: dns.servers.join(','), ...o.env };
  if (!o.env?.MESHPROBE_HUB) delete env.MESHPROBE_HUB;
  const child = spawn(o.node ?? node24, [shim, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    o.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((ok) => child.on('close', (status) => ok({ status, stdout, stderr })));
}

for (const [label, node] of [['Node 24', node24], ['the system node via the shim', systemNode]] as const) {
  test(`Ctrl-C (${label}) prints the statistics so far and exits 0`, async (t) => {
    if (!existsSync(node)) return t.skip(`no ${node}`);
    let sent = false;
    const r = await cliAsync(['ping', '-c', '1000', '-i', '0.1', '127.0.0.1'], {
      node,
      onStdout: (all, child) => {
        if (!sent && replyLines(all, '127.0.0.1').length >= 3) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    if (noPermission(r)) return t.skip(`no ICMP socket: ${r.stderr.trim()}`);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('--- 127.0.0.1 ping statistics ---'), r.stdout);
    const m = /^(\d+) packets transmitted, (\d+) received/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [transmitted, received] = [Number(m[1]), Number(m[2])];
    assert.ok(received >= 3 && received < 1000 && transmitted >= received, r.stdout);
    assert.equal(received, replyLines(r.stdout, '127.0.0.1').length);
  });
}

test('Ctrl-C through a hub also prints the statistics so far, and the hub stops the agent', async (t) => {
  const why = await echoCounterUnavailable();
  if (why) return t.skip(why);
  const target = `127.79.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const counter = await countEchoRequests(target);
  try {
    let sent = false;
    const env: Record<string, string | undefined> = { ...process.env };
    const child = spawn(node24, [shim, '--hub', hub.url, 'ping', '-c', '1000', '-i', '0.05', target], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && replyLines(stdout, target).length >= 3) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const status = await new Promise<number | null>((ok) => child.on('close', ok));
    if (noPermission({ status, stdout, stderr })) return t.skip(`no ICMP socket: ${stderr.trim()}`);
    assert.equal(status, 0, stderr);
    assert.match(stdout, new RegExp(`--- ${target.replace(/\./g, '\\.')} ping statistics ---`));
    await new Promise((r) => setTimeout(r, 300));
    const a = await counter.read();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await counter.read(), a, 'the agent kept sending after the CLI was interrupted');
  } finally {
    await counter.close();
  }
});

test('npx meshprobe works from the repository (package.json "bin"), under the system node without warnings', async (t) => {
  const npx = ['/usr/bin/npx', '/usr/local/bin/npx'].find((p) => existsSync(p));
  if (!npx) return t.skip('no npx on this host');
  // npx and the shim run on the node the PATH names first: the system's, as for a user. A fresh
  // npm cache: npx then links the checkout into it, which is where npm checks "engines".
  const path = (process.env.PATH ?? '').split(':').filter((d) => !d.includes('node_modules')).join(':');
  const cache = await mkdtemp(join(tmpdir(), 'mp-npx-'));
  t.after(() => rm(cache, { recursive: true, force: true }));
  const env = { ...process.env, PATH: path, npm_config_cache: cache, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  const child = spawn(npx, ['--no-install', 'meshprobe', 'version'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const status = await new Promise<number | null>((ok) => child.on('close', ok));
  assert.equal(status, 0, stderr);
  assert.match(stdout, /^meshprobe \d+\.\d+\.\d+ \(api 1, node v24\./);
  // package.json's engines names the node that starts meshprobe; npm warned (EBADENGINE) on every run when it named the runtime's.
  assert.equal(stderr, '');
});

test('--color takes auto, always or never; auto colours a terminal unless NO_COLOR is set', async () => {
  const { takeCliFlags, useColour } = await import('../../bin/cli-flags.ts');
  assert.equal(takeCliFlags(['--color', 'never', 'probe', '127.0.0.0/24']).color, 'never');
  assert.equal(takeCliFlags(['--color=always', 'ping', 'x']).color, 'always');
  assert.throws(() => takeCliFlags(['--color', 'sometimes']), /auto, always or never/);
  assert.equal(useColour('auto', true, undefined), true);
  assert.equal(useColour('auto', true, '1'), false);
  assert.equal(useColour('auto', false, undefined), false);
  assert.equal(useColour('always', false, '1'), true);
  assert.equal(useColour('never', true, undefined), false);
});
