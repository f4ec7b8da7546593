// Webhook mode: setWebhook with the secret token; a post without Telegram's secret header is
// refused, one with it is handled like a polled update.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { startTelegramBot, type RunningTelegramBot } from '../../../bots/telegram/main.ts';
import type { Hub } from '../../../hub/http/server.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';
import { startBotApiServer, type BotApiServer } from '../../helpers/bot-api-server.ts';

let api: BotApiServer;
let testHub: TestHub;
let hub: Hub;
let bot: RunningTelegramBot;
const SECRET = 'w3bh00k-secret';

before(async () => {
  api = await startBotApiServer();
  testHub = await startTestHub({ agents: [new LocalAgent()], allowAnonymous: true });
  hub = testHub.hub;
  bot = await startTelegramBot({
    token: api.token,
    apiRoot: api.apiRoot,
    hubUrl: hub.url,
    log: () => {},
    // The URL only goes to the loopback Bot API server; nothing is sent to it.
    webhook: { url: 'https://bot.example/telegram', secretToken: SECRET, listen: '127.0.0.1:0' },
  });
});
after(async () => {
  await bot?.stop();
  await testHub?.close();
  await api?.close();
});

function update(id: number, chatId: number, text: string): string {
  const chat = { id: chatId, type: 'private', first_name: 'u' };
  return JSON.stringify({
    update_id: id,
    message: { message_id: 1, date: 0, chat, from: { id: chatId, is_bot: false, first_name: 'u' }, text, entities: [{ type: 'bot_command', offset: 0, length: text.split(' ')[0]!.length }] },
  });
}

test('webhook mode registers the webhook with its secret token and does not poll', () => {
  assert.deepEqual(api.webhook, { url: 'https://bot.example/telegram', secret_token: SECRET });
  assert.equal(api.callsOf('deleteWebhook').length, 0);
});

test('a post without the secret-token header is refused and not handled', async () => {
  const res = await fetch(bot.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: update(1, 501, '/help') });
  assert.equal(res.status, 401);
  const wrong = await fetch(bot.webhookUrl!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'guess' },
    body: update(2, 501, '/help'),
  });
  assert.equal(wrong.status, 401);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(api.callsOf('sendMessage', 501).length, 0);
});

test('a post with the secret-token header is handled', async () => {
  const res = await fetch(bot.webhookUrl!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: update(3, 502, '/help ping'),
  });
  assert.equal(res.status, 200);
  await res.text();
  const call = await api.waitForCall((c) => c.method === 'sendMessage' && c.chatId === 502, 5_000);
  assert.match(String(call.params.text), /usage: ping/);
});
