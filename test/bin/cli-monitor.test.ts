// `meshprobe monitor …` (the CLI's code, in this process) and `POST /v1/cli` against a real hub
// with its SQLite store, and an agent speaking the real protocol that reports minute rows:
// add → list shows it with the agent's numbers → show → pause → rm → list empty.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCommand } from '../../bin/cli-command.ts';
import { Histogram } from '../../shared/model/histogram.ts';
import type { MinuteRow, MonitorView } from '../../shared/model/monitor-types.ts';
import { MonitorAgent } from '../helpers/monitor-agent.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

let t: TestHub;
let agent: MonitorAgent;
let user: string;

before(async () => {
  t = await startTestHub();
  agent = await MonitorAgent.connect(t.url, (await t.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token, 'lax1');
  user = await t.token(['measure'], 'telegram:7');
});
after(async () => {
  await agent?.close();
  await t?.close();
});

async function cli(args: string[], o: { hub?: boolean; terminal?: boolean; env?: Record<string, string> } = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCommand({
    argv: [...(o.hub === false ? [] : ['--hub', t.url, '--token', user]), ...args],
    env: o.env ?? {},
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    interrupt: new AbortController().signal,
    ...(o.terminal ? { terminal: { columns: 120, rows: 40 } } : {}),
  });
  return { status, stdout, stderr };
}

async function cliLine(line: string, token = user): Promise<{ status: number; text: string }> {
  const res = await fetch(`${t.url}/v1/cli`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: line });
  return { status: res.status, text: await res.text() };
}

function row(m: number, minute: number, rtts: (number | null)[]): MinuteRow {
  const h = new Histogram();
  const got = rtts.filter((r): r is number => r !== null);
  for (const r of got) h.add(r);
  return { m, t: minute, sent: rtts.length, recv: got.length, sum: got.reduce((a, b) => a + b, 0), hist: h.pairs(), min: Math.min(...got), max: Math.max(...got), last: got.at(-1)!, lastAt: minute + 30_000, ewma: [0.2, 0.25, 0.3], addr: '127.0.0.1' };
}

test('CLI: monitor add → list shows meshping\'s table with the agent\'s numbers → show → pause → rm → list empty', async () => {
  const added = await cli(['monitor', 'add', 'lo@127.0.0.1', '-i', '2s', '-s', 'lax1']);
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /^added monitor #\d+ lo \(lo@127\.0\.0\.1\): probes 127\.0\.0\.1 every 2s, from lax1\nsee it with: monitor show \d+\n$/);
  const id = Number(/#(\d+)/.exec(added.stdout)![1]);
  await agent.assigned([id]);
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  await agent.reportAcked(1, [row(id, minute - 60_000, [0.1, 0.2, null, 0.4])]);

  const list = await cli(['monitor', 'list']);
  assert.equal(list.status, 0, list.stderr);
  assert.match(list.stdout, /^from lax1:\nTarget +Address +Sent +Recv +Succ +Loss +Min +Avg15m +Avg6h +Avg24h +Max +Last\n/);
  assert.match(list.stdout, /^lo +127\.0\.0\.1 +4 +3 +75\.0% +25\.0% +0\.100 +0\.200 +0\.250 +0\.300 +0\.400 +0\.400$/m);
  assert.ok(!list.stdout.includes('\u001b['), 'no colour when not a terminal');
  const coloured = await cli(['monitor', 'list'], { terminal: true });
  assert.match(coloured.stdout, /\u001b\[31m *25\.0%\u001b\[0m/, 'loss coloured on a terminal');
  const plain = await cli(['monitor', 'list'], { terminal: true, env: { NO_COLOR: '1' } });
  assert.ok(!plain.stdout.includes('\u001b['), 'NO_COLOR honoured');

  const json = await cli(['monitor', 'list', '--json']);
  const body = JSON.parse(json.stdout) as { monitors: MonitorView[] };
  assert.deepEqual(body.monitors.map((m) => m.name), ['lo']);

  const show = await cli(['monitor', 'show', 'lo', '--range', '1h']);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, /^monitor #\d+ lo \(lo@127\.0\.0\.1\)\nprobes 127\.0\.0\.1 every 2s\nfrom lax1/);
  assert.match(show.stdout, /^over the last 1h \(times in ms\):\nfrom lax1 to 127\.0\.0\.1:\n {2}sent 4 recv 3 loss !!25\.0%$/m);
  assert.match(show.stdout, /^ {2}p50 [\d.]+ p95 [\d.]+ p99 [\d.]+$/m);

  const paused = await cli(['monitor', 'pause', 'lo']);
  assert.match(paused.stdout, /^paused monitor #\d+ lo/);
  await agent.assigned([]);
  const resumed = await cli(['monitor', 'resume', String(id)]);
  assert.match(resumed.stdout, /^resumed monitor #\d+ lo/);

  const removed = await cli(['monitor', 'rm', 'lo']);
  assert.equal(removed.status, 0, removed.stderr);
  assert.match(removed.stdout, /^removed monitor #\d+ lo\n$/);
  const empty = await cli(['monitor', 'list']);
  assert.equal(empty.stdout, 'no monitors; add one with: monitor add TARGET\n');
});

test('CLI: refusals are one line with the right exit status', async () => {
  const noHub = await cli(['monitor', 'list'], { hub: false });
  assert.equal(noHub.status, 2);
  assert.match(noHub.stderr, /^meshprobe: monitor needs a hub/);
  const bad = await cli(['monitor', 'add', '127.1']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^monitor add: '127\.1' is a shorthand IPv4 form/);
  const missing = await cli(['monitor', 'show', 'nosuch']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^meshprobe: .*nosuch/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
});

test('/v1/cli: monitor add → list → show → rm → list empty, for the token\'s subject', async () => {
  const added = await cliLine('monitor add --name v1 127.0.0.1');
  assert.equal(added.status, 200, added.text);
  assert.match(added.text, /^added monitor #\d+ v1 \(127\.0\.0\.1\): probes 127\.0\.0\.1 every 1s, from lax1/);
  const list = await cliLine('monitor list');
  assert.match(list.text, /^from lax1:\nTarget/);
  assert.match(list.text, /^v1 +127\.0\.0\.1 +0 +0 +- +- /m);
  // Another subject sees none of it.
  const other = await t.token(['measure'], 'telegram:8');
  assert.equal((await cliLine('monitor list', other)).text, 'no monitors; add one with: monitor add TARGET\n');
  const notFound = await cliLine('monitor show v1', other);
  assert.equal(notFound.status, 404);
  assert.match(notFound.text, /v1/);
  const show = await cliLine('monitor show v1');
  assert.match(show.text, /^monitor #\d+ v1 \(127\.0\.0\.1\)$/m);
  const json = await cliLine('monitor show v1 --json');
  assert.equal(JSON.parse(json.text).name, 'v1');
  assert.match((await cliLine('monitor rm v1')).text, /^removed monitor #\d+ v1\n$/);
  assert.equal((await cliLine('monitor list')).text, 'no monitors; add one with: monitor add TARGET\n');
  const refused = await cliLine('monitor add x.test -i 2h');
  assert.equal(refused.status, 400);
  assert.match(refused.text, /^monitor add: -i: interval must be at most 1h\nusage: monitor add/);
});
