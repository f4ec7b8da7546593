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

/** Sends `text` in a fresh chat and returns the bot's message once the run is over. */
async function finished(text: string, done: RegExp): Promise<StoredMessage> {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, text);
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const m = await rig.api.waitUntil(() => {
    const now = rig.api.message(chat.id, first.messageId);
    return now && done.test(now.text) && !/running/.test(now.text) ? now : undefined;
  }, 15_000, `the finished answer to ${text}`);
  assert.equal(rig.api.botMessages(chat.id).length, 1, 'one message, edited');
  return m;
}

test('/dns from two agents: dig lines per agent, then one summary line per agent', async () => {
  const m = await finished('/dns -s local,second www.example.test', /^second +www\.example\.test/m);
  for (const agent of ['local', 'second']) {
    assert.match(m.text, new RegExp(`^\\[${agent}\\] www\\.example\\.test\\.\\s+60\\s+IN\\s+A\\s+127\\.0\\.0\\.7$`, 'm'), m.text);
    assert.match(m.text, new RegExp(`^${agent} +www\\.example\\.test +127\\.0\\.0\\.7 +[0-9.]+ ms$`, 'm'), m.text);
  }
  assert.equal(m.parseMode, 'HTML');
  assert.ok(m.replyMarkup?.inline_keyboard.flat().length, 'the agent keyboard');
});

test('/http from two agents: status, timings and TLS per agent, then one timing line per agent', async () => {
  const m = await finished(`/http -s local,second ${f.httpsUrl}`, /^second +https:/m);
  for (const agent of ['local', 'second']) {
    assert.match(m.text, new RegExp(`^\\[${agent}\\] HTTP/1\\.1 200 OK `, 'm'), m.text);
    assert.match(m.text, new RegExp(`^\\[${agent}\\] dns [0-9.]+  connect [0-9.]+  tls [0-9.]+  first byte`, 'm'), m.text);
    assert.match(m.text, new RegExp(`^${agent} +https://web\\.test:${f.tls.port}/ +200( +[0-9.]+){5}$`, 'm'), m.text);
  }
  assert.doesNotMatch(m.text, /< x-test/, 'compact: no headers without -v');
});

test('/help dns and /help http answer the usage', async () => {
  for (const [cmd, re] of [['dns', /usage: dns /], ['http', /usage: http /]] as const) {
    const { user, chat } = privateChat();
    const asked = rig.api.sendText(chat, user, `/help ${cmd}`);
    const reply = await nextBotMessage(rig.api, chat.id, asked);
    assert.match(reply.text, re);
  }
});
