/**
 * /dns and /http in Telegram: the real bot against a Bot API server on loopback, a real hub with
 * two in-process agents. One message per command, compact per agent, and with several agents a
 * summary line per agent (the agent × answer and agent × timing matrices); /help dns and
 * /help http answer the usage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoredMessage } from '../../helpers/bot-api-server.ts';
import { startDnsHttpFixture, type DnsHttpFixture } from '../../helpers/dns-http-fixture.ts';
import { nextBotMessage, privateChat, startRig, type Rig } from './bot-harness.ts';

let f: DnsHttpFixture;
let rig: Rig;

before(async () => {
  f = await startDnsHttpFixture();
  rig = await startRig({ agents: f.agents });
});
after(async () => {
  await rig?.close();
  await f?.close();
});

/** Presses Details under `m` and returns the reply: every agent's lines. */
async function details(chatId: number, m: StoredMessage, user: ReturnType<typeof privateChat>['user'], chat: ReturnType<typeof privateChat>['chat']): Promise<StoredMessage> {
  const button = m.replyMarkup?.inline_keyboard.flat().find((b) => /Details/.test(b.text));
  assert.ok(button?.callback_data, JSON.stringify(m.replyMarkup));
  rig.api.pressButton(chat, user, m.messageId, button.callback_data);
  return nextBotMessage(rig.api, chatId, m.messageId);
}

// Several agents in Telegram: the answer first (a headline and one graded row per agent, phone
// width), the dig/curl lines of each agent under Details (issue 17's layout for every type).
test('/dns from two agents: a headline and a row per agent; Details has the dig lines of each', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/dns -s local,second www.example.test');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const m = await rig.api.waitUntil(() => {
    const now = rig.api.message(chat.id, first.messageId);
    return now && !/running/.test(now.text) && /^ +second +✓ [\d.]+ ms$/m.test(now.text) ? now : undefined;
  }, 15_000, 'the finished matrix');
  assert.match(m.text, /^dns www\.example\.test from 2 agents: [\d.–]+ ms, 0% loss$/m, m.text);
  for (const agent of ['local', 'second']) assert.match(m.text, new RegExp(`^ +${agent} +✓ [\\d.]+ ms$`, 'm'), m.text);
  for (const l of m.text.split('\n')) assert.ok([...l].length <= 60, `"${l}" fits a phone`);
  const d = await details(chat.id, m, user, chat);
  for (const agent of ['local', 'second']) {
    assert.match(d.text, new RegExp(`^\\[${agent}\\] www\\.example\\.test\\.\\s+60\\s+IN\\s+A\\s+127\\.0\\.0\\.7$`, 'm'), d.text);
  }
});

test('/http from two agents: a headline and a row per agent; Details has status, timings and TLS of each', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, `/http -s local,second ${f.httpsUrl}`);
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  // The grade is the latency's: a TLS fetch on a loaded box can take over 50 ms and read "~ fair".
  const m = await rig.api.waitUntil(() => {
    const now = rig.api.message(chat.id, first.messageId);
    return now && !/running/.test(now.text) && /^ +second +[✓~!] [\d.]+ ms$/m.test(now.text) ? now : undefined;
  }, 15_000, 'the finished matrix');
  assert.match(m.text, /^http https:\/\/web\.test:\d+\/ from 2 agents: [\d.–]+ ms, 0% loss$/m, m.text);
  const d = await details(chat.id, m, user, chat);
  for (const agent of ['local', 'second']) {
    assert.match(d.text, new RegExp(`^\\[${agent}\\] HTTP/1\\.1 200 OK `, 'm'), d.text);
    assert.match(d.text, new RegExp(`^\\[${agent}\\] dns [0-9.]+  connect [0-9.]+  tls [0-9.]+  first byte`, 'm'), d.text);
  }
  assert.doesNotMatch(d.text, /< x-test/, 'compact: no headers without -v');
});

test('/help dns and /help http answer the usage', async () => {
  for (const [cmd, re] of [['dns', /usage: dns /], ['http', /usage: http /]] as const) {
    const { user, chat } = privateChat();
    const asked = rig.api.sendText(chat, user, `/help ${cmd}`);
    const reply = await nextBotMessage(rig.api, chat.id, asked);
    assert.match(reply.text, re);
  }
});
