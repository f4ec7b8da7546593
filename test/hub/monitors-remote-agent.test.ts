// Acceptance of issue 13 with separate processes: a hub (bin/start.ts) with its data dir and a
// real remote agent (agent/main.ts, what `meshprobe agent` runs) with its own, a monitor on
// 127.0.0.x every 500 ms from that agent. (a) add → first sample in `monitor show` within two
// intervals; (b) the hub process is stopped for ~62 s, across a minute boundary, and started
// again on the same port and data dir: every minute's row arrives, none counted twice (a minute
// holds 60 s / 500 ms = 120 probes, give or take the one whose outcome falls on the boundary);
// (c) the restarted hub still has the monitor and its history, and the agent gets its
// assignment back. Minutes are real minutes here (no test-only clock in the product): the test
// takes about two minutes.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { MonitorDetail, MonitorSamplesResponse, MonitorView } from '../../shared/model/monitor-types.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

const INTERVAL_MS = 500;
const PER_MINUTE = 60_000 / INTERVAL_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function startHub(dataDir: string, listen: string): Promise<{ proc: NodeProcess; url: string }> {
  const proc = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: listen, MESHPROBE_DATA_DIR: dataDir, MESHPROBE_ALLOW_ANONYMOUS: '', MESHPROBE_POLICY: '' });
  const url = (await proc.waitFor(/listening on (http:\/\/\S+)/, 30_000))[1]!;
  return { proc, url };
}

test('a real agent process: first sample within two intervals; a hub stopped across a minute boundary loses no minute and counts none twice; the restarted hub keeps monitor and history and the agent gets it back', { timeout: 240_000 }, async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const hubDir = await mkdtemp(join(tmpdir(), 'mp-mon-hub-'));
  const agentDir = await mkdtemp(join(tmpdir(), 'mp-mon-agent-'));
  cleanup.push(() => rm(hubDir, { recursive: true, force: true }), () => rm(agentDir, { recursive: true, force: true }));
  let hub = await startHub(hubDir, '127.0.0.1:0');
  cleanup.push(() => hub.proc.stop('SIGKILL'));
  const listen = new URL(hub.url).host;
  const admin = (await readFile(join(hubDir, 'admin.token'), 'utf8')).trim();
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
    const res = await fetch(hub.url + path, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: (await res.json()) as T };
  };
  const minted = await api<{ token: string }>('POST', '/v1/tokens', { sub: 'agent:edge1', scope: 'agent', ttl: '1h' });
  assert.equal(minted.status, 201);
  const agent = startNode('agent/main.ts', ['--hub', hub.url, '--name', 'edge1', '--token', minted.json.token, '--data-dir', agentDir]);
  cleanup.push(() => agent.stop('SIGKILL'));
  await agent.waitFor(/connected to/, 30_000);

  // A monitor added late in a minute would see that minute close before the hub is stopped.
  if (new Date().getUTCSeconds() >= 50) await sleep((61 - new Date().getUTCSeconds()) * 1000);

  // (a) add → first sample in `monitor show`.
  const added = await api<MonitorView>('POST', '/v1/monitors', { target: 'lo21@127.0.0.21', interval: `${INTERVAL_MS}ms`, from: ['edge1'] });
  const addedAt = Date.now();
  assert.equal(added.status, 201, JSON.stringify(added.json));
  const id = added.json.id;
  let firstSampleMs = Number.NaN;
  for (let i = 0; i < 100 && Number.isNaN(firstSampleMs); i++) {
    const show = await api<MonitorDetail>('GET', `/v1/monitors/${id}`);
    if ((show.json.stats.find((s) => s.agent === 'edge1')?.sent ?? 0) > 0) firstSampleMs = Date.now() - addedAt;
    else await sleep(50);
  }
  assert.ok(firstSampleMs <= 2 * INTERVAL_MS, `first sample after ${firstSampleMs} ms (two intervals: ${2 * INTERVAL_MS} ms)`);

  // (b) the hub goes away for ~62 s: the minute the monitor began in ends meanwhile.
  await sleep(3000);
  const stoppedAt = Date.now();
  assert.equal(await hub.proc.stop('SIGTERM'), 0, hub.proc.lines.join('\n'));
  await sleep(62_000);
  hub = await startHub(hubDir, listen);
  assert.ok(Date.now() - stoppedAt >= 62_000);

  // (c) the restarted hub has the monitor, the agent comes back and gets its assignment again:
  // its rows flow (the spooled minute first, then the open one).
  for (let i = 0; i < 300 && agent.lines.filter((l) => /connected to/.test(l)).length < 2; i++) await sleep(100);
  assert.equal(agent.lines.filter((l) => /connected to/.test(l)).length, 2, agent.lines.join('\n'));
  const kept = await api<MonitorDetail>('GET', `/v1/monitors/${id}`);
  assert.equal(kept.status, 200);
  assert.deepEqual([kept.json.target, kept.json.intervalMs, kept.json.agents], ['lo21@127.0.0.21', INTERVAL_MS, ['edge1']]);

  // Run on into the minute after the one the hub came back in, so one whole minute was probed
  // partly without the hub; then pause (the agent closes and reports its open minute).
  const firstMinute = Math.floor(addedAt / 60_000) * 60_000;
  const wholeMinute = firstMinute + 60_000;
  while (Date.now() < wholeMinute + 60_000 + 3000) await sleep(500);
  const paused = await api<MonitorView>('PATCH', `/v1/monitors/${id}`, { paused: true });
  assert.equal(paused.status, 200);
  const pausedAt = Date.now();

  let rows: MonitorSamplesResponse['samples'] = [];
  const wanted = (r: typeof rows) => r.filter((s) => s.agent === 'edge1' && s.sent > 0).length >= 3;
  for (let i = 0; i < 40 && !wanted(rows); i++) {
    await sleep(500);
    rows = (await api<MonitorSamplesResponse>('GET', `/v1/monitors/${id}/samples?agent=edge1&from=${firstMinute}&to=now&step=1m`)).json.samples;
  }
  await sleep(2000); // the paused minute's closing row
  rows = (await api<MonitorSamplesResponse>('GET', `/v1/monitors/${id}/samples?agent=edge1&from=${firstMinute}&to=now&step=1m`)).json.samples;
  const byMinute = new Map(rows.filter((s) => s.sent > 0).map((s) => [Date.parse(s.t), s]));
  const detail = [...byMinute].map(([m, s]) => `${new Date(m).toISOString()} sent ${s.sent} recv ${s.received}`).join('; ');

  // The first minute: from the first probe (within one interval of the add) to its end; it
  // closed while the hub was away, so this row came from the agent's spool.
  const first = byMinute.get(firstMinute);
  const expectFirst = Math.floor((firstMinute + 60_000 - addedAt) / INTERVAL_MS);
  assert.ok(first && first.sent >= expectFirst - 3 && first.sent <= expectFirst + 1, `first minute: ${first?.sent} of ~${expectFirst}; ${detail}`);
  // The whole minute, begun without the hub: every probe, once.
  const whole = byMinute.get(wholeMinute);
  assert.ok(whole && Math.abs(whole.sent - PER_MINUTE) <= 1, `whole minute: ${whole?.sent} of ${PER_MINUTE}; ${detail}`);
  // The last minute, up to the pause.
  const lastMinute = wholeMinute + 60_000;
  const last = byMinute.get(lastMinute);
  const expectLast = Math.floor((pausedAt - lastMinute) / INTERVAL_MS);
  assert.ok(last && last.sent >= expectLast - 4 && last.sent <= expectLast + 1, `last minute: ${last?.sent} of ~${expectLast}; ${detail}`);
  assert.deepEqual([...byMinute.keys()], [firstMinute, wholeMinute, lastMinute], `no other minute: ${detail}`);
  for (const s of byMinute.values()) assert.equal(s.received, s.sent, `loopback answers every probe: ${detail}`);
});

test('npm start: the embedded agent runs a monitor added through the REST API (its first sample within two intervals)', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  // The launcher wraps its agent in the target guard, which once hid the agent's monitors: the
  // hub assigned them to "local" and nothing ever probed.
  const dir = await mkdtemp(join(tmpdir(), 'mp-mon-start-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const hub = await startHub(dir, '127.0.0.1:0');
  cleanup.push(() => hub.proc.stop('SIGKILL'));
  const admin = (await readFile(join(dir, 'admin.token'), 'utf8')).trim();
  const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  const res = await fetch(`${hub.url}/v1/monitors`, { method: 'POST', headers: auth, body: JSON.stringify({ target: '127.0.0.22', interval: '1s' }) });
  const addedAt = Date.now();
  const view = (await res.json()) as MonitorView;
  assert.equal(res.status, 201, JSON.stringify(view));
  assert.deepEqual(view.agents, ['local']);
  let sent = 0;
  while (sent === 0 && Date.now() - addedAt < 10_000) {
    const show = (await (await fetch(`${hub.url}/v1/monitors/${view.id}`, { headers: auth })).json()) as MonitorDetail;
    sent = show.stats.find((s) => s.agent === 'local')?.sent ?? 0;
    if (sent === 0) await sleep(50);
  }
  const ms = Date.now() - addedAt;
  assert.ok(sent > 0 && ms <= 2000, `first sample after ${ms} ms (sent ${sent})`);
});
