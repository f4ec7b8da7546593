// The monitor REST routes (issue 13 item 2) against a real hub on 127.0.0.1:0 with its SQLite
// store: CRUD, and every refusal with its status, code and a reason naming the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withTestHub, type TestHub } from '../../../helpers/test-hub.ts';
import { MonitorAgent } from '../../../helpers/monitor-agent.ts';
import { Histogram } from '../../../../shared/model/histogram.ts';
import type { MinuteRow, MonitorDetail, MonitorSamplesResponse, MonitorView } from '../../../../shared/model/monitor-types.ts';

interface Answer {
  status: number;
  body: any;
}

async function api(t: TestHub, method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Answer> {
  const res = await fetch(t.url + path, {
    method,
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

function row(m: number, t: number, rtts: (number | null)[]): MinuteRow {
  const h = new Histogram();
  const got = rtts.filter((r): r is number => r !== null);
  for (const r of got) h.add(r);
  return { m, t, sent: rtts.length, recv: got.length, sum: got.reduce((a, b) => a + b, 0), hist: h.pairs(), ...(got.length ? { min: Math.min(...got), max: Math.max(...got), last: got.at(-1)!, lastAt: t + 30_000 } : {}), addr: '127.0.0.1' };
}

test('a monitor is created, listed, shown by id and by name, changed and removed', async () => {
  await withTestHub({}, async (t) => {
    const user = await t.token(['measure'], 'telegram:42');
    const created = await api(t, 'POST', '/v1/monitors', { token: user, body: { target: 'lo@127.0.0.1', interval: '2s' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const view = created.body as MonitorView;
    assert.equal(view.name, 'lo');
    assert.equal(view.probe, '127.0.0.1');
    assert.equal(view.target, 'lo@127.0.0.1');
    assert.equal(view.intervalMs, 2000);
    assert.equal(view.owner, 'telegram:42');

    const list = await api(t, 'GET', '/v1/monitors', { token: user });
    assert.deepEqual(list.body.monitors.map((m: MonitorView) => m.name), ['lo']);
    const byId = await api(t, 'GET', `/v1/monitors/${view.id}`, { token: user });
    const byName = await api(t, 'GET', '/v1/monitors/lo?range=3d', { token: user });
    assert.equal(byId.status, 200);
    assert.equal(byName.status, 200);
    assert.equal((byName.body as MonitorDetail).rangeMs, 3 * 86_400_000);
    assert.equal((byId.body as MonitorDetail).id, view.id);

    const patched = await api(t, 'PATCH', '/v1/monitors/lo', { token: user, body: { interval: 5, paused: true, name: 'loopback' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.equal(patched.body.intervalMs, 5000);
    assert.equal(patched.body.paused, true);
    assert.equal(patched.body.name, 'loopback');

    const removed = await api(t, 'DELETE', '/v1/monitors/loopback', { token: user });
    assert.deepEqual(removed.body, { removed: { id: view.id, name: 'loopback' } });
    const gone = await api(t, 'GET', `/v1/monitors/${view.id}`, { token: user });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'MP_ERR_NOT_FOUND');
  });
});

test('targets: a name, IPv4, IPv6 and name@address; bad ones refused with a reason', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    for (const [target, probe, name] of [['localhost', 'localhost', 'localhost'], ['[::1]', '::1', '0::1'], ['v6@0:0::1', '::1', 'v6'], ['127.0.0.2', '127.0.0.2', '127.0.0.2']] as const) {
      const r = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.probe, probe);
      assert.equal(r.body.name, name);
    }
    const bad = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'x@not-an-address' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /after @ comes an IPv4 or IPv6 address/);
    const dup = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.2' } });
    assert.equal(dup.status, 400);
    assert.match(dup.body.error.message, /already have a monitor named 127\.0\.0\.2/);
  });
});

test('bad durations are refused naming the field and the bounds', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    const cases: [unknown, RegExp][] = [
      [{ target: '127.0.0.1', interval: 'fast' }, /^interval: fast is not a duration/],
      [{ target: '127.0.0.1', interval: '10ms' }, /^interval: 10ms is outside 100ms–1h/],
      [{ target: '127.0.0.1', trace: '5s' }, /^trace: 5s is outside 1m–1d/],
      [{ target: '127.0.0.1', colour: 'red' }, /unknown field colour/],
      [{ target: '127.0.0.1', name: '42' }, /all digits/],
    ];
    for (const [body, reason] of cases) {
      const r = await api(t, 'POST', '/v1/monitors', { token: admin, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'MP_ERR_BAD_REQUEST');
      assert.match(r.body.error.message, reason);
    }
    const created = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.1' } });
    const range = await api(t, 'GET', `/v1/monitors/${created.body.id}?range=soon`, { token: admin });
    assert.equal(range.status, 400);
    assert.match(range.body.error.message, /^range: soon is not a duration/);
    const step = await api(t, 'GET', `/v1/monitors/${created.body.id}/samples?from=-30d&step=1m`, { token: admin });
    assert.equal(step.status, 400);
    assert.match(step.body.error.message, /more than the 10000 one answer may have/);
    const from = await api(t, 'GET', `/v1/monitors/${created.body.id}/samples?from=yesterday`, { token: admin });
    assert.equal(from.status, 400);
    assert.match(from.body.error.message, /^from: yesterday is not a time/);
  });
});

test('alert rules and webhooks are checked at the door: POST and PATCH refuse a bad one with a 400 naming it', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    const bad: [unknown, RegExp][] = [
      [{ target: '127.0.0.1', alert: ['loss>5% for 5m', 'jitter>5ms'] }, /^alert "jitter>5ms": unknown metric jitter; one of loss, p50, p95, p99, avg, min, max \(e\.g\. 'loss>5% for 5m', 'p95>50ms for 10m'\)$/],
      [{ target: '127.0.0.1', alert: ['loss>120%'] }, /^alert "loss>120%": loss is at most 100%/],
      [{ target: '127.0.0.1', alert: ['p95>50ms for 30d'] }, /^alert "p95>50ms for 30d": the window is 1m to 1d/],
      [{ target: '127.0.0.1', webhook: 'ftp://hooks.example/x' }, /^webhook: http or https only, not ftp$/],
      [{ target: '127.0.0.1', webhook: 'https://user:pw@hooks.example/x' }, /^webhook: no credentials in the URL/],
    ];
    for (const [body, reason] of bad) {
      const r = await api(t, 'POST', '/v1/monitors', { token: admin, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'MP_ERR_BAD_REQUEST');
      assert.match(r.body.error.message, reason);
    }
    assert.equal((await api(t, 'GET', '/v1/monitors', { token: admin })).body.monitors.length, 0, 'nothing was stored');

    const ok = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.1', alert: [' loss>5% ', 'p95>=200us for 90s'], webhook: 'http://127.0.0.1:9/hook' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(ok.body.alerts, ['loss>5%', 'p95>=200us for 90s'], 'kept as given, trimmed');
    const patch = await api(t, 'PATCH', `/v1/monitors/${ok.body.id}`, { token: admin, body: { alert: ['p99 > fast'] } });
    assert.equal(patch.status, 400);
    assert.match(patch.body.error.message, /^alert "p99 > fast": expected METRIC>VALUE \[for WINDOW\]/);
    const hook = await api(t, 'PATCH', `/v1/monitors/${ok.body.id}`, { token: admin, body: { webhook: 'gopher://x.example/' } });
    assert.equal(hook.status, 400);
    assert.match(hook.body.error.message, /^webhook: http or https only, not gopher$/);
    assert.deepEqual((await api(t, 'GET', `/v1/monitors/${ok.body.id}`, { token: admin })).body.alerts, ['loss>5%', 'p95>=200us for 90s'], 'a refused PATCH changes nothing');

    // /v1/cli refuses the rule in the grammar, before the hub's service is called.
    const cli = await fetch(t.url + '/v1/cli', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: "monitor add 127.0.0.2 --alert 'loss>5'x" });
    const text = await cli.text();
    assert.match(text, /^monitor add: --alert "loss>5x": expected METRIC>VALUE \[for WINDOW\]/, text);
    assert.equal((await api(t, 'GET', '/v1/monitors', { token: admin })).body.monitors.length, 1);
  });
});

test('public policy: a webhook at a non-public address literal is refused when the monitor is created', async () => {
  await withTestHub({ policy: 'public' }, async (t) => {
    const admin = await t.token(['admin']);
    const r = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'example.com', webhook: 'http://10.1.2.3/hook' } });
    assert.equal(r.status, 400);
    assert.match(r.body.error.message, /^webhook: 10\.1\.2\.3 is a private address.*refused by the public policy$/);
    const v6 = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'example.com', webhook: 'http://[::1]:8080/hook' } });
    assert.equal(v6.status, 400);
    assert.match(v6.body.error.message, /^webhook: ::1 is .*refused by the public policy$/);
    // A name is checked when a message is sent, against the addresses it then resolves to.
    const named = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'example.com', webhook: 'https://hooks.example.com/x' } });
    assert.equal(named.status, 201, JSON.stringify(named.body));
  });
});

test('alerts go by mail or chat only to the caller: notify.email must be the caller\'s own address', async () => {
  await withTestHub({}, async (t) => {
    const alice = await t.token(['measure'], 'telegram:1');
    const bob = await t.token(['measure'], 'email:bob@example.org');
    const carol = await t.token(['measure'], 'carol');
    const other = await api(t, 'POST', '/v1/monitors', { token: alice, body: { target: '127.0.0.1', notify: { email: 'victim@example.org' } } });
    assert.equal(other.status, 400);
    assert.match(other.body.error.message, /^notify\.email: alerts go by mail only to the address the monitor is created from \(here telegram:1\)/);
    assert.equal((await api(t, 'POST', '/v1/monitors', { token: alice, body: { target: '127.0.0.1', notify: { telegram: '-100200' } } })).status, 201);
    assert.equal((await api(t, 'POST', '/v1/monitors', { token: bob, body: { target: '127.0.0.1', notify: { email: 'Bob@Example.org' } } })).status, 201);
    const chat = await api(t, 'POST', '/v1/monitors', { token: carol, body: { target: '127.0.0.1', notify: { telegram: '42' } } });
    assert.equal(chat.status, 400);
    assert.match(chat.body.error.message, /^notify\.telegram: alerts go to a Telegram chat only for monitors created from Telegram/);
    const patched = await api(t, 'PATCH', '/v1/monitors/127.0.0.1', { token: bob, body: { notify: { email: 'eve@example.org' } } });
    assert.equal(patched.status, 400);
  });
});

test('public policy: a loopback target is refused as a ping to it is, with the same reason', async () => {
  await withTestHub({ policy: 'public' }, async (t) => {
    const admin = await t.token(['admin']);
    const r = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'lo@127.0.0.1' } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'MP_ERR_POLICY');
    const ping = await fetch(t.url + '/v1/measurements', { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'ping', targets: ['127.0.0.1'] }) });
    assert.equal(ping.status, 403);
    assert.equal(((await ping.json()) as any).error.message, r.body.error.message);
    // The public floor of the interval (200 ms) holds for monitors too.
    const fast = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: 'example.com', interval: '100ms' } });
    assert.equal(fast.status, 400);
    assert.match(fast.body.error.message, /outside 200ms–1h/);
  });
});

test('caps: monitors per subject and probes/s per agent refuse with 429 naming the cap', async () => {
  await withTestHub({ monitors: { maxPerSubject: 2, maxPpsPerAgent: 15 } }, async (t) => {
    const user = await t.token(['measure'], 'email:a@example.com');
    for (const target of ['127.0.0.1', '127.0.0.2']) assert.equal((await api(t, 'POST', '/v1/monitors', { token: user, body: { target } })).status, 201);
    const third = await api(t, 'POST', '/v1/monitors', { token: user, body: { target: '127.0.0.3' } });
    assert.equal(third.status, 429);
    assert.equal(third.body.error.code, 'MP_ERR_LIMIT');
    assert.match(third.body.error.message, /has 2 monitors.*MESHPROBE_MONITOR_MAX_PER_SUBJECT=2/);

    // Admin is not capped per subject, but every agent is per probes/s: 2 at 1/s + 10/s + 10/s > 15.
    const admin = await t.token(['admin']);
    const agent = await MonitorAgent.connect(t.url, (await t.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token, 'lax1');
    try {
      assert.equal((await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.4', interval: '100ms' } })).status, 201);
      const over = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.5', interval: '100ms' } });
      assert.equal(over.status, 429);
      assert.match(over.body.error.message, /agent lax1 would probe 22\/s, over the cap of 15 probes\/s per agent \(MESHPROBE_MONITOR_MAX_PPS_PER_AGENT\)/);
      // Paused, it costs nothing; resuming it is refused the same way.
      const paused = await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.5', interval: '100ms', paused: true } });
      assert.equal(paused.status, 201);
      const resume = await api(t, 'PATCH', `/v1/monitors/${paused.body.id}`, { token: admin, body: { paused: false } });
      assert.equal(resume.status, 429);
    } finally {
      await agent.close();
    }
  });
});

test('scopes and ownership: read-only tokens, other users, anonymous callers', async () => {
  await withTestHub({ allowAnonymous: true }, async (t) => {
    const alice = await t.token(['measure'], 'telegram:1');
    const bob = await t.token(['measure'], 'telegram:2');
    const reader = await t.token(['monitor:read'], 'telegram:1');
    const readScope = await t.token(['read'], 'telegram:1');
    const admin = await t.token(['admin']);
    const mine = await api(t, 'POST', '/v1/monitors', { token: alice, body: { target: 'lo@127.0.0.1' } });
    assert.equal(mine.status, 201);

    const asReader = await api(t, 'GET', '/v1/monitors/lo', { token: reader });
    assert.equal(asReader.status, 200);
    const readerWrites = await api(t, 'POST', '/v1/monitors', { token: reader, body: { target: '127.0.0.2' } });
    assert.equal(readerWrites.status, 403);
    assert.match(readerWrites.body.error.message, /needs the monitor:write scope/);
    const noScope = await api(t, 'GET', '/v1/monitors', { token: readScope });
    assert.equal(noScope.status, 403);
    assert.match(noScope.body.error.message, /monitor:read or monitor:write/);

    // Bob sees nothing of Alice's, by id or by name: not found, not forbidden.
    assert.deepEqual((await api(t, 'GET', '/v1/monitors', { token: bob })).body.monitors, []);
    assert.equal((await api(t, 'GET', `/v1/monitors/${mine.body.id}`, { token: bob })).status, 404);
    assert.equal((await api(t, 'DELETE', '/v1/monitors/lo', { token: bob })).status, 404);
    // Admin sees every monitor and finds it by name.
    assert.equal((await api(t, 'GET', '/v1/monitors', { token: admin })).body.monitors.length, 1);
    assert.equal((await api(t, 'GET', '/v1/monitors/lo', { token: admin })).status, 200);

    const anon = await api(t, 'POST', '/v1/monitors', { body: { target: '127.0.0.1' } });
    assert.equal(anon.status, 401);
    assert.match(anon.body.error.message, /anonymous callers cannot own/);
  });
});

test('samples: per step and agent, with the histogram as bounds in ms', async () => {
  await withTestHub({}, async (t) => {
    const admin = await t.token(['admin']);
    const agent = await MonitorAgent.connect(t.url, (await t.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token, 'lax1');
    try {
      const m = (await api(t, 'POST', '/v1/monitors', { token: admin, body: { target: '127.0.0.1' } })).body as MonitorView;
      await agent.assigned([m.id]);
      const minute = Math.floor(Date.now() / 60_000) * 60_000;
      await agent.reportAcked(1, [row(m.id, minute - 120_000, [0.1, 0.1, null, 0.2]), row(m.id, minute - 60_000, [1, 2])]);
      const s = (await api(t, 'GET', `/v1/monitors/${m.id}/samples?from=-10m&step=2m&agent=lax1`, { token: admin })).body as MonitorSamplesResponse;
      assert.equal(s.stepMs, 120_000);
      const total = s.samples.reduce((a, x) => a + x.sent, 0);
      assert.equal(total, 6);
      assert.equal(s.samples.reduce((a, x) => a + x.received, 0), 5);
      for (const x of s.samples) {
        assert.equal(x.agent, 'lax1');
        assert.equal(x.hist.reduce((a, [, c]) => a + c, 0), x.received);
        for (const [bound] of x.hist) assert.ok(bound !== null && bound > 0);
      }
      // 0.1 ms lands in the bucket bounded by 2^(-33/10) ≈ 0.1015 ms.
      assert.ok(s.samples.some((x) => x.hist.some(([b, c]) => Math.abs(b! - 2 ** -3.3) < 1e-6 && c === 2)), JSON.stringify(s.samples));
    } finally {
      await agent.close();
    }
  });
});
