/**
 * The answer core both gateways share, against a real hub with a real local agent: the time
 * budget cuts a long measurement and the answer says so, the count is capped, and refusals
 * are one line.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';
import type { Hub } from '../../../hub/http/server.ts';
import { answerEmail } from '../../../shared/email/email-answer.ts';
import { HubClient } from '../../../shared/wire/hub-client.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';

let testHub: TestHub;
let hub: Hub;
let client: HubClient;

before(async () => {
  testHub = await startTestHub({ agents: [new LocalAgent({ name: 'a' })] });
  hub = testHub.hub;
  const { token } = await hub.tokens.issue({ sub: 'service:email', scopes: ['measure'], ttlS: 3600 });
  client = new HubClient({ url: hub.url, token });
});

after(async () => {
  await testHub?.close();
});

test('when the budget runs out the answer holds what arrived and says it is partial', async () => {
  const budget = new AbortController();
  const started = Date.now();
  setTimeout(() => budget.abort(), 700);
  const a = await answerEmail({ text: 'ping -c 10 -i 0.2 127.0.0.1' }, { hub: client, signal: budget.signal, budgetLabel: '0.7 s' });
  assert.ok(Date.now() - started < 1800, 'the measurement was cut (10 × 0.2 s would take 1.8 s)');
  assert.equal(a.kind, 'measurement');
  assert.equal(a.partial, true);
  assert.match(a.text, /stopped after 0\.7 s: partial results/);
  assert.match(a.text, /icmp_seq=1 /);
  assert.doesNotMatch(a.text, /icmp_seq=10 /);
  assert.match(a.html, /partial results/);
});

test('a ping count above the email cap is lowered and the answer says so', async () => {
  const a = await answerEmail({ text: 'ping -c 500 -i 0.01 127.0.0.1' }, { hub: client, maxCount: 3 });
  assert.equal(a.partial, false);
  assert.match(a.text, /count lowered from 500 to 3/);
  assert.match(a.text, /3 packets transmitted, 3 received/);
});

test('list, version and token answer as text; a bad line answers its reason and usage', async () => {
  const list = await answerEmail({ text: 'list' }, { hub: client });
  assert.match(list.text, /^a\b/m);
  assert.match(list.html, /<td[^>]*>a<\/td>/);
  assert.match((await answerEmail({ text: 'version' }, { hub: client })).text, /^meshprobe \S+ \(API \d+\)/);
  assert.match((await answerEmail({ text: 'token' }, { hub: client })).text, /not issued by email/);
  const bad = await answerEmail({ text: 'ping -c nope 127.0.0.1' }, { hub: client });
  assert.equal(bad.kind, 'refused');
  assert.equal(bad.text.split('\n').length, 2);
  assert.match(bad.text, /\nusage: ping/);
});

test('no command at all: the answer explains and includes the help overview', async () => {
  const a = await answerEmail({ text: 'Hello, can you help?', subject: 'question' }, { hub: client });
  assert.equal(a.kind, 'refused');
  assert.match(a.text, /No command found/);
  assert.match(a.text, /Commands:/);
});

test('an email reads each agent × target part as one block, done last', async () => {
  const { groupByPart } = await import('../../../shared/email/email-answer.ts');
  const e = (agent: string, seq: number) => ({ type: 'reply', agent, target: 't', seq, ttl: 64, rttMs: 1, bytes: 64, from: 't' }) as const;
  const done = { type: 'done', parts: 2, sent: 4, received: 4, errors: 0, durationMs: 1 } as const;
  const grouped = groupByPart([e('a', 1), e('b', 1), e('a', 2), done, e('b', 2)]);
  assert.deepEqual(grouped.map((x) => (x.type === 'reply' ? `${x.agent}${x.seq}` : x.type)), ['a1', 'a2', 'b1', 'b2', 'done']);
});

test('an email lists each part\'s replies, timeouts and ICMP errors in seq order, and every line names its part', async () => {
  const { groupByPart } = await import('../../../shared/email/email-answer.ts');
  const { renderText } = await import('../../../shared/render/text-renderer.ts');
  const targets = ['198.18.1.9', '198.18.1.10'];
  const evs: MeasurementEvent[] = targets.map((target) => ({ type: 'start', agent: 'lax1', target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: {} }));
  // A live stream: the timeout of seq 1 is only known after the answers to 2 and 3.
  for (const seq of [2, 3, 1]) {
    for (const target of targets) {
      evs.push(seq === 1
        ? { type: 'timeout', agent: 'lax1', target, seq }
        : { type: 'icmp-error', agent: 'lax1', target, seq, kind: 'unreachable', icmpType: 3, icmpCode: 1, from: '198.18.1.1', message: 'Destination Host Unreachable' });
    }
  }
  for (const target of targets) evs.push({ type: 'summary', agent: 'lax1', target, measurement: 'ping', sent: 3, received: 0, lossPct: 100, minMs: null, avgMs: null, maxMs: null, mdevMs: null, p50Ms: null, p90Ms: null, p99Ms: null, durationMs: 2000 });
  evs.push({ type: 'done', parts: 2, sent: 6, received: 0, errors: 0, durationMs: 2100 });
  const grouped = groupByPart(evs);
  const seqs = grouped.flatMap((e) => ('seq' in e ? [`${e.target}#${e.seq}`] : []));
  assert.deepEqual(seqs, ['198.18.1.9#1', '198.18.1.9#2', '198.18.1.9#3', '198.18.1.10#1', '198.18.1.10#2', '198.18.1.10#3']);
  const text = renderText(grouped).split('\n');
  assert.deepEqual(text.filter((l) => l.includes('From ')), [
    '[198.18.1.9] From 198.18.1.1 icmp_seq=2 Destination Host Unreachable',
    '[198.18.1.9] From 198.18.1.1 icmp_seq=3 Destination Host Unreachable',
    '[198.18.1.10] From 198.18.1.1 icmp_seq=2 Destination Host Unreachable',
    '[198.18.1.10] From 198.18.1.1 icmp_seq=3 Destination Host Unreachable',
  ]);
});

test('a trace from several agents: the path picture inline above the first part, where the paths join in the text and the alt text', async () => {
  const { multiTraceEvents } = await import('../../helpers/phone-fixtures.ts');
  const { PNG } = await import('pngjs');
  const events = multiTraceEvents();
  const hub = { async *measure() { yield* events; } } as unknown as Parameters<typeof answerEmail>[1]['hub'];
  const a = await answerEmail({ text: 'traceroute -s lax1,fra1,nyc1 a.example' }, { hub });
  assert.equal(a.images?.length, 1);
  const img = a.images![0]!;
  assert.match(img.cid, /^path-1@meshprobe$/);
  const png = PNG.sync.read(Buffer.from(img.data));
  assert.ok(png.width > 0 && png.height > 0);
  // Shown once, before the first agent's hop table (the overview first), with the point in the alt text.
  assert.equal(a.html.split(`cid:${img.cid}`).length - 1, 1);
  assert.ok(a.html.indexOf(`cid:${img.cid}`) < a.html.indexOf('from <b>lax1</b>'), 'above the first part');
  assert.match(a.html, /alt="paths to a\.example from lax1, fra1, nyc1: paths join at 203\.0\.113\.10 \(hop 3\); slowest fra1 [\d.]+ ms"/);
  assert.match(a.text, /^a\.example: paths join at 203\.0\.113\.10 \(hop 3\); slowest fra1 [\d.]+ ms$/m);
  assert.match(a.summary!, /^traceroute a\.example from 3 agents: reached by 3 of 3/);
});
