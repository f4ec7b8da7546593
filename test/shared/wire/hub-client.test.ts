// HubClient against a real hub on loopback (scripted agents keep the events exact).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Hub } from '../../../hub/http/server.ts';
import { ErrorCode, HubCancelledError, HubError, HubRefusedError, HubUnreachableError, MeshprobeError } from '../../../shared/model/errors.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { HubClient } from '../../../shared/wire/hub-client.ts';
import { ScriptedAgent } from '../../helpers/scripted-agent.ts';
import { closedPort } from '../../helpers/closed-port.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';

let testHub: TestHub;
let hub: Hub;
const agent = new ScriptedAgent({ name: 'a1', everyMs: 20 });
const tokensSeen: Array<string | undefined> = [];

before(async () => {
  testHub = await startTestHub({
    agents: [agent],
    authorize: async (req) => {
      tokensSeen.push(req.headers.authorization);
      if (req.headers.authorization === 'Bearer expired') {
        return { status: 401, code: ErrorCode.Unauthorized, message: 'the token has expired', headers: { 'www-authenticate': 'Bearer' } };
      }
      return { subject: 'anonymous', scopes: ['measure'] };
    },
  });
  hub = testHub.hub;
});
after(async () => {
  await testHub.close();
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('measure() yields the events of the stream, done last', async () => {
  const client = new HubClient({ url: hub.url + '/' });
  const ev = await all(client.measure({ type: 'ping', targets: ['127.0.0.1'], count: 2 }));
  assert.deepEqual(ev.map((e) => e.type), ['start', 'reply', 'reply', 'summary', 'done']);
});

test('measure() throws BadRequest with the hub’s one-line reason for a refused spec', async () => {
  const client = new HubClient({ url: hub.url });
  await assert.rejects(all(client.measure({ type: 'ping', targets: ['127.0.0.1'], count: -1 })), (err: unknown) => {
    assert.ok(err instanceof HubError && err instanceof MeshprobeError);
    assert.equal(err.code, ErrorCode.BadRequest);
    assert.equal(err.status, 400);
    assert.match(err.message, /count must be at least 1/);
    return true;
  });
});

test('the bearer token is sent, and a 401 becomes Unauthorized with the hub’s message', async () => {
  tokensSeen.length = 0;
  await new HubClient({ url: hub.url, token: 'abc' }).version();
  assert.deepEqual(tokensSeen, ['Bearer abc']);
  await assert.rejects(new HubClient({ url: hub.url, token: 'expired' }).agents(), (err: unknown) =>
    err instanceof HubError && err.code === ErrorCode.Unauthorized && err.message === 'the token has expired' && err.status === 401);
});

test('an unreachable hub throws HubUnreachable naming the URL', async () => {
  // A port that was free a moment ago: nobody listens there.
  const port = await closedPort();
  const client = new HubClient({ url: `http://127.0.0.1:${port}` });
  await assert.rejects(all(client.measure({ type: 'ping', targets: ['127.0.0.1'] })), (err: unknown) =>
    err instanceof HubError && err.code === ErrorCode.HubUnreachable && err.message.includes(`127.0.0.1:${port}`) && /ECONNREFUSED/.test(err.message));
});

test('aborting the signal mid-stream throws Cancelled and the hub stops the agent', async () => {
  const client = new HubClient({ url: hub.url });
  const ac = new AbortController();
  const seen: MeasurementEvent[] = [];
  await assert.rejects(async () => {
    for await (const e of client.measure({ type: 'ping', targets: ['127.0.0.1'], count: 10_000 }, { signal: ac.signal })) {
      seen.push(e);
      if (e.type === 'reply') ac.abort();
    }
  }, (err: unknown) => err instanceof HubError && err.code === ErrorCode.Cancelled);
  assert.equal(seen.at(-1)!.type, 'reply');
  await new Promise((r) => setTimeout(r, 150));
  const stoppedAt = agent.emitted;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(agent.emitted, stoppedAt);
});

test('breaking out of the loop early also cancels the measurement', async () => {
  const client = new HubClient({ url: hub.url });
  for await (const e of client.measure({ type: 'ping', targets: ['127.0.0.1'], count: 10_000 })) {
    if (e.type === 'reply') break;
  }
  await new Promise((r) => setTimeout(r, 150));
  const stoppedAt = agent.emitted;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(agent.emitted, stoppedAt);
});

test('agents() and version() read the registry and the hub version', async () => {
  const client = new HubClient({ url: hub.url });
  assert.deepEqual((await client.agents()).map((a) => a.name), ['a1']);
  const v = await client.version();
  assert.equal(v.name, 'meshprobe');
  assert.equal(v.api, 1);
});

test('cli() yields text; a refused line throws BadRequest with the reason and the usage as detail', async () => {
  const client = new HubClient({ url: hub.url });
  const text = (await all(client.cli('list'))).join('');
  assert.match(text, /^AGENT\s+LOCATION/);
  assert.match(text, /\ba1\b/);
  await assert.rejects(all(client.cli('ping -c abc 127.0.0.1')), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.equal(err.code, ErrorCode.BadRequest);
    assert.equal(err.status, 400);
    assert.match(err.message, /abc/);
    assert.match(err.detail ?? '', /ping/);
    return true;
  });
});

test('the constructor refuses a URL that is not http(s)', () => {
  assert.throws(() => new HubClient({ url: 'ftp://x' }), /http:\/\/ or https:\/\//);
  assert.throws(() => new HubClient({ url: 'not a url' }), /not a URL/);
});

test('the two kinds: the hub refused (HubRefusedError, its status and code) vs could not be reached (HubUnreachableError, cause kept, no credentials in the message)', async () => {
  await assert.rejects(all(new HubClient({ url: hub.url }).measure({ type: 'ping', targets: ['127.0.0.1'], count: -1 })), (err: unknown) => {
    assert.ok(err instanceof HubRefusedError && !(err instanceof HubUnreachableError));
    assert.equal(err.name, 'HubRefusedError');
    assert.equal(err.status, 400);
    assert.equal(err.code, ErrorCode.BadRequest);
    return true;
  });
  const port = await closedPort();
  await assert.rejects(new HubClient({ url: `http://someone:s3cret@127.0.0.1:${port}` }).version(), (err: unknown) => {
    assert.ok(err instanceof HubUnreachableError && !(err instanceof HubRefusedError));
    assert.equal(err.name, 'HubUnreachableError');
    assert.equal(err.status, 0);
    assert.equal(err.code, ErrorCode.HubUnreachable);
    assert.ok(err.cause !== undefined, 'the network error is kept as cause');
    assert.match(err.message, new RegExp(`^cannot reach the hub at http://127\\.0\\.0\\.1:${port}: `));
    assert.doesNotMatch(err.message, /s3cret|someone/);
    return true;
  });
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(new HubClient({ url: hub.url }).version({ signal: ac.signal }), (err: unknown) => err instanceof HubCancelledError && err.code === ErrorCode.Cancelled && err.status === 0);
});
