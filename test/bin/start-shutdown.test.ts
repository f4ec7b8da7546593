// `npm start` with Telegram and SMTP enabled exits on SIGTERM in bounded time whatever its peers
// do: here the Bot API accepts connections and stops answering (a reply in flight, and the long
// poll), and the mail relay accepts a connection and never greets (a reply in flight). Once, such
// a process took over 4 minutes to exit. The test asserts that it exits, not how fast (the
// launcher's own bound is 10 s; 20 s here holds under load).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { createTransport } from 'nodemailer';
import { startBotApiServer } from '../helpers/bot-api-server.ts';
import { privateChat } from '../bots/telegram/bot-harness.ts';
import { startMain } from '../helpers/launcher-process.ts';

const EXIT_BOUND_MS = 20_000;

test('SIGTERM ends npm start (hub, Telegram, SMTP) although the Bot API and the mail relay hang', async (t) => {
  const api = await startBotApiServer();
  // A relay that accepts and stalls: no greeting, ever.
  const stalled: Socket[] = [];
  const relay = createServer((s) => void stalled.push(s));
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  t.after(async () => {
    for (const s of stalled) s.destroy();
    relay.close();
    await api.close();
  });
  const main = await startMain({
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: api.apiRoot,
    MESHPROBE_SMTP_LISTEN: '127.0.0.1:0',
    MESHPROBE_SMTP_RELAY: `smtp://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    MESHPROBE_EMAIL_FROM: 'cli@meshprobe.test',
    MESHPROBE_HUB: '',
    MESHPROBE_HUB_TOKEN: '',
    TELEGRAM_WEBHOOK_URL: '',
  });
  t.after(() => main.stop('SIGKILL'));
  // The Telegram line comes first, then the SMTP gateway's.
  const smtpPort = Number(
    (await api.waitUntil(() => /Telegram: @\S+ \(long polling\)[\s\S]*email: SMTP gateway on 127\.0\.0\.1:(\d+)/.exec(main.stdout()), 20_000, 'the Telegram and email lines of the banner'))[1],
  );

  // The bot answers a message; its answer is never acknowledged, and then nothing is.
  api.hang(['sendMessage', 'sendChatAction', 'editMessageText', 'sendPhoto']);
  const { user, chat } = privateChat();
  api.sendText(chat, user, '/help');
  await api.waitForCall((c) => c.method === 'sendMessage' || c.method === 'sendChatAction', 15_000);
  api.hang('all');

  // A mail whose reply goes to the stalled relay.
  await createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({ from: 'alice@example.org', to: 'cli@meshprobe.test', subject: 'v', text: 'version' });
  await api.waitUntil(() => stalled.length > 0, 15_000, 'the gateway connecting to the relay');

  const started = Date.now();
  main.proc.kill('SIGTERM');
  const exit = once(main.proc, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as string | null }));
  const outcome = await Promise.race([exit, new Promise<'still running'>((r) => setTimeout(() => r('still running'), EXIT_BOUND_MS).unref())]);
  t.diagnostic(`exit after ${Date.now() - started} ms`);
  assert.notEqual(outcome, 'still running', `the process still ran ${EXIT_BOUND_MS / 1000} s after SIGTERM; output:\n${main.stdout()}\n${main.stderr()}`);
  assert.deepEqual(outcome, { code: 0, signal: null }, main.stderr());
  assert.match(main.stderr(), /meshprobe: SIGTERM, closing/);
});
