// What one client may cost the hub (issue 11 item 6): a stream's buffer is bounded, a client
// that reads nothing loses its stream after the write timeout, and streams open at once are
// capped per subject and per IP. Also the agents' cap (item 4: MESHPROBE_MAX_AGENTS).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import WebSocket from 'ws';
import { AGENT_CONNECT_PATH } from '../../shared/wire/agent-protocol-constants.ts';
import { FloodAgent } from '../../bench/flood-agent.ts';
import { withTestHub } from '../helpers/test-hub.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

const flood = { type: 'ping', targets: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`), count: 10_000 };

/** POSTs `spec` and hands back the response paused: the client reads nothing until resumed. */
function postPaused(url: string, path: string, body: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.on('error', reject);
    req.on('response', (res) => {
      res.pause();
      resolve(res);
    });
    req.end(body);
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a client that reads too slowly gets the stream cut at the bound: an error naming it, then done, and the agent stops', async () => {
  let closed: { aborted: boolean } | undefined;
  await withTestHub(
    { allowAnonymous: true, agents: [new FloodAgent('fast1', 0)], maxBufferedBytes: 64 * 1024, observer: { streamClosed: (i) => (closed = i) } },
    async (t) => {
      const res = await postPaused(t.url, '/v1/measurements', JSON.stringify(flood));
      await until('the hub ends the stream', () => closed !== undefined);
      assert.equal(closed!.aborted, true, 'the measurement was cancelled, not run to its end');
      res.setEncoding('utf8');
      let text = '';
      res.on('data', (d: string) => (text += d));
      res.resume();
      await new Promise((r) => res.once('end', r));
      const lines = text.trimEnd().split('\n');
      const last = JSON.parse(lines.at(-1)!) as { type: string };
      const reason = JSON.parse(lines.at(-2)!) as { type: string; code: string; message: string };
      assert.equal(last.type, 'done');
      assert.equal(reason.type, 'error');
      assert.equal(reason.code, 'MP_ERR_CANCELLED');
      assert.equal(reason.message, 'client too slow: 64 KiB buffered, the most a stream may hold');
      assert.ok(lines.length < 20 * 20_000, 'not the whole measurement');
    },
  );
});

test('a client that reads nothing for the write timeout loses its stream and connection; the agent stops', async () => {
  let closed: { aborted: boolean } | undefined;
  await withTestHub(
    // A generous buffer bound, so that the write timeout is what cuts the stream; a paced flood
    // (200,000 events at 50,000/s) that outlasts the timeout, so the run cannot finish first.
    { allowAnonymous: true, agents: [new FloodAgent('fast1', 50_000)], maxBufferedBytes: 64 * 1024 * 1024, writeTimeoutMs: 300, observer: { streamClosed: (i) => (closed = i) } },
    async (t) => {
      const res = await postPaused(t.url, '/v1/measurements', JSON.stringify(flood));
      const connections = () => new Promise<number>((ok) => t.hub.server.getConnections((_e, n) => ok(n)));
      await until('the hub closes the connection of the client that does not read', async () => (await connections()) === 0, 60_000);
      await until('the measurement ends', () => closed !== undefined);
      assert.equal(closed!.aborted, true);
      res.destroy();
    },
  );
});

test('streams open at once are capped per IP and per subject: 429 naming the setting, for /v1/measurements and /v1/cli; a slot frees when a stream ends', async () => {
  const slow = new ScriptedAgent({ name: 'slow1', replies: 100, everyMs: 100 });
  await withTestHub({ allowAnonymous: true, agents: [slow], streamsPerIp: 2, streamsPerSubject: 1 }, async (t) => {
    const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.1'] });
    const open = (headers: Record<string, string> = {}, signal?: AbortSignal) =>
      fetch(t.url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: spec, ...(signal ? { signal } : {}) });

    // Per IP (anonymous clients share a subject, so they are counted by address).
    const first = new AbortController();
    const a = await open({}, first.signal);
    const b = await open();
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const c = await open();
    assert.equal(c.status, 429);
    const body = (await c.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'MP_ERR_RATE_LIMITED');
    assert.match(body.error.message, /has 2 measurement streams open, the most allowed \(MESHPROBE_STREAMS_PER_IP\)/);
    const cli = await fetch(t.url + '/v1/cli', { method: 'POST', body: 'ping 127.0.0.1' });
    assert.equal(cli.status, 429);
    const cliText = await cli.text();
    assert.match(cliText, /MESHPROBE_STREAMS_PER_IP/);
    assert.equal(cliText.trimEnd().split('\n').length, 1, 'one line');
    first.abort();
    await until('the slot of the cancelled stream is free again', async () => {
      const d = await open();
      if (d.status === 200) await d.body?.cancel();
      return d.status === 200;
    });
    await b.body?.cancel();
  });
  // Per subject (no cap per IP here: every client of a test is on 127.0.0.1).
  await withTestHub({ allowAnonymous: true, agents: [slow], streamsPerIp: 0, streamsPerSubject: 1 }, async (t) => {
    const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.1'] });
    const open = (headers: Record<string, string> = {}) => fetch(t.url + '/v1/measurements', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: spec });
    const alice = { authorization: `Bearer ${await t.token(['measure'], 'alice')}` };
    const mine = await open(alice);
    assert.equal(mine.status, 200);
    const more = await open(alice);
    assert.equal(more.status, 429);
    assert.match(((await more.json()) as { error: { message: string } }).error.message, /^alice has 1 measurement streams open, the most allowed \(MESHPROBE_STREAMS_PER_SUBJECT\)/);
    await mine.body?.cancel();
    const anonymous = await Promise.all([open(), open()]);
    assert.deepEqual(anonymous.map((r) => r.status), [200, 200], 'anonymous is capped per IP only');
    await Promise.all(anonymous.map((r) => r.body?.cancel()));
  });
});

test('at most maxAgents agents connect; one more is refused at the upgrade naming MESHPROBE_MAX_AGENTS', async () => {
  await withTestHub({ control: { maxAgents: 1 } }, async (t) => {
    const dial = async (name: string) => {
      const token = await t.token(['agent'], `agent:${name}`);
      const ws = new WebSocket(t.url.replace('http', 'ws') + AGENT_CONNECT_PATH, { headers: { authorization: `Bearer ${token}` } });
      return new Promise<{ ws: WebSocket; status: number; body: string }>((resolve, reject) => {
        ws.on('open', () => resolve({ ws, status: 101, body: '' }));
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ ws, status: res.statusCode ?? 0, body }));
        });
        ws.on('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
      });
    };
    const one = await dial('one1');
    assert.equal(one.status, 101);
    const two = await dial('two1');
    assert.equal(two.status, 503);
    assert.match(two.body, /maximum of 1 agents connected \(MESHPROBE_MAX_AGENTS\)/);
    one.ws.close();
  });
});
