// Acceptance of issue 4 with separate processes: a hub (bin/start.ts) and remote agents
// (agent/main.ts) dialling it over WebSocket, on loopback only.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { splitLines } from '../../shared/wire/ndjson.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

let dataDir: string;
let hub: NodeProcess | undefined;
let hubUrl: string;
let admin: string;
const agents = new Map<string, NodeProcess>();

async function startHub(listen = '127.0.0.1:0'): Promise<void> {
  hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: listen, MESHPROBE_DATA_DIR: dataDir, MESHPROBE_ALLOW_ANONYMOUS: '', MESHPROBE_POLICY: '' });
  hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1]!;
}

async function mint(sub: string, scope: string): Promise<string> {
  const res = await fetch(hubUrl + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub, scope, ttl: '1h' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

function startAgent(name: string, token: string, extra: string[] = []): NodeProcess {
  const p = startNode('agent/main.ts', ['--hub', hubUrl, '--name', name, '--token', token, ...extra]);
  agents.set(name, p);
  return p;
}

async function agentNames(): Promise<string[]> {
  const res = await fetch(hubUrl + '/v1/agents', { headers: { authorization: `Bearer ${admin}` } });
  return ((await res.json()) as { agents: Array<{ name: string }> }).agents.map((a) => a.name).sort();
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-remote-'));
  await startHub();
  admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
});

after(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop('SIGKILL')));
  await hub?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('the embedded hub writes its admin token with mode 0600 and prints it', async () => {
  assert.equal((await stat(join(dataDir, 'admin.token'))).mode & 0o777, 0o600);
  assert.ok(hub!.lines.some((l) => l.includes(admin)), 'the admin token is printed at start');
  const anon = await fetch(hubUrl + '/v1/measurements', { method: 'POST', body: '{}' });
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Bearer/);
});

test('two agent processes connect; ping -s lax1,fra1 streams tagged replies; killing fra1 yields its error and lax1 finishes', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  startAgent('lax1', await mint('agent:lax1', 'agent'), ['--country', 'US', '--city', 'Los Angeles', '--asn', '64500', '--metrics-listen', '127.0.0.1:0']);
  startAgent('fra1', await mint('agent:fra1', 'agent'), ['--country', 'DE', '--city', 'Frankfurt', '--asn', '64501']);
  await agents.get('lax1')!.waitFor(/connected to/);
  await agents.get('fra1')!.waitFor(/connected to/);
  assert.deepEqual((await agentNames()).filter((n) => n !== 'local'), ['fra1', 'lax1']);

  // The command line as people type it, through /v1/cli: both agents answer, each labelled.
  const cli = await fetch(hubUrl + '/v1/cli', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: 'ping -s lax1,fra1 -c 2 -i 0.05 127.0.0.1' });
  const text = await cli.text();
  assert.equal(cli.status, 200, text);
  assert.match(text, /lax1/);
  assert.match(text, /fra1/);
  assert.equal(text.match(/2 packets transmitted, 2 received/g)?.length, 2, text);

  const res = await fetch(hubUrl + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1', 'fra1'], count: 12, intervalMs: 100 }),
  });
  assert.equal(res.status, 200);
  const events: MeasurementEvent[] = [];
  let killed = false;
  for await (const line of splitLines(res.body!)) {
    const e = JSON.parse(line) as MeasurementEvent;
    events.push(e);
    if (!killed && e.type === 'reply' && e.agent === 'fra1' && e.seq >= 2) {
      killed = true;
      agents.get('fra1')!.child.kill('SIGKILL');
    }
  }
  assert.ok(killed, 'fra1 replied before it was killed');
  const fraErr = events.find((e) => e.type === 'error' && e.agent === 'fra1');
  assert.equal(fraErr?.type === 'error' && fraErr.code, 'MP_ERR_AGENT_LOST');
  assert.equal(fraErr?.type === 'error' && fraErr.target, '127.0.0.1');
  const lax = events.filter((e) => e.type === 'reply' && e.agent === 'lax1');
  assert.equal(lax.length, 12, 'lax1 finished all its probes');
  const laxSummary = events.find((e) => e.type === 'summary' && e.agent === 'lax1');
  assert.equal(laxSummary?.type === 'summary' && laxSummary.received, 12);
  const done = events.at(-1);
  assert.equal(done?.type, 'done');
  assert.equal(done?.type === 'done' && done.errors, 1);
  assert.ok(events.every((e) => e.type === 'done' || ('agent' in e && (e.agent === 'lax1' || e.agent === 'fra1'))), 'every event is tagged');
  // The agent's own metrics count what it sent and received.
  const metricsUrl = (await agents.get('lax1')!.waitFor(/metrics on (http:\/\/\S+)/))[1]!;
  const metrics = await (await fetch(metricsUrl)).text();
  assert.match(metrics, /meshprobe_agent_packets_sent_total\{measurement="ping",agent="lax1"\} 14/); // 2 (cli) + 12
  assert.match(metrics, /meshprobe_agent_packets_received_total\{measurement="ping",agent="lax1"\} 14/); // 2 (cli) + 12
  assert.match(metrics, /meshprobe_agent_measurements_running\{agent="lax1"\} 0/);
  agents.delete('fra1');
  for (let i = 0; i < 50 && (await agentNames()).includes('fra1'); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!(await agentNames()).includes('fra1'), 'the killed agent left the registry');
});

test('/v1/cli lists agents from the registry and renders a remote ping', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const cli = async (line: string) => {
    const res = await fetch(hubUrl + '/v1/cli', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: line });
    return { status: res.status, text: await res.text() };
  };
  const list = await cli('list');
  assert.equal(list.status, 200);
  assert.match(list.text, /lax1/);
  const ping = await cli('ping -s lax1 -c 2 -i 0.05 127.0.0.1');
  assert.equal(ping.status, 200);
  assert.match(ping.text, /icmp_seq=2/);
  assert.match(ping.text, /2 packets transmitted, 2 received/);
});

test('a user token cannot register an agent: the agent process says why and exits non-zero', async () => {
  const p = startAgent('evil1', await mint('telegram:7', 'measure'));
  const code = await p.exited;
  agents.delete('evil1');
  assert.equal(code, 1);
  assert.ok(p.lines.some((l) => /refused this agent \(403\).*agent token/.test(l)), p.lines.join('\n'));
  assert.ok(!(await agentNames()).includes('evil1'));
});

test('the hub restarts: the agents are back (well within a generous bound)', async () => {
  assert.ok((await agentNames()).includes('lax1'));
  const port = new URL(hubUrl).port;
  await hub!.stop();
  const stopped = performance.now();
  await startHub(`127.0.0.1:${port}`);
  let back = false;
  while (performance.now() - stopped < 15_000) {
    if ((await agentNames()).includes('lax1')) {
      back = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(back, 'lax1 reconnected to the restarted hub');
  const seconds = (performance.now() - stopped) / 1000;
  t_note(`lax1 back ${seconds.toFixed(2)} s after the hub stopped`);
});

function t_note(s: string): void {
  process.stdout.write(`# ${s}\n`);
}
