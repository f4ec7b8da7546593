// Hostile agents (issue 11 items 3 and 4): a test agent that speaks the real protocol over a
// real WebSocket to a real hub process (bin/start.ts) and sends bad values, unknown event types,
// oversize frames and floods. The hub must keep answering, end the bad part with an error, keep
// the agent's other work, and keep /metrics bounded. A hub process, not an in-process one: a
// hub that freezes must not freeze the test with it.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { decodeHubMessage, type RunMessage } from '../../shared/wire/agent-protocol.ts';
import { AGENT_CONNECT_PATH, AgentCloseCode } from '../../shared/wire/agent-protocol-constants.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { readEvents } from '../helpers/hub-stream.ts';
import { startMain, type MainProcess } from '../helpers/launcher-process.ts';

let hub: MainProcess;
let admin: string;

before(async () => {
  hub = await startMain();
  admin = (await readFile(join(hub.dataDir, 'admin.token'), 'utf8')).trim();
});

after(async () => {
  await hub.stop('SIGKILL');
});

/** Every request of these tests gives up after this long: a frozen hub fails the test, not hangs it. */
const patience = () => AbortSignal.timeout(20_000);

async function healthy(): Promise<void> {
  const res = await fetch(hub.url + '/healthz', { signal: patience() });
  assert.equal(res.status, 200);
}

async function measure(spec: unknown): Promise<MeasurementEvent[]> {
  const res = await fetch(hub.url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec), signal: patience() });
  assert.equal(res.status, 200, await res.clone().text());
  return readEvents(res);
}

interface Hostile {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
  /** Sends a frame: a string as is, anything else as JSON. */
  send(frame: unknown): void;
}

/**
 * Connects a raw agent named `name`; `onRun` answers each `run` of the hub (it must send `end`
 * itself). A `cancel` is answered with `end`.
 */
async function hostile(name: string, onRun: (run: RunMessage, a: Hostile) => void | Promise<void>): Promise<Hostile> {
  const mint = await fetch(hub.url + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub: `agent:${name}`, scope: 'agent', ttl: '1h' }),
  });
  assert.equal(mint.status, 201, await mint.clone().text());
  const { token } = (await mint.json()) as { token: string };
  const ws = new WebSocket(hub.url.replace('http', 'ws') + AGENT_CONNECT_PATH, { headers: { authorization: `Bearer ${token}` } });
  const a: Hostile = {
    ws,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    send: (frame) => {
      if (ws.readyState === ws.OPEN) ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    },
  };
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('open', () => a.send({ t: 'hello', v: 1, info: { name, capabilities: ['icmp'], version: 'hostile' } }));
    ws.on('message', (data) => {
      const d = decodeHubMessage(data.toString());
      if (!d.ok) return;
      if (d.message.t === 'welcome') resolve();
      else if (d.message.t === 'run') void onRun(d.message, a);
      else if (d.message.t === 'cancel') a.send({ t: 'end', id: d.message.id });
    });
  });
  return a;
}

const start = (agent: string, target: string, measurement: string) => ({ type: 'start', agent, target, measurement, address: target, family: 4, protocol: 'icmp', params: {} });
const hop = (agent: string, target: string, ttl: unknown) => ({ type: 'hop', agent, target, ttl, responders: [{ address: '198.18.1.1', rttsMs: [0.1] }], sent: 1, received: 1, lossPct: 0 });
const summary = (agent: string, target: string, measurement: string) => ({
  type: 'summary', agent, target, measurement, durationMs: 1, sent: 1, received: 1, lossPct: 0,
  minMs: 0.1, avgMs: 0.1, maxMs: 0.1, mdevMs: 0, p50Ms: 0.1, p90Ms: 0.1, p99Ms: 0.1,
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a hop with ttl "2" ends only that part with MP_ERR_AGENT_PROTOCOL; the other target, the agent\'s concurrent ping and /v1/cli all finish, the hub stays up', async () => {
  const name = 'badttl1';
  const a = await hostile(name, async (run, h) => {
    const { id, spec } = run;
    if (spec.type === 'ping') {
      await pause(300); // still running while the traceroute goes wrong
      for (const target of spec.targets) h.send({ t: 'events', id, es: [start(name, target, 'ping'), { type: 'reply', agent: name, target, seq: 1, ttl: 64, rttMs: 0.1, bytes: 64, from: target }, summary(name, target, 'ping')] });
      h.send({ t: 'end', id });
      return;
    }
    for (const target of spec.targets) {
      const bad = target === '127.0.0.2';
      // The bad event first on its own, then a good hop and summary the hub must not relay.
      h.send({ t: 'events', id, es: [start(name, target, 'traceroute'), ...(bad ? [hop(name, target, '2')] : [])] });
      h.send({ t: 'event', id, e: hop(name, target, 1) });
      h.send({ t: 'event', id, e: summary(name, target, 'traceroute') });
    }
    h.send({ t: 'end', id });
  });
  const [ping, trace] = await Promise.all([
    measure({ type: 'ping', targets: ['127.0.0.1'], from: [name], count: 1 }),
    measure({ type: 'traceroute', targets: ['127.0.0.2', '127.0.0.3'], from: [name] }),
  ]);
  assert.equal(trace.at(-1)?.type, 'done');
  const errors = trace.filter((e) => e.type === 'error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]?.type === 'error' && errors[0].code, 'MP_ERR_AGENT_PROTOCOL');
  assert.equal(errors[0]?.type === 'error' && errors[0].target, '127.0.0.2');
  assert.match(errors[0]?.type === 'error' ? errors[0].message : '', /bad hop event: "ttl": .*expected number/);
  for (const e of trace) if (e.type === 'hop') assert.equal(typeof e.ttl, 'number');
  assert.ok(!trace.some((e) => (e.type === 'hop' || e.type === 'summary') && e.target === '127.0.0.2'), 'nothing more of the ended part');
  assert.ok(trace.some((e) => e.type === 'summary' && e.target === '127.0.0.3'), 'the other target finished');
  assert.equal(ping.at(-1)?.type, 'done');
  assert.ok(ping.some((e) => e.type === 'summary') && !ping.some((e) => e.type === 'error'), JSON.stringify(ping));

  // The text renderers see only valid events: /v1/cli answers (this froze the hub).
  const cli = await fetch(hub.url + '/v1/cli', { method: 'POST', body: `traceroute -s ${name} 127.0.0.2`, signal: patience() });
  assert.equal(cli.status, 200);
  assert.match(await cli.text(), /MP_ERR_AGENT_PROTOCOL|broke the protocol/);
  await healthy();
  assert.equal(a.ws.readyState, WebSocket.OPEN, 'one bad event does not cost the agent its connection');
  a.ws.close();
});

test('bad values of every kind each end their own part with a reason naming the field; the connection stays', async () => {
  const name = 'badvals1';
  const cases: Record<string, { e: (t: string) => unknown; field: RegExp } | { raw: (id: number, t: string) => string; field: RegExp }> = {
    '127.0.0.1': { e: (t) => ({ type: 'reply', agent: name, target: t, seq: -1, ttl: 64, rttMs: 0.1, bytes: 64, from: t }), field: /"seq"/ },
    // JSON has no NaN: what an agent can send is a string, null, or a literal that overflows to Infinity.
    '127.0.0.2': { e: (t) => ({ type: 'reply', agent: name, target: t, seq: 1, ttl: 64, rttMs: 'NaN', bytes: 64, from: t }), field: /"rttMs"/ },
    '127.0.0.3': { raw: (id, t) => `{"t":"event","id":${id},"e":{"type":"reply","agent":"${name}","target":"${t}","seq":1,"ttl":64,"rttMs":1e999,"bytes":64,"from":"${t}"}}`, field: /"rttMs"/ },
    '127.0.0.4': { e: (t) => ({ ...hop(name, t, 1), responders: Array.from({ length: 20_000 }, () => ({ address: '198.18.1.1', rttsMs: [] })) }), field: /"responders"/ },
    '127.0.0.5': { e: (t) => ({ type: 'hop-v2', agent: name, target: t }), field: /unknown event type "hop-v2"/ },
    '127.0.0.6': { e: (t) => ({ type: 'timeout', agent: name, target: t, seq: 2 ** 40 }), field: /"seq"/ },
    '127.0.0.7': { e: (t) => ({ type: 'icmp-error', agent: name, target: t, seq: 1, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: t, message: 'm'.repeat(100_000) }), field: /"message"/ },
    // Late enrichment is the hub's word (issue 16): an agent's `info` is refused, never relayed.
    '127.0.0.8': { e: (t) => ({ type: 'info', agent: name, target: t, address: '198.18.1.1', info: { asn: 64500, asName: 'Spoofed' } }), field: /info events come from the hub, not from agents/ },
  };
  const targets = Object.keys(cases);
  const a = await hostile(name, (run, h) => {
    for (const target of run.spec.targets) {
      const c = cases[target]!;
      h.send({ t: 'event', id: run.id, e: start(name, target, 'ping') });
      h.send('raw' in c ? c.raw(run.id, target) : { t: 'event', id: run.id, e: c.e(target) });
      h.send({ t: 'event', id: run.id, e: summary(name, target, 'ping') });
    }
    h.send({ t: 'end', id: run.id });
  });
  const events = await measure({ type: 'ping', targets, from: [name], count: 1 });
  assert.equal(events.at(-1)?.type, 'done');
  for (const target of targets) {
    const mine = events.filter((e) => e.type !== 'done' && e.target === target);
    assert.deepEqual(mine.map((e) => e.type), ['start', 'error'], `${target}: ${JSON.stringify(mine).slice(0, 300)}`);
    const err = mine[1]!;
    assert.ok(err.type === 'error' && err.code === 'MP_ERR_AGENT_PROTOCOL');
    assert.match(err.message, cases[target]!.field);
    assert.ok(!err.message.includes('\n') && err.message.length < 300, err.message);
  }
  assert.equal(a.ws.readyState, WebSocket.OPEN);
  await healthy();
  a.ws.close();
});

test('a frame over the size limit costs only that agent its connection: its stream ends with done, another agent\'s run completes', async () => {
  const good = await hostile('calm1', async (run, h) => {
    await pause(300);
    for (const target of run.spec.targets) h.send({ t: 'events', id: run.id, es: [start('calm1', target, 'ping'), summary('calm1', target, 'ping')] });
    h.send({ t: 'end', id: run.id });
  });
  const big = await hostile('huge1', (run, h) => {
    h.send({ t: 'event', id: run.id, e: { ...start('huge1', run.spec.targets[0]!, 'ping'), note: 'x'.repeat(2 * 1024 * 1024) } });
  });
  const [calm, huge] = await Promise.all([
    measure({ type: 'ping', targets: ['127.0.0.1'], from: ['calm1'], count: 1 }),
    measure({ type: 'ping', targets: ['127.0.0.1'], from: ['huge1'], count: 1 }),
  ]);
  assert.equal(huge.at(-1)?.type, 'done');
  assert.ok(huge.some((e) => e.type === 'error' && e.code === 'MP_ERR_AGENT_LOST'), JSON.stringify(huge));
  assert.equal((await big.closed).code, 1009);
  assert.ok(calm.some((e) => e.type === 'summary'));
  await healthy();
  good.ws.close();
});

test('thousands of random event types leave /metrics bounded; a flood of bad frames closes that connection, naming the bound', async () => {
  const metricsSize = async () => (await (await fetch(hub.url + '/metrics', { signal: patience() })).text()).length;
  const name = 'rand1';
  const a = await hostile(name, (run, h) => {
    for (let frame = 0; frame < 5; frame++) {
      h.send({ t: 'events', id: run.id, es: Array.from({ length: 1000 }, () => ({ type: `t${Math.random().toString(36).slice(2)}`, agent: name, target: run.spec.targets[0] })) });
    }
    h.send({ t: 'end', id: run.id });
  });
  await measure({ type: 'ping', targets: ['127.0.0.1'], from: [name], count: 1 }); // warm the usual series
  const before = await metricsSize();
  for (let i = 0; i < 3; i++) {
    const events = await measure({ type: 'ping', targets: ['127.0.0.1'], from: [name], count: 1 });
    assert.equal(events.at(-1)?.type, 'done');
    assert.ok(events.some((e) => e.type === 'error' && e.code === 'MP_ERR_AGENT_PROTOCOL' && /unknown event type/.test(e.message)));
  }
  const grown = (await metricsSize()) - before;
  // 15,000 random types; one series each would be over a megabyte.
  assert.ok(grown < 16 * 1024, `/metrics grew by ${grown} bytes`);
  await healthy();
  assert.equal(a.ws.readyState, WebSocket.OPEN);

  for (let i = 0; i < 150; i++) a.send(`{"t":"nope${i}"}`);
  const closed = await a.closed;
  assert.equal(closed.code, AgentCloseCode.protocolError);
  assert.match(closed.reason, /100 bad frames or events within a minute/);
  await healthy();
});
