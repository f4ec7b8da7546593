// Commands other than the streamed measurements: bad input answers the reason and the usage,
// /cmd@botname, groups, /list, /help, /start, the per-user rate limit, and the bot surviving a
// failing handler.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateChat, groupChat, nextBotMessage, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;

before(async () => {
  rig = await startRig({ bot: { rateLimit: { capacity: 3, refillPerSecond: 0.01 } } });
});
after(async () => {
  await rig?.close();
});

test('a malformed /ping answers the one-line reason and the usage of ping', async () => {
  const { user, chat } = privateChat();
  const asked = rig.api.sendText(chat, user, '/ping -c abc 127.0.0.1');
  const m = await nextBotMessage(rig.api, chat.id, asked);
  const [reason, ...rest] = m.text.split('\n');
  assert.match(reason!, /count/);
  assert.match(rest.join('\n'), /usage: ping \[-s NODE\]/);
  assert.doesNotMatch(m.text, /\bat .*\.ts:\d+/, 'no stack trace');
});

test('an unknown command answers "unknown command" and the usage lines', async () => {
  const { user, chat } = privateChat();
  const asked = rig.api.sendText(chat, user, '/frobnicate 127.0.0.1');
  const m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /unknown command 'frobnicate'/);
  assert.match(m.text, /usage: ping/);
  assert.match(m.text, /usage: traceroute/);
});

test('/help@botname in a group answers; a command for another bot is left alone', async () => {
  const { user, chat } = groupChat();
  rig.api.sendText(chat, user, '/ping@some_other_bot 127.0.0.1');
  const asked = rig.api.sendText(chat, user, `/help@${rig.api.botInfo.username} ping`);
  const m = await nextBotMessage(rig.api, chat.id, asked - 1);
  assert.match(m.text, /^usage: ping/, 'the first answer is the help for ping, not a reply to the other bot\'s command');
  // Give the bot time to (wrongly) answer the other bot's command, then check it did not.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(rig.api.botMessages(chat.id).length, 1);
});

test('/start greets and shows the help; /list shows the agents', async () => {
  const { user, chat } = privateChat();
  const a = rig.api.sendText(chat, user, '/start');
  const welcome = await nextBotMessage(rig.api, chat.id, a);
  assert.match(welcome.text, /Commands:/);
  const b = rig.api.sendText(chat, user, '/list');
  const list = await nextBotMessage(rig.api, chat.id, b);
  assert.match(list.text, /1 agent:\nlocal\b/);
});

test('the per-user rate limit answers a clear line once the burst is spent', async () => {
  const { user, chat } = privateChat();
  let last = 0;
  for (let i = 0; i < 3; i++) {
    last = rig.api.sendText(chat, user, '/version');
    await nextBotMessage(rig.api, chat.id, last);
  }
  const over = rig.api.sendText(chat, user, '/version');
  const m = await nextBotMessage(rig.api, chat.id, over);
  assert.match(m.text, /^⏱ Slow down: too many commands\. Try again in \d+ s\.$/);
  // Another user is not affected.
  const other = privateChat();
  const ok = rig.api.sendText(other.chat, other.user, '/version');
  assert.match((await nextBotMessage(rig.api, other.chat.id, ok)).text, /hub meshprobe/);
});

test('a handler that fails is logged and the next update is served', async () => {
  const { user, chat } = privateChat();
  rig.api.failNext('sendMessage', 1, { errorCode: 400, description: 'Bad Request: chat not found' });
  const logsBefore = rig.logs.length;
  rig.api.sendText(chat, user, '/help');
  await rig.api.waitUntil(() => rig.logs.length > logsBefore, 10_000, 'the failure to be logged');
  assert.match(rig.logs.at(-1)!, /telegram: a handler failed \(update \d+\): .*chat not found/);
  const asked = rig.api.sendText(chat, user, '/help traceroute');
  const m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^usage: traceroute/);
});

test('a measurement the hub refuses ends with the hub\'s one-line reason in the message', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -s nowhere -c 1 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && !/running/.test(m.text) && /⚠|nowhere/.test(m.text) ? m : undefined;
  }, 10_000, 'the refusal');
  assert.match(done.text, /nowhere/);
  assert.doesNotMatch(done.text, /\bat .*\.ts:\d+/);
});
