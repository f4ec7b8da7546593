/**
 * `meshprobe dns` and `meshprobe http` as users run them: the CLI in a real process, through a
 * hub with two agents (the matrices, `-v`, `--json`) and directly on this machine, where the
 * default DNS server is MESHPROBE_DNS_SERVERS. Names resolve through the test DNS server only.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startDnsHttpFixture, type DnsHttpFixture } from '../helpers/dns-http-fixture.ts';
import { node24, root } from '../helpers/launcher-process.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

const shim = join(root, 'bin', 'meshprobe.js');

let f: DnsHttpFixture;
let hub: TestHub;

before(async () => {
  f = await startDnsHttpFixture();
  hub = await startTestHub({ allowAnonymous: true, agents: f.agents });
});
after(async () => {
  await hub?.close();
  await f?.close();
});

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously: the servers live in this process and must keep answering. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  if (!env.MESHPROBE_HUB) delete e.MESHPROBE_HUB;
  if (!env.MESHPROBE_DNS_SERVERS) delete e.MESHPROBE_DNS_SERVERS;
  const child = spawn(node24, [shim, ...args], { cwd: root, env: e, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((ok) => child.on('close', (status) => ok({ status, stdout, stderr })));
}

test('meshprobe --hub URL dns from two agents prints dig lines per agent and the agent × answer matrix', async () => {
  const r = await cli(['--hub', hub.url, 'dns', '-s', 'local,second', 'www.example.test']);
  assert.equal(r.status, 0, r.stderr);
  for (const agent of ['local', 'second']) {
    assert.match(r.stdout, new RegExp(`^\\[${agent}\\] www\\.example\\.test\\.\\t60\\tIN\\tA\\t127\\.0\\.0\\.7$`, 'm'), r.stdout);
    assert.match(r.stdout, new RegExp(`^${agent} +www\\.example\\.test +127\\.0\\.0\\.7 +[0-9.]+ ms$`, 'm'), r.stdout);
  }
});

test('meshprobe --hub URL http -v prints the status, phase timings, TLS line, headers and body', async () => {
  const r = await cli(['--hub', hub.url, 'http', '-v', '-s', 'local', '--http2', f.httpsUrl]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^HTTP/2 200 OK  GET ${f.httpsUrl.replace(/[.]/g, '\\.')}  from 127\\.0\\.0\\.1:${f.tls.port}, 11 bytes$`, 'm'));
  assert.match(r.stdout, /^dns [0-9.]+  connect [0-9.]+  tls [0-9.]+  first byte [0-9.]+  download [0-9.]+  total [0-9.]+ ms$/m);
  assert.match(r.stdout, /^tls TLSv1\.3 .* h2; CN=web\.test, issuer CN=meshprobe test CA; .*trusted, valid for the host$/m);
  assert.match(r.stdout, /^< x-test: yes$/m);
  assert.match(r.stdout, /^first\nlast$/m);
});

test('meshprobe --hub URL http --json prints the raw events, the answer with every field', async () => {
  const r = await cli(['--hub', hub.url, 'http', '--json', '-s', 'second', f.httpUrl]);
  assert.equal(r.status, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; data?: Record<string, unknown> });
  const answer = events.find((e) => e.type === 'answer');
  assert.ok(answer?.data, r.stdout);
  assert.deepEqual(Object.keys(answer.data['timings'] as object).sort(), ['connectMs', 'dnsMs', 'downloadMs', 'firstByteMs', 'tlsMs', 'totalMs']);
  assert.equal(events.at(-1)?.type, 'done');
});

test('without a hub, meshprobe dns asks the server of MESHPROBE_DNS_SERVERS by default, and -x asks for the PTR', async () => {
  const env = { MESHPROBE_DNS_SERVERS: f.dns.servers.join(',') };
  const before = f.dns.queries.length;
  const r = await cli(['dns', 'www.example.test'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^; <<>> meshprobe dns <<>> www\.example\.test A @127\.0\.0\.1 \(udp\)$/m, r.stdout);
  assert.match(r.stdout, new RegExp(`;; NOERROR, flags: qr rd ra; 1 answer; [0-9.]+ ms from 127\\.0\\.0\\.1#${f.dns.port} \\(udp`), r.stdout);
  assert.ok(f.dns.queries.slice(before).some((q) => q.name === 'www.example.test' && q.type === 'A'));
  const x = await cli(['dns', '-x', '127.0.0.7'], env);
  assert.equal(x.status, 0, x.stderr);
  assert.match(x.stdout, /^7\.0\.0\.127\.in-addr\.arpa\.\t60\tIN\tPTR\twww\.example\.test\.$/m);
});

test('meshprobe help dns and help http print the usage', async () => {
  const dns = await cli(['help', 'dns']);
  assert.equal(dns.status, 0, dns.stderr);
  assert.match(dns.stdout, /^usage: dns /m);
  const http = await cli(['help', 'http']);
  assert.equal(http.status, 0, http.stderr);
  assert.match(http.stdout, /^usage: http /m);
});
