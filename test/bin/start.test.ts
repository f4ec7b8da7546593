// The embedded default end to end: `bin/start.ts` as a real process with its LocalAgent,
// driven over HTTP on loopback, as the README's curl lines do.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MeasurementEvent, SummaryEvent } from '../../shared/model/events.ts';
import { splitLines } from '../../shared/wire/ndjson.ts';
import { measureAt, readEvents } from '../helpers/hub-stream.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import type { TestDnsServer } from '../helpers/dns-server.ts';
import { countEchoRequests, echoCounterUnavailable } from '../helpers/echo-counter.ts';
import { node24, root, startMain } from '../helpers/launcher-process.ts';
import type { MainProcess } from '../helpers/launcher-process.ts';

let dns: TestDnsServer;
let main: MainProcess;

before(async () => {
  dns = await startDnsServer({ 'box.meshprobe.test': ['127.0.0.1'], 'six.meshprobe.test': ['::1'] });
  main = await startMain({ MESHPROBE_DNS_SERVERS: dns.servers.join(','), MESHPROBE_AGENT_NAME: 'local' });
});
after(async () => {
  await main?.stop();
  await dns?.close();
});

const hasLoopback6 = () => Object.values(networkInterfaces()).flat().some((i) => i?.address === '::1');

const measure = (spec: unknown, signal?: AbortSignal): Promise<MeasurementEvent[]> => measureAt(main.url, spec, signal ? { signal } : {});

/** Skips when the agent has no way to open ICMP sockets here (not root, no ping_group_range). */
function permissionProblem(events: MeasurementEvent[]): string | undefined {
  const e = events.find((x) => x.type === 'error' && x.code === 'MP_ERR_PERMISSION');
  return e && e.type === 'error' ? e.message : undefined;
}

test('the ready line names the URL; the printed curl lines work as printed; the data directory exists', async (t) => {
  const lines = main.stdout().split('\n');
  assert.match(lines[0]!, /^meshprobe \d+\.\d+\.\d+ hub listening on http:\/\/127\.0\.0\.1:\d+ /);
  assert.ok(existsSync(main.dataDir));
  const measurements = lines.find((l) => /^\s*curl .*\/v1\/measurements$/.test(l));
  const cliLine = lines.find((l) => /^\s*curl .*'ping -c 3 127\.0\.0\.1' .*\/v1\/cli$/.test(l));
  // biome-ignore lint/complexity/useOptionalChain: the && form narrows both to string for tsc below.
  assert.ok(measurements && measurements.includes(`${main.url}/v1/measurements`), main.stdout());
  // biome-ignore lint/complexity/useOptionalChain: as above.
  assert.ok(cliLine && cliLine.includes(`${main.url}/v1/cli`), main.stdout());
  if (!existsSync('/usr/bin/curl')) return t.skip('no curl to run the printed lines with');
  // Run them through a shell exactly as a user would paste them.
  const sh = (cmd: string) => new Promise<string>((ok, fail) => execFile('sh', ['-c', cmd], { timeout: 30_000 }, (err, out) => (err ? fail(err) : ok(out))));
  const ndjson = (await sh(measurements.trim())).trimEnd().split('\n').map((l) => JSON.parse(l) as MeasurementEvent);
  if (permissionProblem(ndjson)) return t.skip('no ICMP socket');
  assert.deepEqual(ndjson.map((e) => e.type), ['start', 'reply', 'reply', 'reply', 'summary', 'done']);
  assert.match(await sh(cliLine.trim()), /3 packets transmitted, 3 received, 0% packet loss/);
});

test('the banner names the web UI, which the hub serves at / with its CSP and guest sign-in on loopback', async () => {
  const line = main.stdout().split('\n').find((l) => l.includes('web UI:'));
  assert.ok(line?.includes(`${main.url}/`), main.stdout());
  const page = await fetch(`${main.url}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  await page.arrayBuffer();
  const session = (await (await fetch(`${main.url}/v1/session`)).json()) as { signIn: { guest: boolean } };
  assert.equal(session.signIn.guest, true);
});

for (const [target, family] of [['127.0.0.1', 4], ['::1', 6]] as const) {
  test(`POST /v1/measurements ${target} count 3: start, three replies, summary 3/3, done`, async (t) => {
    if (family === 6 && !hasLoopback6()) return t.skip('::1 is not configured on this host');
    const ev = await measure({ type: 'ping', targets: [target], count: 3, intervalMs: 200 });
    const why = permissionProblem(ev);
    if (why) return t.skip(`no ICMP socket: ${why}`);
    assert.deepEqual(ev.map((e) => e.type), ['start', 'reply', 'reply', 'reply', 'summary', 'done']);
    const start = ev[0]!;
    assert.ok(start.type === 'start' && start.agent === 'local' && start.address === target && start.family === family);
    const replies = ev.filter((e) => e.type === 'reply');
    assert.deepEqual(replies.map((r) => r.type === 'reply' && r.seq), [1, 2, 3]);
    for (const r of replies) assert.ok(r.type === 'reply' && r.from === target && r.rttMs > 0 && r.agent === 'local');
    const summary = ev[4] as SummaryEvent;
    assert.deepEqual([summary.sent, summary.received, summary.lossPct], [3, 3, 0]);
    assert.deepEqual({ ...ev[5]!, durationMs: 0 }, { type: 'done', parts: 1, sent: 3, received: 3, errors: 0, durationMs: 0 });
  });
}

test('POST /v1/cli "ping -c 3 127.0.0.1" answers iputils-style text', async (t) => {
  const res = await fetch(main.url + '/v1/cli', { method: 'POST', body: 'ping -c 3 -i 0.2 127.0.0.1' });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain/);
  const text = await res.text();
  if (/MP_ERR_PERMISSION|permission/i.test(text) && !/bytes from/.test(text)) return t.skip(`no ICMP socket: ${text.trim()}`);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$/);
  const replies = lines.filter((l) => /^64 bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$/.test(l));
  assert.equal(replies.length, 3, text);
  assert.ok(lines.includes('--- 127.0.0.1 ping statistics ---'), text);
  assert.ok(lines.some((l) => /^3 packets transmitted, 3 received, 0% packet loss/.test(l)), text);
  assert.ok(lines.some((l) => /^rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms$/.test(l)), text);
});

test('POST /v1/cli with bad input answers 400: the one-line reason, then the usage', async () => {
  for (const [line, reason] of [['ping -c abc 127.0.0.1', /abc/], ['ping --frobnicate 127.0.0.1', /frobnicate/], ['pong 127.0.0.1', /pong/]] as const) {
    const res = await fetch(main.url + '/v1/cli', { method: 'POST', body: line });
    assert.equal(res.status, 400, line);
    const [first, ...rest] = (await res.text()).trimEnd().split('\n');
    assert.match(first!, reason, line);
    assert.match(rest.join('\n'), /usage|ping|help/i, line);
    assert.doesNotMatch(rest.join('\n'), /\bat .*\.ts:\d+/, 'no stack trace');
  }
});

test('POST /v1/cli answers help, version and list', async () => {
  const text = async (line: string) => {
    const res = await fetch(main.url + '/v1/cli', { method: 'POST', body: line });
    assert.equal(res.status, 200, line);
    return res.text();
  };
  assert.match(await text('help'), /ping/);
  assert.match(await text('version'), /^meshprobe \d+\.\d+\.\d+/);
  assert.match(await text('list'), /^AGENT .*\nlocal\s/);
});

test('GET /v1/agents lists the local agent; GET /healthz is ok', async () => {
  const agents = (await (await fetch(main.url + '/v1/agents')).json()) as { agents: Array<{ name: string }> };
  assert.deepEqual(agents.agents.map((a) => a.name), ['local']);
  assert.equal((await fetch(main.url + '/healthz')).status, 200);
});

test('a hostname resolves through the DNS server given in MESHPROBE_DNS_SERVERS', async (t) => {
  const ev = await measure({ type: 'ping', targets: ['box.meshprobe.test'], count: 2, intervalMs: 200 });
  const why = permissionProblem(ev);
  if (why) return t.skip(`no ICMP socket: ${why}`);
  const start = ev.find((e) => e.type === 'start');
  assert.ok(start && start.type === 'start' && start.address === '127.0.0.1' && start.target === 'box.meshprobe.test');
  assert.equal(ev.filter((e) => e.type === 'reply').length, 2);
  assert.ok(dns.queries.some((q) => q.name === 'box.meshprobe.test'));
});

test('a name that does not resolve: an MP_ERR_RESOLVE error event naming it, then done', async () => {
  const ev = await measure({ type: 'ping', targets: ['nowhere.meshprobe.test'], count: 1 });
  assert.deepEqual(ev.map((e) => e.type), ['error', 'done']);
  const e = ev[0]!;
  assert.ok(e.type === 'error' && e.code === 'MP_ERR_RESOLVE' && e.message.includes('nowhere.meshprobe.test'), JSON.stringify(e));
});

test('bad specs answer 400 with one line naming the field', async () => {
  const res = await fetch(main.url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"ping","targets":["127.0.0.1"],"count":100000}' });
  assert.equal(res.status, 400);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'MP_ERR_BAD_REQUEST');
  assert.match(body.error.message, /count must be at most 10000/);
});

test('a client that disconnects mid-measurement: the agent stops sending (echo requests counted by nftables)', async (t) => {
  const why = await echoCounterUnavailable();
  if (why) return t.skip(why);
  // An address of its own, so that other tests' pings are not counted.
  const target = `127.77.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const counter = await countEchoRequests(target);
  try {
    const ac = new AbortController();
    const res = await fetch(main.url + '/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'ping', targets: [target], count: 10_000, intervalMs: 20 }),
      signal: ac.signal,
    });
    let replies = 0;
    try {
      for await (const line of splitLines(res.body!)) {
        const e = JSON.parse(line) as MeasurementEvent;
        if (e.type === 'error' && e.code === 'MP_ERR_PERMISSION') return t.skip(`no ICMP socket: ${e.message}`);
        if (e.type === 'reply' && ++replies === 5) ac.abort();
      }
    } catch (err) {
      if (!ac.signal.aborted) throw err;
    }
    assert.equal(replies, 5);
    // Let the hub notice the close and the agent wind down, then the count must stand still.
    await new Promise((r) => setTimeout(r, 300));
    const afterAbort = await counter.read();
    await new Promise((r) => setTimeout(r, 600));
    const later = await counter.read();
    assert.ok(afterAbort >= 5, `saw ${afterAbort} echo requests`);
    assert.equal(later, afterAbort, `the agent kept sending: ${afterAbort} → ${later}`);
    assert.ok(later < 100, `far fewer than the 10000 asked for: ${later}`);
  } finally {
    await counter.close();
  }
});

test('bad MESHPROBE_LISTEN and a port in use fail with one line, non-zero', () => {
  const run = (listen: string) => spawnSync(node24, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], {
    env: { ...process.env, MESHPROBE_LISTEN: listen, MESHPROBE_DATA_DIR: main.dataDir },
    encoding: 'utf8',
    timeout: 20_000,
  });
  const bad = run('127.0.0.1:notaport');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^meshprobe: listen address "127\.0\.0\.1:notaport" .*\n$/);
  const busy = run(new URL(main.url).host);
  assert.notEqual(busy.status, 0);
  assert.match(busy.stderr, /^meshprobe: cannot listen on 127\.0\.0\.1:\d+: the address is in use.*\n$/);
});

test('SIGINT closes the hub cleanly (exit 0), even with a stream running', async () => {
  const other = await startMain();
  const res = await fetch(other.url + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], count: 10_000, intervalMs: 100 }),
  });
  const it = splitLines(res.body!)[Symbol.asyncIterator]();
  await it.next();
  const code = await other.stop('SIGINT');
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push((JSON.parse(r.value) as MeasurementEvent).type);
  assert.equal(code, 0, other.stderr());
  assert.equal(rest.at(-1), 'done', 'the running stream still ended with done');
});

test('with tokens required, a 401 to a local client names the admin token file, in one line', async () => {
  const locked = await startMain({ MESHPROBE_ALLOW_ANONYMOUS: '' });
  try {
    const res = await fetch(locked.url + '/v1/cli', { method: 'POST', body: 'version' });
    assert.equal(res.status, 401);
    const text = (await res.text()).trimEnd();
    assert.equal(text.split('\n').length, 1, text);
    assert.ok(text.endsWith(`on this machine an admin token is in ${join(locked.dataDir, 'admin.token')}`), text);
    assert.ok(existsSync(join(locked.dataDir, 'admin.token')), 'and the file is there');
  } finally {
    await locked.stop();
  }
});

test('npm start: MESHPROBE_AGENT_RANGES restricts the embedded agent (literals and names); its packets show in /metrics', async (t) => {
  const bad = spawnSync(node24, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], {
    env: { ...process.env, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: main.dataDir, MESHPROBE_AGENT_RANGES: 'local=127.0.0.0/40' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, 'meshprobe: MESHPROBE_AGENT_RANGES: 127.0.0.0/40 (agent local) is not a CIDR prefix\n');
  const ranged = await startMain({ MESHPROBE_AGENT_RANGES: 'local=127.0.0.0/8', MESHPROBE_DNS_SERVERS: dns.servers.join(',') });
  try {
    const res = await fetch(ranged.url + '/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1', '::1', 'six.meshprobe.test'], count: 2, intervalMs: 50 }),
    });
    const events = await readEvents(res);
    const problem = permissionProblem(events);
    if (problem) return t.skip(problem);
    const message = (target: string) => {
      const e = events.find((x) => x.type === 'error' && x.target === target);
      return e?.type === 'error' ? e.message : undefined;
    };
    assert.equal(message('::1'), "::1 is outside agent local's allowed ranges (127.0.0.0/8), set at the hub");
    assert.equal(message('six.meshprobe.test'), "six.meshprobe.test resolves to ::1, outside agent local's allowed ranges (127.0.0.0/8), set at the hub");
    assert.equal((events.find((e) => e.type === 'summary') as SummaryEvent | undefined)?.received, 2);
    const metrics = await (await fetch(ranged.url + '/metrics')).text();
    assert.match(metrics, /^meshprobe_agent_packets_sent_total\{measurement="ping",agent="local"\} 2$/m);
    assert.match(metrics, /^meshprobe_agent_errors_total\{code="MP_ERR_POLICY",agent="local"\} 1$/m, 'the name refused after resolution');
    assert.match(metrics, /^meshprobe_hub_requests_total\{route="measurements",method="POST",status="200"\} 1$/m);
  } finally {
    await ranged.stop();
  }
});
