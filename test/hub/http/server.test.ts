// The hub's HTTP behaviour: routes, error format, fan-out, cancellation and the seams, with
// scripted agents so each case is exact. Real probing through the hub: main.test.ts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ErrorCode } from '../../../shared/model/errors.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { splitLines } from '../../../shared/wire/ndjson.ts';
import { readEvents } from '../../helpers/hub-stream.ts';
import { withTestHub } from '../../helpers/test-hub.ts';
import { createHub } from '../../../hub/http/server.ts';
import type { Hub, HubOptions } from '../../../hub/http/server.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';

let dataRoot: string;
before(async () => {
  dataRoot = await mkdtemp(join(tmpdir(), 'mp-hub-'));
});
after(async () => {
  await rm(dataRoot, { recursive: true, force: true });
});

// Explicitly allow-all: identity has tests of its own; these are about routing and streaming.
const withHub = (options: HubOptions, body: (hub: Hub) => Promise<void>): Promise<void> =>
  withTestHub({ authorize: async () => ({ subject: 'anonymous', scopes: ['measure'] }), ...options }, (t) => body(t.hub));

const events = readEvents;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are asserted field by field
const json = async (res: Response): Promise<any> => res.json();

const post = (hub: Hub, path: string, body: unknown, init: RequestInit = {}) =>
  fetch(hub.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });

test('POST /v1/measurements streams start, replies, summary and done as NDJSON, tagged with the agent', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    const res = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 3 });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/x-ndjson/);
    assert.equal(res.headers.get('x-accel-buffering'), 'no');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const ev = await events(res);
    assert.deepEqual(ev.map((e) => e.type), ['start', 'reply', 'reply', 'reply', 'summary', 'done']);
    for (const e of ev.slice(0, -1)) assert.equal((e as { agent: string }).agent, 'a1', 'the registry name wins over what the agent wrote');
    assert.deepEqual({ ...ev.at(-1)!, durationMs: 0 }, { type: 'done', parts: 1, sent: 3, received: 3, errors: 0, durationMs: 0 });
  });
});

test('each event is written as it happens: the first reply arrives before the stream ends', async () => {
  const agent = new ScriptedAgent({ name: 'a1', everyMs: 200 });
  await withHub({ agents: [agent] }, async (hub) => {
    const res = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 5 });
    const it = splitLines(res.body!);
    const seen: string[] = [];
    for await (const line of it) {
      const e = JSON.parse(line) as MeasurementEvent;
      seen.push(e.type);
      if (e.type === 'reply') break;
    }
    assert.deepEqual(seen, ['start', 'reply']);
    // The agent had more to send when the first reply reached us.
    assert.ok(agent.emitted < 5, `agent had emitted ${agent.emitted} replies`);
  });
});

test('bad JSON answers 400 with a one-line JSON error', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    const res = await post(hub, '/v1/measurements', '{"type":');
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.equal(text.trim().split('\n').length, 1);
    const body = JSON.parse(text);
    assert.equal(body.error.code, ErrorCode.BadRequest);
    assert.match(body.error.message, /not valid JSON/);
  });
});

test('invalid specs answer 400 with a message naming the field', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ type: 'ping', targets: ['127.0.0.1'], count: 0 }, /count/],
    [{ type: 'ping', targets: ['127.0.0.1'], count: 'abc' }, /count/],
    [{ type: 'ping' }, /targets/],
    [{ type: 'ping', targets: [] }, /target/],
    [{ type: 'bounce', targets: ['127.0.0.1'] }, /type/],
    [{ type: 'ping', targets: ['127.0.0.1'], intervalMs: 0 }, /intervalMs/],
    [{ type: 'ping', targets: ['127.0.0.1'], colour: 'red' }, /colour/],
    [[1, 2], /.+/],
  ];
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    for (const [spec, field] of cases) {
      const res = await post(hub, '/v1/measurements', spec);
      assert.equal(res.status, 400, JSON.stringify(spec));
      const text = await res.text();
      assert.equal(text.trim().split('\n').length, 1, text);
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      assert.equal(body.error.code, ErrorCode.BadRequest);
      assert.match(body.error.message, field, `${JSON.stringify(spec)} → ${body.error.message}`);
      assert.doesNotMatch(body.error.message, /\n|at .*\.ts:/);
    }
  });
});

test('unknown route 404, wrong method 405 with Allow, oversized body 413: all in the JSON error format', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    const r404 = await fetch(hub.url + '/v1/nothing');
    assert.equal(r404.status, 404);
    assert.equal((await json(r404)).error.code, ErrorCode.BadRequest);

    const r405 = await fetch(hub.url + '/v1/measurements');
    assert.equal(r405.status, 405);
    assert.equal(r405.headers.get('allow'), 'POST');
    assert.match((await json(r405)).error.message, /POST/);

    const r413 = await post(hub, '/v1/measurements', JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], pad: 'x'.repeat(70_000) }));
    assert.equal(r413.status, 413);
    assert.match((await json(r413)).error.message, /larger than 65536 bytes/);

    // The hub still serves after all that.
    assert.equal((await fetch(hub.url + '/healthz')).status, 200);
  });
});

test('GET /v1/version, /v1/agents and /healthz answer JSON', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1', country: 'DE' })] }, async (hub) => {
    const v = await json(await fetch(hub.url + '/v1/version'));
    assert.equal(v.name, 'meshprobe');
    assert.match(v.version, /^\d+\.\d+\.\d+/);
    assert.equal(v.api, 1);
    const a = await json(await fetch(hub.url + '/v1/agents'));
    assert.deepEqual(a.agents.map((x: { name: string; country: string }) => [x.name, x.country]), [['a1', 'DE']]);
    assert.deepEqual(await json(await fetch(hub.url + '/healthz')), { status: 'ok', agents: 1 });
  });
});

test('an unknown agent in from gives an MP_ERR_NO_AGENT error event, then done', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], from: ['lax9'], count: 1 }));
    assert.deepEqual(ev.map((e) => e.type), ['error', 'done']);
    assert.equal(ev[0]!.type === 'error' && ev[0]!.code, ErrorCode.NoAgent);
    assert.match((ev[0] as { message: string }).message, /lax9/);
    assert.equal((ev[1] as { errors: number }).errors, 1);
  });
});

test('sources × targets fan out: every part ends with a summary, done counts them all', async () => {
  const agents = [new ScriptedAgent({ name: 'a1' }), new ScriptedAgent({ name: 'a2' }), new ScriptedAgent({ name: 'a3' })];
  await withHub({ agents }, async (hub) => {
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1', '127.0.0.2'], from: ['a1', 'a2'], count: 2 }));
    const summaries = ev.filter((e) => e.type === 'summary').map((e) => `${(e as { agent: string }).agent}/${(e as { target: string }).target}`).sort();
    assert.deepEqual(summaries, ['a1/127.0.0.1', 'a1/127.0.0.2', 'a2/127.0.0.1', 'a2/127.0.0.2']);
    assert.equal(ev.at(-1)!.type, 'done');
    assert.equal((ev.at(-1) as { parts: number; sent: number }).parts, 4);
    assert.equal(ev.filter((e) => e.type === 'done').length, 1);
  });
});

test('from selects by attribute and limit caps the agents', async () => {
  const agents = [new ScriptedAgent({ name: 'a1', country: 'US' }), new ScriptedAgent({ name: 'a2', country: 'DE' }), new ScriptedAgent({ name: 'a3', country: 'DE' })];
  await withHub({ agents }, async (hub) => {
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], from: ['country=de'], limit: 1, count: 1 }));
    assert.deepEqual(ev.filter((e) => e.type === 'summary').map((e) => (e as { agent: string }).agent), ['a2']);
  });
});

test('an agent that throws or ends without a result yields error events, and the stream still ends with done', async () => {
  const agents = [new ScriptedAgent({ name: 'boom', throws: 'socket exploded\n    at secret.ts:1' }), new ScriptedAgent({ name: 'mute', silent: true }), new ScriptedAgent({ name: 'ok' })];
  await withHub({ agents }, async (hub) => {
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], from: ['boom', 'mute', 'ok'], count: 1 }));
    const errors = ev.filter((e) => e.type === 'error') as Array<{ agent: string; message: string; code: string }>;
    assert.deepEqual(errors.map((e) => e.agent).sort(), ['boom', 'mute']);
    assert.equal(errors.find((e) => e.agent === 'boom')!.message, 'socket exploded', 'one line, no stack');
    assert.equal(ev.at(-1)!.type, 'done');
    assert.deepEqual([(ev.at(-1) as { parts: number }).parts, (ev.at(-1) as { errors: number }).errors], [1, 2]);
  });
});

test('a client that disconnects mid-stream cancels the agent: it stops sending', async () => {
  const agent = new ScriptedAgent({ name: 'a1', everyMs: 20 });
  await withHub({ agents: [agent] }, async (hub) => {
    const ac = new AbortController();
    const res = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 10_000 }, { signal: ac.signal });
    for await (const line of splitLines(res.body!)) {
      if (JSON.parse(line).type === 'reply') break;
    }
    ac.abort();
    await new Promise((r) => setTimeout(r, 200));
    const atAbort = agent.emitted;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(agent.emitted, atAbort, 'the agent kept emitting after the client left');
    assert.ok(atAbort < 100);
  });
});

test('authorize seam: a refusal answers its status and headers; public routes skip it', async () => {
  const seen: string[] = [];
  await withHub({
    agents: [new ScriptedAgent({ name: 'a1' })],
    authorize: async (req, route) => {
      seen.push(route.name);
      if (req.headers.authorization === 'Bearer good') return { subject: 'tester', scopes: ['measure'] };
      return { status: 401, code: ErrorCode.Unauthorized, message: 'a bearer token is required', headers: { 'www-authenticate': 'Bearer' } };
    },
  }, async (hub) => {
    const denied = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 1 });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('www-authenticate'), 'Bearer');
    assert.deepEqual(await json(denied), { error: { code: ErrorCode.Unauthorized, message: 'a bearer token is required' } });
    const allowed = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 1 }, { headers: { 'content-type': 'application/json', authorization: 'Bearer good' } });
    assert.equal(allowed.status, 200);
    assert.equal((await events(allowed)).at(-1)!.type, 'done');
    assert.equal((await fetch(hub.url + '/healthz')).status, 200);
    assert.deepEqual(seen, ['measurements', 'measurements']);
  });
});

test('admit seam: policy can refuse a spec before any agent runs, or clamp it', async () => {
  const agent = new ScriptedAgent({ name: 'a1' });
  await withHub({
    agents: [agent],
    admit: async (spec, { principal }) => {
      assert.equal(principal.subject, 'anonymous');
      if (spec.targets.includes('127.0.0.9')) return { status: 403, code: ErrorCode.PolicyRefused, message: 'target 127.0.0.9 is refused by policy' };
      return { ...spec, count: Math.min(spec.count ?? 4, 2) };
    },
  }, async (hub) => {
    const refused = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.9'], count: 1 });
    assert.equal(refused.status, 403);
    assert.equal((await json(refused)).error.code, ErrorCode.PolicyRefused);
    assert.equal(agent.emitted, 0);
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 50 }));
    assert.equal(ev.filter((e) => e.type === 'reply').length, 2);
  });
});

test('observer seam sees requests by route and status, and streams opening and closing', async () => {
  const log: string[] = [];
  await withHub({
    agents: [new ScriptedAgent({ name: 'a1' })],
    observer: {
      request: (i) => log.push(`request ${i.route} ${i.method} ${i.status}`),
      streamOpened: (i) => log.push(`open ${i.route}`),
      streamClosed: (i) => log.push(`close ${i.route} parts=${i.done.parts} aborted=${i.aborted}`),
      event: (e) => log.push(`event ${e.type}`),
    },
  }, async (hub) => {
    await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 1 }));
    await (await fetch(hub.url + '/nope')).text();
    await new Promise((r) => setTimeout(r, 50));
  });
  assert.deepEqual(log, [
    'open measurements', 'event start', 'event reply', 'event summary', 'event done',
    'close measurements parts=1 aborted=false', 'request measurements POST 200', 'request unknown GET 404',
  ]);
});

test('extra routes plug in through HubOptions.routes', async () => {
  await withHub({
    agents: [],
    routes: [{ name: 'jwks', methods: ['GET'], path: '/.well-known/jwks.json', public: true, async handle({ res }) { res.end('{"keys":[]}'); } }],
  }, async (hub) => {
    assert.deepEqual(await json(await fetch(hub.url + '/.well-known/jwks.json')), { keys: [] });
  });
});

test('a hub without agents answers a measurement with an error event and done', async () => {
  await withHub({ agents: [] }, async (hub) => {
    const ev = await events(await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'] }));
    assert.deepEqual(ev.map((e) => e.type), ['error', 'done']);
    assert.match((ev[0] as { message: string }).message, /no agent/);
  });
});

test('close() ends a running stream with done and creates the data directory', async () => {
  const dataDir = join(dataRoot, 'nested', 'data');
  const hub = await createHub({
    listen: '127.0.0.1:0',
    dataDir,
    authorize: async () => ({ subject: 'anonymous', scopes: ['measure'] }),
    agents: [new ScriptedAgent({ name: 'a1', everyMs: 50 })],
  });
  assert.ok((await stat(dataDir)).isDirectory());
  const res = await post(hub, '/v1/measurements', { type: 'ping', targets: ['127.0.0.1'], count: 10_000 });
  const it = splitLines(res.body!)[Symbol.asyncIterator]();
  assert.equal(JSON.parse((await it.next()).value).type, 'start');
  const closed = hub.close();
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(JSON.parse(r.value).type);
  await closed;
  assert.equal(rest.at(-1), 'done');
});

test('POST /v1/cli refuses more than one command line in plain text, and answers --json with NDJSON', async () => {
  await withHub({ agents: [new ScriptedAgent({ name: 'a1' })] }, async (hub) => {
    const two = await fetch(hub.url + '/v1/cli', { method: 'POST', body: 'ping 127.0.0.1\nping 127.0.0.2\n' });
    assert.equal(two.status, 400);
    assert.match(two.headers.get('content-type')!, /^text\/plain/);
    assert.equal(await two.text(), 'send one command line per request\n');
    const json = await fetch(hub.url + '/v1/cli', { method: 'POST', body: 'ping --json -c 2 127.0.0.1\n' });
    assert.match(json.headers.get('content-type')!, /^application\/x-ndjson/);
    assert.deepEqual((await events(json)).map((e) => e.type), ['start', 'reply', 'reply', 'summary', 'done']);
  });
});
