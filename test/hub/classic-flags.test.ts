// The flags of the classic tools (issue 11, item 17) end to end, on two front-ends: POST /v1/cli
// of a real hub (the path Telegram and email share: grammar → spec → agent → TextRenderer), and
// the CLI spawned as a user runs it. ping -q -w -O -D -n (iputils) and traceroute -n -I -T
// (traceroute(8)). Targets are loopback; names resolve through a test DNS server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { node24, root } from '../helpers/launcher-process.ts';

const skip = rawSkipReason() ?? false;
let dns: TestDnsServer;
let t: TestHub;
let admin: string;

before(async () => {
  dns = await startDnsServer({ 'loop.test': ['127.0.0.1'] });
  t = await startTestHub({ agents: [new LocalAgent({ name: 'local', dnsServers: dns.servers })] });
  admin = await t.token(['admin']);
});

after(async () => {
  await t?.close();
  await dns?.close();
});

async function cliRoute(line: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}/v1/cli`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: line });
  return { status: res.status, text: await res.text() };
}

const REPLY = /^64 bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$/;
const STAMPED = /^\[\d{10}\.\d{6}\] 64 bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$/;

test('/v1/cli: traceroute shows the hop\'s name; -n -I shows the address only, with ICMP probes', { skip }, async () => {
  const named = await cliRoute('traceroute -q 1 -w 1 127.0.0.1');
  assert.equal(named.status, 200, named.text);
  // Whatever name reverse DNS gives 127.0.0.1 here (the test DNS server or the host's own).
  const name = /^ 1 {2}(\S+) \(127\.0\.0\.1\) {2}[\d.]+ ms$/m.exec(named.text)?.[1];
  assert.ok(name, named.text);
  const numeric = await cliRoute('traceroute -n -I -q 1 -w 1 127.0.0.1');
  assert.equal(numeric.status, 200, numeric.text);
  assert.match(numeric.text, /^ 1 {2}127\.0\.0\.1 {2}[\d.]+ ms$/m);
  assert.ok(!numeric.text.includes(`${name} (`), '-n: no reverse DNS');
});

test('/v1/cli: traceroute -T probes with TCP SYN', { skip }, async () => {
  const json = await cliRoute('traceroute --json -n -T -p 9 -q 1 -w 1 127.0.0.1');
  assert.equal(json.status, 200, json.text);
  const start = json.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; protocol?: string }).find((e) => e.type === 'start');
  assert.equal(start?.protocol, 'tcp');
});

test('/v1/cli: ping -q prints the header and the summary only; -D -O stamp each reply line', { skip }, async () => {
  const quiet = await cliRoute('ping -q -c 3 -i 0.05 127.0.0.1');
  assert.equal(quiet.status, 200, quiet.text);
  const lines = quiet.text.split('\n');
  assert.match(lines[0]!, /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$/);
  assert.equal(lines.filter((l) => REPLY.test(l)).length, 0, quiet.text);
  assert.match(quiet.text, /^3 packets transmitted, 3 received, 0% packet loss/m);

  const stamped = await cliRoute('ping -n -D -O -c 3 -i 0.05 127.0.0.1');
  assert.equal(stamped.status, 200, stamped.text);
  assert.equal(stamped.text.split('\n').filter((l) => STAMPED.test(l)).length, 3, stamped.text);
});

test('/v1/cli: ping -w DEADLINE without -c keeps sending until the deadline, then summarises', { skip }, async () => {
  const r = await cliRoute('ping -q -w 1 -i 0.02 127.0.0.1');
  assert.equal(r.status, 200, r.text);
  const m = /^(\d+) packets transmitted, (\d+) received/m.exec(r.text);
  assert.ok(m, r.text);
  // The default count is 4: more than that means the deadline, not the count, ended the run.
  assert.ok(Number(m[1]) > 4, `sent ${m[1]} in a 1 s deadline at 20 ms`);
});

test('the CLI: ping -q -D, traceroute -n, and an unknown flag named with its closest one', { skip }, async () => {
  const run = (args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((ok) => {
      const env: Record<string, string | undefined> = { ...process.env, MESHPROBE_DNS_SERVERS: dns.servers.join(',') };
      delete env['MESHPROBE_HUB'];
      const child = spawn(node24, [join(root, 'bin', 'meshprobe.js'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (status) => ok({ status, stdout, stderr }));
    });
  const quiet = await run(['ping', '-q', '-c', '2', '-i', '0.05', '127.0.0.1']);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stdout, /bytes from/);
  assert.match(quiet.stdout, /^2 packets transmitted, 2 received/m);
  const stamped = await run(['ping', '-D', '-c', '2', '-i', '0.05', '127.0.0.1']);
  assert.equal(stamped.stdout.split('\n').filter((l) => STAMPED.test(l)).length, 2, stamped.stdout);
  const trace = await run(['traceroute', '-n', '-q', '1', '-w', '1', 'loop.test']);
  assert.equal(trace.status, 0, trace.stderr);
  assert.match(trace.stdout, /^ 1 {2}127\.0\.0\.1 {2}[\d.]+ ms$/m);
  const typo = await run(['ping', '--cout', '3', '127.0.0.1']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /^ping: unknown option --cout; did you mean --count\?$/m);
});
