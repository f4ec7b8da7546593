/**
 * Starts the Telegram bot: long polling with @grammyjs/runner (updates handled concurrently, so
 * a button press is served while a ping streams), or webhook mode behind an HTTP listener that
 * checks Telegram's secret-token header. bin/start.ts calls {@link startTelegramBot} when
 * TELEGRAM_BOT_TOKEN is set; `node bots/telegram/main.ts` runs the bot on its own.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { webhookCallback, type Bot } from 'grammy';
import { describeError } from '../../shared/model/errors.ts';
import { readSettings, telegramSettings, type Settings } from '../../shared/config/settings.ts';
import { parseListen } from '../../shared/net/listen-address.ts';
import { createTelegramBot, registerCommands, type TelegramBotOptions } from './bot.ts';

/** Webhook mode settings. */
export interface TelegramWebhookOptions {
  /** Public HTTPS URL Telegram posts updates to (TELEGRAM_WEBHOOK_URL). */
  url: string;
  /** Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (TELEGRAM_WEBHOOK_SECRET); required. */
  secretToken: string;
  /** Local listener `host:port` (TELEGRAM_WEBHOOK_LISTEN, default 127.0.0.1:8443; port 0 = any). */
  listen?: string;
  /** Skip setWebhook (it is registered elsewhere, or a test posts updates itself). Default false. */
  skipSetWebhook?: boolean;
}

/** Options of {@link startTelegramBot}. */
export interface StartTelegramBotOptions extends TelegramBotOptions {
  /** Webhook mode instead of long polling. */
  webhook?: TelegramWebhookOptions;
}

/** A running bot. */
export interface RunningTelegramBot {
  bot: Bot;
  /** Webhook mode: the local listener's URL (e.g. http://127.0.0.1:8443/). */
  webhookUrl?: string;
  /**
   * Stops taking updates and resolves within about `deadlineMs` (default 5 s) whatever the Bot
   * API does: the long poll is aborted; handlers still waiting on Telegram (grammY waits up to
   * 500 s for an API call) are left behind, logged, for the process to end.
   */
  stop(deadlineMs?: number): Promise<void>;
}

/** Builds and starts the bot; resolves once it receives updates. */
export async function startTelegramBot(options: StartTelegramBotOptions): Promise<RunningTelegramBot> {
  const log = options.log ?? ((line: string) => console.error(line));
  const bot = createTelegramBot({ ...options, log });
  await bot.init();
  await registerCommands(bot, log);

  if (options.webhook) {
    const w = options.webhook;
    if (!w.secretToken) throw new Error('webhook mode needs a secret token (TELEGRAM_WEBHOOK_SECRET), so that only Telegram can post updates');
    const handle = webhookCallback(bot, 'http', { secretToken: w.secretToken, onTimeout: 'return' });
    const server: Server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        log(`telegram: webhook request failed: ${describeError(err).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    const { host, port } = parseListen(w.listen ?? '127.0.0.1:8443', { setting: 'TELEGRAM_WEBHOOK_LISTEN', example: '127.0.0.1:8443' });
    server.listen(port, host);
    await once(server, 'listening');
    const addr = server.address() as AddressInfo;
    if (!w.skipSetWebhook) await bot.api.setWebhook(w.url, { secret_token: w.secretToken });
    return {
      bot,
      webhookUrl: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`,
      stop: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  // getUpdates is refused while a webhook is set; polling mode means no webhook.
  await bot.api.deleteWebhook();
  const runner: RunnerHandle = run(bot, { runner: { fetch: { allowed_updates: ['message', 'callback_query'] } } });
  return {
    bot,
    stop: async (deadlineMs = 5000) => {
      if (!runner.isRunning()) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stopped = await Promise.race([
        runner.stop().then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs))),
      ]);
      clearTimeout(timer);
      if (!stopped) log(`telegram: updates still being handled after ${deadlineMs / 1000} s (the Bot API does not answer); not waiting for them`);
    },
  };
}

/** The bot's settings, read once at the process's edge; undefined when TELEGRAM_BOT_TOKEN is not set. */
export type TelegramSettings = Settings<typeof telegramSettings>;

/** The bot's options from its settings; undefined when TELEGRAM_BOT_TOKEN is not set. */
export function telegramOptions(s: TelegramSettings, defaults: { hubUrl?: string; hubToken?: string } = {}): StartTelegramBotOptions | undefined {
  if (!s?.TELEGRAM_BOT_TOKEN) return undefined;
  const hubUrl = s.MESHPROBE_HUB || defaults.hubUrl || 'http://127.0.0.1:7464';
  const hubToken = s.MESHPROBE_HUB_TOKEN || defaults.hubToken;
  const apiRoot = s.TELEGRAM_API_ROOT;
  const webhookUrl = s.TELEGRAM_WEBHOOK_URL;
  const publicUrl = s.MESHPROBE_PUBLIC_URL;
  return {
    token: s.TELEGRAM_BOT_TOKEN,
    hubUrl,
    ...(publicUrl ? { publicUrl } : {}),
    ...(hubToken ? { hubToken } : {}),
    ...(apiRoot ? { apiRoot } : {}),
    ...(webhookUrl
      ? {
          webhook: {
            url: webhookUrl,
            secretToken: s.TELEGRAM_WEBHOOK_SECRET ?? '',
            ...(s.TELEGRAM_WEBHOOK_LISTEN ? { listen: s.TELEGRAM_WEBHOOK_LISTEN } : {}),
          },
        }
      : {}),
  };
}

/**
 * Writes `line` to stderr and exits with `code` once it has left: `process.exit()` right after a
 * write would drop it when stderr is a pipe whose reader is slow. Never resolves.
 */
function exitAfterWrite(line: string, code: number): Promise<never> {
  return new Promise(() => void process.stderr.write(`${line}\n`, () => process.exit(code)));
}

// Run on its own: `node bots/telegram/main.ts` with the settings in the environment.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The environment is read here, once, through the schema (shared/config/settings.ts).
  const options = telegramOptions(readSettings(telegramSettings, process.env))
    ?? (await exitAfterWrite('meshprobe telegram: set TELEGRAM_BOT_TOKEN (and MESHPROBE_HUB, MESHPROBE_HUB_TOKEN) to run the bot', 2));
  const running = await startTelegramBot(options).catch((err: unknown) => exitAfterWrite(`meshprobe telegram: cannot start: ${describeError(err).message}`, 1));
  console.error(`meshprobe telegram: @${running.bot.botInfo.username} is running (${options.webhook ? 'webhook' : 'long polling'}), hub ${options.hubUrl}`);
  // stop() is bounded whatever the Bot API does; exit once what was written has left.
  const shutdown = (): void => void running.stop().catch(() => {}).then(() => process.stderr.write('', () => process.exit(0)));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
