/*
 * iputils' ping flags by email (issue 11, item 17), against a real hub with a real local agent:
 * -q and -D reach the rendered answer, and -w without -c stays within the email count cap.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';
import { answerEmail } from '../../../shared/email/email-answer.ts';
import { HubClient } from '../../../shared/wire/hub-client.ts';

let testHub: TestHub;
let client: HubClient;

before(async () => {
  testHub = await startTestHub({ agents: [new LocalAgent({ name: 'local' })] });
  const { token } = await testHub.hub.tokens.issue({ sub: 'service:email', scopes: ['measure'], ttlS: 3600 });
  client = new HubClient({ url: testHub.url, token });
});
after(async () => {
  await testHub?.close();
});

test('ping -q answers the header and the statistics only; -D stamps each reply with its arrival', async () => {
  const quiet = await answerEmail({ text: 'ping -q -c 2 -i 0.05 127.0.0.1' }, { hub: client, now: Date.now });
  assert.equal(quiet.kind, 'measurement');
  assert.match(quiet.text, /^2 packets transmitted, 2 received/m);
  assert.doesNotMatch(quiet.text, /bytes from/);
  const before = Date.now() / 1000;
  const stamped = await answerEmail({ text: 'ping -D -c 2 -i 0.05 127.0.0.1' }, { hub: client, now: Date.now });
  const stamps = [...stamped.text.matchAll(/^\[(\d{10}\.\d{6})\] 64 bytes from 127\.0\.0\.1: icmp_seq=\d+ /gm)].map((m) => Number(m[1]));
  assert.equal(stamps.length, 2, stamped.text);
  assert.ok(stamps.every((s) => s >= before - 1 && s <= Date.now() / 1000 + 1), `stamps ${stamps} are the time of this run`);
});

test('ping -w without -c by email runs the email count cap, not the deadline\'s thousands', async () => {
  const a = await answerEmail({ text: 'ping -q -w 30 -i 0.01 127.0.0.1' }, { hub: client, maxCount: 3 });
  assert.equal(a.kind, 'measurement');
  assert.match(a.text, /^3 packets transmitted, 3 received/m, a.text);
});
