// Every renderer and fold of the front-ends terminates on any input (issue 11, item 3): a hop
// whose ttl was the string "2" sent the text renderer into an endless loop, freezing /v1/cli,
// email and Telegram. The fuzz runs in a worker thread (test/fixtures/fuzz/render-fuzz-worker.ts)
// under a watchdog: a call that does not come back is cut off and fails the test, naming the
// renderer and the (seeded, reproducible) stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';

/** No progress for this long means a call is stuck: a call takes well under a millisecond, the worker starts in a second or two; the margin is for a loaded machine. */
const STUCK_MS = 60_000;

interface Failure { name: string; stream: number; reason: string; events: string }

function fuzz(seed: number, streams: number, eventsPerStream: number): Promise<{ calls: number; failures: Failure[] }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../../fixtures/fuzz/render-fuzz-worker.ts', import.meta.url), { workerData: { seed, streams, eventsPerStream } });
    const failures: Failure[] = [];
    let last = 'before the first call';
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`seed ${seed}: ${last} did not return within ${STUCK_MS / 1000} s`));
      }, STUCK_MS);
    };
    arm();
    worker.on('message', (m: { kind: string; name: string; stream: number; calls: number } & Failure) => {
      if (m.kind === 'progress') {
        last = `${m.name} on stream ${m.stream}`;
        arm();
      } else if (m.kind === 'fail') failures.push(m);
      else if (m.kind === 'end') {
        clearTimeout(timer);
        void worker.terminate();
        resolve({ calls: m.calls, failures });
      }
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

for (const seed of [1, 20261202]) {
  test(`every renderer and fold returns on thousands of malformed events (seed ${seed})`, async () => {
    const { calls, failures } = await fuzz(seed, 400, 24);
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failed calls`);
    assert.ok(calls > 4000, `calls made: ${calls}`);
  });
}

test('a hop whose ttl is the string "2" (or NaN, 1e300, missing) renders in TTL order and ends', async () => {
  // In a worker too: before the fix this loops forever, which no in-thread timeout can stop.
  const src = `
    const { parentPort } = require('node:worker_threads');
    import(${JSON.stringify(new URL('../../../shared/render/text-renderer.ts', import.meta.url).href)}).then(({ TextRenderer }) => {
      const r = new TextRenderer();
      let out = r.push({ type: 'start', agent: 'local', target: 'x', measurement: 'traceroute', address: '198.18.1.9', family: 4, protocol: 'icmp', params: {} });
      for (const ttl of ['2', NaN, 1e300, undefined, -4, 2.6]) {
        out += r.push({ type: 'hop', agent: 'local', target: 'x', ttl, responders: [{ address: '198.18.1.1', rttsMs: [0.1] }], sent: 1e12, received: 1, lossPct: 0 });
      }
      out += r.push({ type: 'summary', agent: 'local', target: 'x', measurement: 'traceroute', sent: 3, received: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null, durationMs: 1 });
      out += r.push({ type: 'done', parts: 1, sent: 3, received: 0, errors: 0, durationMs: 1 });
      parentPort.postMessage(out);
    });`;
  const out = await new Promise<string>((resolve, reject) => {
    const w = new Worker(src, { eval: true });
    const timer = setTimeout(() => { void w.terminate(); reject(new Error(`the text renderer did not return within ${STUCK_MS / 1000} s`)); }, STUCK_MS);
    w.once('message', (m: string) => { clearTimeout(timer); void w.terminate(); resolve(m); });
    w.once('error', (e) => { clearTimeout(timer); reject(e); });
  });
  const ttls = out.split('\n').filter((l) => /^\s*\d+ {2}/.test(l)).map((l) => Number(l.trim().split(' ')[0]));
  // Not a number → TTL 1, out of range → clamped to 1..255, fractions rounded; lines in TTL order.
  assert.deepEqual(ttls, [1, 1, 1, 1, 3, 255], out);
  assert.ok(out.length < 10_000, `output of ${out.length} characters`);
});
