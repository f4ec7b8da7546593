/**
 * The alert evaluator (hub/core/alert-evaluator.ts) over a real SQLite store with minute rows
 * written to it, delivering through the real webhook channel (hub/http/alert-webhook.ts) to a real
 * HTTP server on 127.0.0.1: one message when a rule starts holding, one when it clears, none
 * again after a restart, at most one per monitor per rate-limit period, and webhooks held to the
 * target policy.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketOf } from '../../../shared/model/histogram.ts';
import type { MinuteRow } from '../../../shared/model/monitor-types.ts';
import { AlertEvaluator, type AlertMessage, fanOutAlertSink } from '../../../hub/core/alert-evaluator.ts';
import { checkWebhookUrl, postWebhook } from '../../../hub/http/alert-webhook.ts';
import { openSqliteStore } from '../../../hub/store/sqlite-store.ts';
import type { MonitorStore } from '../../../hub/store/monitor-store.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const MIN = 60_000;

/** A local webhook receiver: every POSTed JSON body, and the status it answers. */
async function receiver(status = 204): Promise<{ url: string; got: AlertMessage[]; requests: IncomingMessage[]; close(): Promise<void> }> {
  const got: AlertMessage[] = [];
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:1/' } : {}).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?secret=s1`,
    got,
    requests,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

function row(m: number, t: number, sent: number, recv: number, rttMs = 1): MinuteRow {
  return { m, t, sent, recv, ...(recv > 0 ? { min: rttMs, max: rttMs } : {}), sum: recv * rttMs, hist: recv > 0 ? [[bucketOf(rttMs), recv]] : [] };
}

async function withStore(body: (dir: string, open: () => MonitorStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mp-alerts-'));
  try {
    await body(dir, () => openSqliteStore(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('loss>5% for 5m: one webhook when it starts holding, one when it clears, none again after a restart', async () => {
  const hook = await receiver();
  await withStore(async (_dir, open) => {
    let store = open();
    const m = store.createMonitor({ owner: 'telegram:42', name: 'uplink', type: 'ping', target: '127.0.0.1', probe: '127.0.0.1', intervalMs: 1000, traceMs: null, from: [], alerts: ['loss>5% for 5m'], notify: { webhook: hook.url }, paused: false }, T0);
    let now = T0;
    const sink = fanOutAlertSink({ webhook: (url, msg) => postWebhook(url, msg, { policy: 'lan' }) });
    const logs: string[] = [];
    let ev = new AlertEvaluator({ store, sink, now: () => now, minMessageIntervalMs: 0, log: (l) => logs.push(l) });

    // Five clean minutes from two agents: nothing to say.
    for (let i = 0; i < 5; i++) {
      store.upsertRows('lax1', [row(m.id, T0 + i * MIN, 60, 60)]);
      store.upsertRows('fra1', [row(m.id, T0 + i * MIN, 60, 60)]);
    }
    now = T0 + 4 * MIN + 30_000;
    await ev.evaluateAll();
    assert.equal(hook.got.length, 0);

    // lax1 loses 20 % for five minutes: over the window its loss passes 5 %.
    for (let i = 5; i < 10; i++) {
      store.upsertRows('lax1', [row(m.id, T0 + i * MIN, 60, 48)]);
      store.upsertRows('fra1', [row(m.id, T0 + i * MIN, 60, 60)]);
    }
    now = T0 + 9 * MIN + 30_000;
    await ev.evaluateAll();
    await ev.evaluateAll();
    assert.equal(hook.got.length, 1, 'told once, however often evaluated');
    const firing = hook.got[0]!;
    assert.equal(firing.state, 'firing');
    assert.equal(firing.rule, 'loss>5% for 5m');
    assert.deepEqual(firing.monitor, { id: m.id, name: 'uplink', target: '127.0.0.1', owner: 'telegram:42' });
    assert.deepEqual(firing.agents, [{ agent: 'fra1', value: 0, holds: false }, { agent: 'lax1', value: 20, holds: true }]);
    assert.equal(firing.text, 'ALERT uplink (127.0.0.1): loss>5% for 5m holds on lax1 loss 20%');
    assert.equal(hook.requests[0]!.headers['content-type'], 'application/json');
    assert.equal(store.alertState(m.id, 'loss>5% for 5m')?.holding, true);

    // The hub restarts while it holds: the new evaluator does not tell it again.
    store.close();
    store = open();
    ev = new AlertEvaluator({ store, sink, now: () => now, minMessageIntervalMs: 0 });
    await ev.evaluateAll();
    assert.equal(hook.got.length, 1, 'no second message after a restart');

    // Clean again: cleared once.
    for (let i = 10; i < 16; i++) store.upsertRows('lax1', [row(m.id, T0 + i * MIN, 60, 60)]);
    now = T0 + 15 * MIN + 30_000;
    await ev.evaluateAll();
    await ev.evaluateAll();
    assert.equal(hook.got.length, 2);
    assert.equal(hook.got[1]!.state, 'resolved');
    assert.match(hook.got[1]!.text, /^RESOLVED uplink \(127\.0\.0\.1\): loss>5% for 5m no longer holds \(lax1 loss 0%\)$/);
    assert.deepEqual(logs, []);
    store.close();
  });
  await hook.close();
});

test('p95>50ms for 10m and the rate limit: a change within the limit waits, and is told only if it still stands', async () => {
  const hook = await receiver();
  await withStore(async (_dir, open) => {
    const store = open();
    const m = store.createMonitor({ owner: 'admin', name: 'dns', type: 'ping', target: '127.0.0.2', probe: '127.0.0.2', intervalMs: 1000, traceMs: null, from: [], alerts: ['p95>50ms for 10m'], notify: { webhook: hook.url }, paused: false }, T0);
    let now = T0;
    const ev = new AlertEvaluator({ store, sink: fanOutAlertSink({ webhook: (u, msg) => postWebhook(u, msg, { policy: 'lan' }) }), now: () => now, minMessageIntervalMs: 10 * MIN });
    // Slow (80 ms) for ten minutes: fires.
    for (let i = 0; i < 10; i++) store.upsertRows('lax1', [row(m.id, T0 + i * MIN, 60, 60, 80)]);
    now = T0 + 9 * MIN;
    await ev.evaluateAll();
    assert.deepEqual(hook.got.map((g) => g.state), ['firing']);
    // Fast from minute 10 on: the window of minutes 10–19 is clean just before the ten-minute
    // limit since the first message (minute 9) has passed.
    for (let i = 10; i < 30; i++) store.upsertRows('lax1', [row(m.id, T0 + i * MIN, 60, 60, 2)]);
    now = T0 + 19 * MIN - 1;
    await ev.evaluateAll();
    assert.deepEqual(hook.got.map((g) => g.state), ['firing'], 'cleared, but within the limit: waits');
    now = T0 + 19 * MIN;
    await ev.evaluateAll();
    assert.deepEqual(hook.got.map((g) => g.state), ['firing', 'resolved'], 'told once the limit passed');
    store.close();
  });
  await hook.close();
});

test('webhooks: the policy is applied to the resolved address, redirects fail, bad URLs are refused', async () => {
  const msg = { text: 'x' } as AlertMessage;
  const hook = await receiver();
  await assert.rejects(postWebhook(hook.url, msg, { policy: 'public' }), /^Error: webhook: 127\.0\.0\.1 is a loopback address .*refused by the public policy$/);
  // A name is resolved, and every address checked, before any connection.
  await assert.rejects(
    postWebhook('http://hooks.test/x', msg, { policy: 'public', resolve: async () => [{ address: '198.51.100.7', family: 4 }, { address: '127.0.0.1', family: 4 }] }),
    /documentation|loopback/,
  );
  // With the lan policy the name's checked address is the one connected to.
  const port = new URL(hook.url).port;
  await postWebhook(`http://hooks.test:${port}/named`, msg, { policy: 'lan', resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
  assert.equal(hook.requests.at(-1)!.url, '/named');
  assert.equal(hook.requests.at(-1)!.headers.host, `hooks.test:${port}`);
  await hook.close();
  const redirect = await receiver(302);
  await assert.rejects(postWebhook(redirect.url, msg, { policy: 'lan' }), /answered 302 \(redirects are not followed\)/);
  assert.equal(redirect.got.length, 1);
  await redirect.close();
  assert.deepEqual(checkWebhookUrl('ftp://x/'), { ok: false, message: 'webhook: http or https only, not ftp' });
  assert.match((checkWebhookUrl('http://u:p@x/') as { message: string }).message, /no credentials/);
  assert.match((checkWebhookUrl('nope') as { message: string }).message, /is not a URL/);
});

test('a webhook that never answers is given up after the deadline', async () => {
  const server = createServer(() => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await assert.rejects(postWebhook(url, { text: 'x' } as AlertMessage, { policy: 'lan', timeoutMs: 200 }), /took longer than 200 ms/);
  server.closeAllConnections();
  server.close();
});
