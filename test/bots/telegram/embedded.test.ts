// `npm start` (bin/start.ts) with TELEGRAM_BOT_TOKEN set runs the bot too, as a client of the
// embedded hub with a service token it mints itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBotApiServer } from '../../helpers/bot-api-server.ts';
import { nextBotMessage, privateChat } from './bot-harness.ts';

const root = join(import.meta.dirname, '..', '..', '..');

test('npm start with TELEGRAM_BOT_TOKEN answers /ping and /token through the embedded hub', async (t) => {
  const api = await startBotApiServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-tg-main-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir };
  for (const k of ['MESHPROBE_HUB', 'MESHPROBE_HUB_TOKEN', 'TELEGRAM_WEBHOOK_URL']) delete env[k];
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await api.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  await api.waitForCall((c) => c.method === 'setMyCommands', 20_000).catch((err: Error) => assert.fail(`${err.message}; output:\n${out}`));
  await api.waitUntil(() => /Telegram: @meshprobe_test_bot \(long polling\)/.test(out), 5_000, 'the Telegram line in the banner');

  const { user, chat } = privateChat();
  api.sendText(chat, user, '/ping -c 1 127.0.0.1');
  const first = await api.waitUntil(() => api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await api.waitUntil(() => {
    const m = api.message(chat.id, first.messageId);
    return m && / sent, \d+ received/.test(m.text) && !/running/.test(m.text) ? m : undefined;
  }, 10_000, 'the statistics');
  assert.match(done.text, /1 sent, 1 received/);

  const asked = api.sendText(chat, user, '/token');
  const reply = await nextBotMessage(api, chat.id, asked);
  assert.match(reply.text, /eyJ[\w-]+\.[\w-]+\.[\w-]+/);

  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0, `clean exit on SIGTERM; output:\n${out}`);
});
