// Public mode end to end, with targets on this machine only (so a bug can never send a packet
// elsewhere): 127.0.0.1, ::1, ::ffff:127.0.0.1 and a name the test resolver maps to 127.0.0.1
// are each refused with a clear message, and nftables counters show that no echo request of the
// test's unusual size left through loopback.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { readEvents } from '../helpers/hub-stream.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { countEchoRequestsOfSize, echoCounterUnavailable, type EchoCounter } from '../helpers/echo-counter.ts';

const SIZE = 1371; // nobody else pings with this payload size
let dataDir: string;
let dns: TestDnsServer;
let hub: NodeProcess;
let agent: NodeProcess | undefined;
let hubUrl: string;
let admin: string;

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-public-'));
  dns = await startDnsServer({ 'rebind.test': ['127.0.0.1'], 'rebind6.test': ['::1'] });
  hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_POLICY: 'public', MESHPROBE_DNS_SERVERS: dns.servers.join(',') });
  hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  const minted = await fetch(hubUrl + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub: 'agent:pub1', scope: 'agent' }),
  });
  const token = ((await minted.json()) as { token: string }).token;
  // The agent itself runs in lan mode: the hub's public mode must reach it with every run.
  agent = startNode('agent/main.ts', ['--hub', hubUrl, '--name', 'pub1', '--token', token, '--dns-servers', dns.servers.join(',')]);
  await agent.waitFor(/connected to .*hub policy public/);
});

after(async () => {
  await agent?.stop();
  await hub?.stop();
  await dns?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function measure(spec: Record<string, unknown>): Promise<{ status: number; body: string; events: MeasurementEvent[] }> {
  const res = await fetch(hubUrl + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ type: 'ping', count: 2, intervalMs: 200, size: SIZE, ...spec }),
  });
  if (res.status !== 200) return { status: res.status, body: await res.text(), events: [] };
  return { status: 200, body: '', events: await readEvents(res) };
}

test('public mode refuses loopback targets at the hub and after resolution at the agents, sending nothing', async (t) => {
  const why = await echoCounterUnavailable();
  let counter: EchoCounter | undefined;
  if (why) t.diagnostic(`packet counting skipped: ${why}`);
  else counter = await countEchoRequestsOfSize(SIZE);
  try {
    for (const target of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '[::1]']) {
      for (const from of [[], ['pub1']]) {
        const r = await measure({ targets: [target], from });
        assert.equal(r.status, 403, `${target} from ${from.join() || 'default'}`);
        const err = JSON.parse(r.body) as { error: { code: string; message: string } };
        assert.equal(err.error.code, 'MP_ERR_POLICY');
        assert.match(err.error.message, /is a loopback address .*; refused by the public policy$/);
      }
    }
    // Names pass the hub (it does not resolve) and are refused by each agent after resolution.
    for (const [target, ipVersion, address] of [['rebind.test', 4, '127.0.0.1'], ['rebind6.test', 6, '::1']] as const) {
      for (const from of [['local'], ['pub1']]) {
        const r = await measure({ targets: [target], from, ipVersion });
        assert.equal(r.status, 200);
        const err = r.events.find((e) => e.type === 'error');
        assert.equal(err?.type === 'error' && err.code, 'MP_ERR_POLICY', `${target} via ${from[0]}`);
        assert.equal(err?.type === 'error' && err.message, `${target} resolves to ${address}, a loopback address (${ipVersion === 4 ? '127.0.0.0/8' : '::1/128'}); refused by the public policy`);
        assert.equal(err?.type === 'error' && err.agent, from[0]);
        assert.equal(r.events.filter((e) => e.type === 'reply' || e.type === 'start').length, 0);
        assert.equal(r.events.at(-1)?.type, 'done');
      }
    }
    // A sweep of loopback space is refused at the hub too.
    const sweep = await measure({ type: 'probe', targets: ['127.1.0.0/24'], count: undefined, intervalMs: undefined, size: undefined });
    assert.equal(sweep.status, 403);
    if (counter) {
      assert.equal(await counter.read(), 0, 'no echo request of the test size left through loopback');
      // The counter itself works: a lan-mode agent in this process sends two such packets.
      const skip = rawSkipReason();
      if (!skip) {
        await new LocalAgent().run({ type: 'ping', targets: ['127.0.0.1'], from: [], count: 2, intervalMs: 10, size: SIZE }, { signal: new AbortController().signal, emit: () => {} });
        assert.equal(await counter.read(), 2, 'the counter sees packets of the test size');
      }
    }
  } finally {
    await counter?.close();
  }
});
