// 1,000 concurrent measurement streams through one hub process, relayed from one remote agent
// process, all completing without error; the hub's resident memory stays bounded across rounds.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { readEvents } from '../helpers/hub-stream.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

const STREAMS = 1000;
let dataDir: string;
let hub: NodeProcess;
let agent: NodeProcess | undefined;
let hubUrl: string;
let admin: string;
// Enough sockets for every stream at once; the global dispatcher is left alone. 1,000 streams
// at 10 packets/s each stay inside the agent's default budget of 20,000 packets/s.
const dispatcher = new Agent({ connections: STREAMS + 10, pipelining: 0 });

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-many-'));
  hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_SUBJECT_RATE: '0', MESHPROBE_STREAMS_PER_SUBJECT: '0', MESHPROBE_STREAMS_PER_IP: '0' });
  hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
});

after(async () => {
  await agent?.stop();
  await hub?.stop();
  await dispatcher.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function rssBytes(): Promise<number> {
  const text = await (await fetch(hubUrl + '/metrics')).text();
  const m = /^meshprobe_hub_process_resident_memory_bytes (\d+)/m.exec(text);
  assert.ok(m, 'the hub exports its resident memory');
  return Number(m[1]);
}

async function oneStream(i: number): Promise<MeasurementEvent[]> {
  const res = await fetch(hubUrl + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ type: 'ping', targets: [`127.0.${Math.floor(i / 250)}.${(i % 250) + 1}`], from: ['m1'], count: 2, intervalMs: 100, timeoutMs: 1000 }),
    dispatcher,
  } as RequestInit);
  assert.equal(res.status, 200, `stream ${i}: ${res.status}`);
  return readEvents(res);
}

test(`${STREAMS} concurrent streams through one hub complete without error and memory stays bounded`, async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const minted = await fetch(hubUrl + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub: 'agent:m1', scope: 'agent' }),
  });
  const token = ((await minted.json()) as { token: string }).token;
  agent = startNode('agent/main.ts', ['--hub', hubUrl, '--name', 'm1', '--token', token]);
  await agent.waitFor(/connected to/);

  const rss: number[] = [await rssBytes()];
  for (let round = 1; round <= 2; round++) {
    const started = performance.now();
    const all = await Promise.all(Array.from({ length: STREAMS }, (_, i) => oneStream(i)));
    const seconds = (performance.now() - started) / 1000;
    let replies = 0;
    for (const [i, events] of all.entries()) {
      const done = events.at(-1);
      assert.equal(done?.type, 'done', `stream ${i} ends with done`);
      assert.equal(done?.type === 'done' && done.errors, 0, `stream ${i}: ${JSON.stringify(events.filter((e) => e.type === 'error'))}`);
      replies += events.filter((e) => e.type === 'reply').length;
    }
    assert.equal(replies, STREAMS * 2, 'every probe of every stream was answered');
    rss.push(await rssBytes());
    t.diagnostic(`round ${round}: ${STREAMS} streams in ${seconds.toFixed(2)} s; hub RSS ${(rss.at(-1)! / 2 ** 20).toFixed(1)} MiB`);
  }
  t.diagnostic(`hub RSS before ${(rss[0]! / 2 ** 20).toFixed(1)} MiB, after round 1 ${(rss[1]! / 2 ** 20).toFixed(1)} MiB, after round 2 ${(rss[2]! / 2 ** 20).toFixed(1)} MiB`);
  // Bounded: a second identical round must not grow the hub like the first did (no per-stream leak).
  assert.ok(rss[2]! - rss[1]! < 64 * 2 ** 20, `RSS grew by ${((rss[2]! - rss[1]!) / 2 ** 20).toFixed(1)} MiB in round 2`);
  assert.ok(rss[2]! < 512 * 2 ** 20, 'the hub stays under 512 MiB');
  const metrics = await (await fetch(hubUrl + '/metrics')).text();
  assert.match(metrics, /meshprobe_hub_open_streams\{route="measurements"\} 0/);
});
