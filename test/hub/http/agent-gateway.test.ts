// Remote agents in-process: a real hub, real WebSockets, AgentRuntime on the agent side. The
// process-level acceptance (separate hub and agent processes, kill -9) is remote-agents.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { AgentRuntime } from '../../../agent/runtime/agent-runtime.ts';
import type { AgentLink } from '../../../shared/wire/agent-link.ts';
import { AGENT_CONNECT_PATH, AgentCloseCode, encodeMessage } from '../../../shared/wire/agent-protocol-constants.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import type { Hub, HubOptions } from '../../../hub/http/server.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';
import { startTestHub } from '../../helpers/test-hub.ts';


interface Fixture {
  hub: Hub;
  admin: string;
  runtimes: AgentRuntime[];
  connect(agent: AgentLink, o?: { token?: string; attributes?: Record<string, unknown>; allowedRanges?: string[] }): Promise<AgentRuntime>;
  measure(body: unknown, token?: string, signal?: AbortSignal): Promise<MeasurementEvent[]>;
}

const noResolver = { resolve: async (host: string) => ({ address: host, family: 4 as const }) };

async function withFixture(options: HubOptions, body: (f: Fixture) => Promise<void>): Promise<void> {
  const th = await startTestHub(options);
  const { hub } = th;
  const admin = await th.token(['admin']);
  const runtimes: AgentRuntime[] = [];
  const f: Fixture = {
    hub,
    admin,
    runtimes,
    async connect(agent, o = {}) {
      const token = o.token ?? (await hub.tokens.issue({ sub: `agent:${agent.info.name}`, scopes: ['agent'] })).token;
      let fatal: (m: string) => void = () => {};
      const failed = new Promise<never>((_, reject) => (fatal = (m) => reject(new Error(m))));
      let ok: () => void = () => {};
      const connected = new Promise<void>((resolve) => (ok = resolve));
      const rt = new AgentRuntime({
        hub: hub.url,
        token,
        agent,
        resolver: noResolver,
        ...(o.attributes ? { attributes: o.attributes } : {}),
        ...(o.allowedRanges ? { allowedRanges: o.allowedRanges } : {}),
        initialBackoffMs: 50,
        onState: (s, d) => (s === 'connected' ? ok() : s === 'fatal' ? fatal(d) : undefined),
      });
      runtimes.push(rt);
      rt.start();
      await Promise.race([connected, failed]);
      return rt;
    },
    measure: (spec, token = admin, signal) => th.measure(spec, { token, ...(signal ? { signal } : {}) }),
  };
  try {
    await body(f);
  } finally {
    await Promise.all(runtimes.map((r) => r.stop()));
    await th.close();
  }
}

test('a remote agent registers with its attributes and measures; every event carries its name', async () => {
  await withFixture({}, async (f) => {
    await f.connect(new ScriptedAgent({ name: 'lax1' }), { attributes: { country: 'US', city: 'Los Angeles', asn: 64500 } });
    const list = (await (await fetch(f.hub.url + '/v1/agents', { headers: { authorization: `Bearer ${f.admin}` } })).json()) as { agents: Array<Record<string, unknown>> };
    const lax1 = list.agents.find((a) => a.name === 'lax1');
    assert.equal(lax1?.country, 'US');
    assert.equal(lax1?.asn, 64500);
    const events = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 3 });
    assert.deepEqual(events.map((e) => e.type), ['start', 'reply', 'reply', 'reply', 'summary', 'done']);
    for (const e of events.slice(0, -1)) assert.equal((e as { agent: string }).agent, 'lax1');
  });
});

test('selection by attribute and limit spreads across ASNs', async () => {
  await withFixture({}, async (f) => {
    await f.connect(new ScriptedAgent({ name: 'fra1' }), { attributes: { country: 'DE', city: 'Frankfurt', asn: 64501 } });
    await f.connect(new ScriptedAgent({ name: 'fra2' }), { attributes: { country: 'DE', city: 'Frankfurt', asn: 64501 } });
    await f.connect(new ScriptedAgent({ name: 'ber1' }), { attributes: { country: 'DE', city: 'Berlin', asn: 64502 } });
    const agentsOf = (ev: MeasurementEvent[]) => [...new Set(ev.filter((e) => e.type === 'summary').map((e) => (e as { agent: string }).agent))].sort();
    assert.deepEqual(agentsOf(await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['city=Berlin'], count: 1 })), ['ber1']);
    assert.deepEqual(agentsOf(await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['country=DE'], count: 1 })), ['ber1', 'fra1', 'fra2']);
    assert.deepEqual(agentsOf(await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['country=DE'], limit: 2, count: 1 })), ['ber1', 'fra1']);
    const none = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['asn=1'], count: 1 });
    assert.equal(none[0]?.type === 'error' && none[0].code, 'MP_ERR_NO_AGENT');
    assert.equal(none.at(-1)?.type, 'done');
  });
});

test('an agent that goes away mid-measurement yields MP_ERR_AGENT_LOST and the stream still ends with done', async () => {
  await withFixture({}, async (f) => {
    await f.connect(new ScriptedAgent({ name: 'lax1', everyMs: 20 }));
    const fra1 = await f.connect(new ScriptedAgent({ name: 'fra1', everyMs: 20 }));
    setTimeout(() => void fra1.stop(), 150);
    const events = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1', 'fra1'], count: 20 });
    const lost = events.find((e) => e.type === 'error');
    assert.equal(lost?.type === 'error' && lost.code, 'MP_ERR_AGENT_LOST');
    assert.equal(lost?.type === 'error' && lost.agent, 'fra1');
    const lax = events.filter((e) => e.type === 'reply' && e.agent === 'lax1');
    assert.equal(lax.length, 20);
    assert.equal(events.at(-1)?.type, 'done');
    assert.equal(f.hub.registry.get('fra1'), undefined, 'the lost agent left the registry');
  });
});

test('a client that disconnects cancels the run on the remote agent', async () => {
  await withFixture({}, async (f) => {
    const agent = new ScriptedAgent({ name: 'lax1', everyMs: 10 });
    const rt = await f.connect(agent);
    const ac = new AbortController();
    const res = await fetch(f.hub.url + '/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${f.admin}` },
      body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 1000 }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    for (let i = 0; i < 100 && rt.running > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(rt.running, 0, 'the agent stopped the run');
    const emitted = agent.emitted;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(agent.emitted, emitted, 'no more probes after the cancel');
  });
});

test('agent tokens are checked at the upgrade: none, user token, wrong name', async () => {
  await withFixture({}, async (f) => {
    const url = f.hub.url.replace('http', 'ws') + AGENT_CONNECT_PATH;
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
    assert.equal(await status({}), 401);
    assert.equal(await status({ authorization: 'Bearer nonsense' }), 401);
    const user = (await f.hub.tokens.issue({ sub: 'telegram:1', scopes: ['measure'] })).token;
    assert.equal(await status({ authorization: `Bearer ${user}` }), 403);
    assert.equal(await status({ authorization: `Bearer ${f.admin}` }), 403, 'even an admin token is not an agent token');
    await assert.rejects(f.connect(new ScriptedAgent({ name: 'lax1' }), { token: user }), /refused this agent \(403\)/);
    const forLax = (await f.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token;
    await assert.rejects(f.connect(new ScriptedAgent({ name: 'fra1' }), { token: forLax }), /token is for agent lax1, not fra1/);
    assert.equal(f.hub.registry.get('fra1'), undefined);
  });
});

test('an agent token cannot run measurements', async () => {
  await withFixture({}, async (f) => {
    const agentToken = (await f.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token;
    const res = await fetch(f.hub.url + '/v1/measurements', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken}` },
      body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'] }),
    });
    assert.equal(res.status, 403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'MP_ERR_FORBIDDEN');
    assert.match(body.error.message, /agent:lax1 may not use \/v1\/measurements/);
  });
});

test('frames that break the protocol close the socket with a reason; the hub keeps running', async () => {
  await withFixture({}, async (f) => {
    const token = (await f.hub.tokens.issue({ sub: 'agent:odd1', scopes: ['agent'] })).token;
    const url = f.hub.url.replace('http', 'ws') + AGENT_CONNECT_PATH;
    const closeOf = (frames: string[]) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
        ws.on('open', () => frames.forEach((fr) => ws.send(fr)));
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      });
    const a = await closeOf(['{not json']);
    assert.equal(a.code, AgentCloseCode.protocolError);
    assert.match(a.reason, /not JSON/);
    const b = await closeOf([encodeMessage({ t: 'end', id: 1 })]);
    assert.match(b.reason, /first frame must be hello/);
    const c = await closeOf([JSON.stringify({ t: 'hello', v: 99, info: { name: 'odd1', capabilities: [], version: 'x' } })]);
    assert.equal(c.code, AgentCloseCode.badVersion);
    const d = await closeOf([JSON.stringify({ t: 'hello', v: 1, info: { name: 'bad name!', capabilities: [], version: 'x' } })]);
    assert.match(d.reason, /info\.name/);
    assert.equal((await fetch(f.hub.url + '/healthz')).status, 200);
  });
});

test('an agent that reconnects replaces its stale registration', async () => {
  await withFixture({}, async (f) => {
    const first = await f.connect(new ScriptedAgent({ name: 'lax1' }));
    const second = await f.connect(new ScriptedAgent({ name: 'lax1', everyMs: 5 }));
    assert.ok(second.connected);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(first.connected, false, 'the replaced connection does not come back and take the name again');
    assert.ok(second.connected);
    assert.equal(f.hub.registry.list().filter((a) => a.name === 'lax1').length, 1);
    const events = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 2 });
    assert.equal(events.filter((e) => e.type === 'reply').length, 2);
  });
});

test('literals outside an agent\'s announced ranges are refused (by the agent, which owns them), naming the agent', async () => {
  await withFixture({}, async (f) => {
    await f.connect(new ScriptedAgent({ name: 'lan1' }), { allowedRanges: ['10.9.0.0/16'] });
    const events = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lan1'], count: 1 });
    assert.equal(events[0]?.type === 'error' && events[0].code, 'MP_ERR_POLICY');
    assert.match(events[0]?.type === 'error' ? events[0].message : '', /outside agent lan1's allowed ranges \(10\.9\.0\.0\/16\)/);
  });
});

test('a packet budget per agent refuses a run that would exceed it', async () => {
  await withFixture({ control: { agentPpsBudget: 50 } }, async (f) => {
    await f.connect(new ScriptedAgent({ name: 'lax1' }));
    const events = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 1, intervalMs: 10 });
    assert.equal(events[0]?.type === 'error' && events[0].code, 'MP_ERR_RATE_LIMITED');
    assert.match(events[0]?.type === 'error' ? events[0].message : '', /packet budget of 50 packets\/s/);
    const fine = await f.measure({ type: 'ping', targets: ['127.0.0.1'], from: ['lax1'], count: 1, intervalMs: 100 });
    assert.equal(fine.filter((e) => e.type === 'summary').length, 1);
  });
});

test('a client that stops reading cannot make the hub buffer without bound: the run is cancelled on the agent', async () => {
  const { FloodAgent } = await import('../../../bench/flood-agent.ts');
  const { connect } = await import('node:net');
  await withFixture({ maxBufferedBytes: 64 * 1024 }, async (f) => {
    const rt = await f.connect(new FloodAgent('fast1', 0));
    const body = JSON.stringify({ type: 'ping', targets: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`), from: ['fast1'], count: 10_000 });
    const url = new URL(f.hub.url);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((r) => socket.once('connect', r));
    socket.pause(); // never read: the kernel buffers fill, then the hub's response buffer
    socket.write(`POST /v1/measurements HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${f.admin}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    let sawRunning = false;
    for (let i = 0; i < 200; i++) {
      if (rt.running > 0) sawRunning = true;
      if (sawRunning && rt.running === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(sawRunning, 'the run started on the agent');
    assert.equal(rt.running, 0, 'the hub cancelled the run instead of buffering 200,000 events');
    socket.destroy();
  });
});

test('revoking an agent token disconnects the agent at its next heartbeat, for good', async () => {
  await withFixture({ control: { agentHeartbeatMs: 100 } }, async (f) => {
    const issued = await f.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] });
    const rt = await f.connect(new ScriptedAgent({ name: 'lax1' }), { token: issued.token });
    assert.ok(f.hub.registry.get('lax1'));
    await f.hub.tokens.revoke(issued.jti, issued.exp);
    for (let i = 0; i < 40 && f.hub.registry.get('lax1'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(f.hub.registry.get('lax1'), undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rt.connected, false, 'a revoked agent does not come back');
  });
});

test('long agent names in a refusal do not break the close frame (123-byte limit)', async () => {
  await withFixture({}, async (f) => {
    const a = 'a'.repeat(63);
    const b = 'b'.repeat(63);
    const token = (await f.hub.tokens.issue({ sub: `agent:${a}`, scopes: ['agent'] })).token;
    await assert.rejects(f.connect(new ScriptedAgent({ name: b }), { token }), /token is for agent a+/);
    assert.equal((await fetch(f.hub.url + '/healthz')).status, 200);
  });
});
