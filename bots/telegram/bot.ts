/**
 * The meshprobe Telegram bot (grammY). A hub client: every measurement goes through
 * shared/wire/hub-client.ts; commands are parsed by the shared grammar so that the bot understands
 * exactly what the CLI, email and /v1/cli understand.
 *
 * Outgoing calls pass two grammY transformers: the throttler (per-chat and global rates, so a
 * busy bot stays under Telegram's limits) and auto-retry (waits out 429 `retry_after` and
 * retries network errors). No other retry logic exists in the bot.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Bot, Composer, type Context } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { describeError, MeshprobeError } from '../../shared/model/errors.ts';
import { parseCommand, type DisplayOptions, type ParsedCommand } from '../../shared/command/grammar.ts';
import { helpText } from '../../shared/command/help.ts';
import { HubClient } from '../../shared/wire/hub-client.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { measurementType, measurementTypes, nextStep } from '../../shared/registry.ts';
import { ACTION_DETAILS, ACTION_NEXT, ACTION_PATTERN, ACTION_RERUN, AGENT_BUTTON, CANCEL_BUTTON, countryFlag } from './agent-keyboard.ts';
import { formatAgentList } from '../../shared/render/agent-list.ts';
import { MeasurementMessage } from './measurement-message.ts';
import { MessageSessions } from './message-sessions.ts';
import { escapeHtml, preHtml } from './pre-html.ts';
import { ProbePhoto } from './probe-photo.ts';
import { RateLimiter, type RateLimiterOptions } from './rate-limiter.ts';
import { issueUserToken, tokenReplyHtml, TOKEN_GROUP_REFUSAL } from './token-command.ts';
import { monitorCommand } from './monitor-command.ts';

/** Options of {@link createTelegramBot}. */
export interface TelegramBotOptions {
  /** The bot token from @BotFather (TELEGRAM_BOT_TOKEN). */
  token: string;
  /** Bot API server without a trailing slash (TELEGRAM_API_ROOT). Default: the public Bot API. */
  apiRoot?: string;
  /** The bot's own user, to skip getMe (tests, or a known bot). Default: asked with getMe at init. */
  botInfo?: UserFromGetMe;
  /** The hub's base URL (MESHPROBE_HUB). */
  hubUrl: string;
  /**
   * The bot's service token for the hub (MESHPROBE_HUB_TOKEN), scopes `measure token:create delegate`:
   * measures and mints /token tokens, each call on behalf of the Telegram user who asked.
   */
  hubToken?: string;
  /** The hub's URL as users reach it, for the /token how-to (MESHPROBE_PUBLIC_URL). Default: hubUrl. */
  publicUrl?: string;
  /** Least time between edits of one message, ms (default 1000: Telegram's per-message pace). */
  editIntervalMs?: number;
  /** Least time between photo updates of a /probe message, ms (default 5000). */
  photoIntervalMs?: number;
  /** Per-user command rate (default 5 at once, then one per 5 s); false disables. */
  rateLimit?: RateLimiterOptions | false;
  /** Where handler errors and failed edits are logged (default console.error). */
  log?: (line: string) => void;
  /** This bot's version for /version (default: the hub's answer only). */
  version?: string;
  /** fetch for hub calls (default global fetch). */
  fetch?: typeof fetch;
}

/** The command menu registered with setMyCommands: the measurement types of the registry, then the rest. */
export const BOT_COMMANDS: { command: string; description: string }[] = [
  ...measurementTypes().map((t) => ({ command: t.name, description: t.chat.menu })),
  { command: 'monitor', description: 'watch a target: add, list, show, rm' },
  { command: 'list', description: 'the agents you can measure from' },
  { command: 'token', description: 'a token for the MCP server and the HTTP API (private chat)' },
  { command: 'version', description: 'hub and bot versions' },
  { command: 'help', description: 'help [COMMAND]' },
];

/** State the handlers share. */
interface BotDeps {
  o: TelegramBotOptions;
  hub: HubClient;
  log: (line: string) => void;
  measurements: MessageSessions<MeasurementMessage>;
  probes: MessageSessions<ProbePhoto>;
  /** The bot's "which target?" prompts (ForceReply), by message: the command a reply completes. */
  prompts: MessageSessions<string>;
  limiter: RateLimiter | undefined;
}

/** Builds the bot (not started: see main.ts for polling and webhook mode). */
export function createTelegramBot(o: TelegramBotOptions): Bot {
  const bot = new Bot(o.token, {
    ...(o.botInfo ? { botInfo: o.botInfo } : {}),
    ...(o.apiRoot ? { client: { apiRoot: o.apiRoot } } : {}),
  });
  // Installed in this order the retry wraps the throttler, so a retried call queues again
  // behind the chat's other calls instead of jumping the rate limit.
  bot.api.config.use(apiThrottler());
  bot.api.config.use(autoRetry({ maxDelaySeconds: 300, maxRetryAttempts: 10 }));

  const log = o.log ?? ((line: string) => console.error(line));
  const deps: BotDeps = {
    o,
    hub: new HubClient({ url: o.hubUrl, ...(o.hubToken ? { token: o.hubToken } : {}), ...(o.fetch ? { fetch: o.fetch } : {}) }),
    log,
    measurements: new MessageSessions(),
    probes: new MessageSessions({ max: 200 }),
    prompts: new MessageSessions({ max: 1000 }),
    limiter: o.rateLimit === false ? undefined : new RateLimiter(o.rateLimit ?? {}),
  };

  bot.use(callbacks(deps));
  bot.use(commands(deps));

  // One failing update must not stop the bot: log it, and the runner goes on with the next.
  bot.catch((err) => {
    const where = err.ctx?.update?.update_id !== undefined ? ` (update ${err.ctx.update.update_id})` : '';
    log(`telegram: a handler failed${where}: ${describeError(err.error).message}`);
  });
  return bot;
}

/** Registers the command menu. Failures are logged, not fatal: the bot works without a menu. */
export async function registerCommands(bot: Bot, log: (line: string) => void = (l) => console.error(l)): Promise<void> {
  try {
    await bot.api.setMyCommands(BOT_COMMANDS);
  } catch (err) {
    log(`telegram: setMyCommands failed: ${describeError(err).message}`);
  }
}

function commands(d: BotDeps): Composer<Context> {
  const c = new Composer<Context>();
  c.on('message:text', async (ctx, next) => {
    let text = ctx.message.text.trim();
    const isPrivate = ctx.chat.type === 'private';
    // An answer to our "which target?" prompt completes the command it asked for.
    const asked = ctx.message.reply_to_message;
    const prompted = asked && asked.from?.id === ctx.me.id ? await d.prompts.find(ctx.chat.id, asked.message_id) : undefined;
    if (prompted !== undefined && !text.startsWith('/')) {
      d.prompts.delete(ctx.chat.id, asked!.message_id);
      // Only the first word of the answer is taken as the target: the prompt asked for one.
      const target = text.split(/\s+/)[0] ?? '';
      text = `/${prompted} ${target}`;
    }
    // In groups only commands are ours; in a private chat "ping 127.0.0.1" works too.
    if (!text.startsWith('/') && !isPrivate) return next();
    const head = /^\/?([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?/.exec(text);
    const botName = ctx.me.username;
    // `/cmd@otherbot` in a group is for another bot: stay silent.
    if (head?.[2] && head[2].toLowerCase() !== botName.toLowerCase()) return next();
    if (head && head[1]!.toLowerCase() === 'start') return reply(ctx, welcomeHtml());

    const parsed = parseCommand(text, { botName });
    const bare = head && !parsed.ok ? promptFor(text, head[1]!.toLowerCase()) : undefined;
    if (bare) return ask(ctx, d, bare);
    if (!parsed.ok) {
      // In a group a stray "/something" may be meant for another bot; answer only if addressed to us.
      if (!isPrivate && !head?.[2] && /^unknown command/.test(parsed.message)) return next();
      return reply(ctx, refusalHtml(parsed));
    }
    if (parsed.command === 'help') return reply(ctx, preHtml(parsed.text, { limit: 4000 }));
    if (d.limiter && ctx.from) {
      const r = d.limiter.take(String(ctx.from.id));
      if (!r.ok) return reply(ctx, `⏱ Slow down: too many commands. Try again in ${Math.max(1, Math.ceil(r.retryAfterMs / 1000))} s.`);
    }
    // With a service token (scope delegate) the hub limits and logs each Telegram user apart
    // (X-Meshprobe-On-Behalf-Of). Anonymous use has no one to delegate from.
    const u: BotDeps = ctx.from && d.o.hubToken ? { ...d, hub: d.hub.onBehalfOf(`telegram:${ctx.from.id}`) } : d;
    try {
      switch (parsed.command) {
        case 'list': {
          const agents = await u.hub.agents();
          return await reply(ctx, preHtml(parsed.json ? JSON.stringify(agents, null, 1) : formatAgentList(agents, { layout: 'lines', mark: (a) => countryFlag(a.country) }), { limit: 4000 }));
        }
        case 'version':
          return await reply(ctx, preHtml(await versionText(u), { limit: 4000 }));
        case 'token':
          return await token(ctx, u);
        case 'monitor':
          return await monitorCommand(ctx, u.hub, parsed.monitor, parsed.json);
        default:
          // A measurement type: a sweep answers with a picture, every other type with a text that fills in.
          if (measurementType(parsed.command)?.view === 'sweep') return await runProbe(ctx, u, parsed.spec);
          return await runMeasurement(ctx, u, parsed.spec, parsed.json, parsed.display);
      }
    } catch (err) {
      // The hub said no or could not be reached: the user gets the one-line reason. Failures
      // of Telegram itself propagate to bot.catch (answering would fail the same way).
      if (!(err instanceof MeshprobeError)) throw err;
      await reply(ctx, `⚠ ${escapeHtml(err.message)}`);
    }
  });
  return c;
}

/**
 * The prompt for a measurement command sent without its target (`/ping`, `/probe@bot`): the
 * command word (with the flags given) and what to ask; undefined for anything else.
 */
export function promptFor(text: string, word: string): { command: string; question: string; placeholder: string } | undefined {
  const type = measurementType(word);
  if (!type) return undefined;
  const rest = text.replace(/^\/?[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/, '').trim();
  // Flags only (no target word): every remaining word starts with '-' or follows a flag that takes a value.
  if (rest && !/^(-\S+(\s+[^-\s]\S*)?\s*)+$/.test(rest)) return undefined;
  const parsed = parseCommand(`${word} ${rest}`.trim());
  if (parsed.ok || !/missing (target|CIDR)/i.test(parsed.message)) return undefined;
  const sweep = type.view === 'sweep';
  return {
    command: `${word}${rest ? ` ${rest}` : ''}`,
    question: sweep ? `${word}: which prefix? Reply with a CIDR, e.g. 198.51.100.0/24.` : `${word}: which target? Reply with a host name or an address, e.g. example.com.`,
    placeholder: sweep ? '198.51.100.0/24' : 'example.com',
  };
}

/** Asks for the missing target with ForceReply and remembers what the answer completes. */
async function ask(ctx: Context, d: BotDeps, p: { command: string; question: string; placeholder: string }): Promise<void> {
  const chatId = ctx.chat!.id;
  // Tracked while it is sent: the answer can arrive before the bot has read sendMessage's reply.
  await d.prompts.sending(chatId, (async () => {
    const sent = await ctx.reply(escapeHtml(p.question), {
      parse_mode: 'HTML',
      reply_markup: { force_reply: true, input_field_placeholder: p.placeholder, selective: true },
      ...(ctx.message ? { reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true } } : {}),
    });
    d.prompts.set(chatId, sent.message_id, p.command);
  })());
}

function callbacks(d: BotDeps): Composer<Context> {
  const c = new Composer<Context>();
  // Next steps under a measurement: the data is one known byte; the session says what it acts on.
  c.callbackQuery(ACTION_PATTERN, async (ctx) => {
    const msg = ctx.callbackQuery.message;
    const session = msg ? await d.measurements.find(msg.chat.id, msg.message_id) : undefined;
    if (!session || !msg) return void (await ctx.answerCallbackQuery({ text: 'This measurement has expired; send the command again.' }));
    if (d.limiter && !d.limiter.take(String(ctx.from.id)).ok) return void (await ctx.answerCallbackQuery({ text: '⏱ Slow down: too many requests.' }));
    const action = ctx.callbackQuery.data;
    if (action === ACTION_DETAILS) {
      await ctx.answerCallbackQuery();
      await ctx.api.sendMessage(msg.chat.id, session.detailsHtml(), { parse_mode: 'HTML', reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } });
      return;
    }
    if (action === ACTION_RERUN) {
      await ctx.answerCallbackQuery({ text: 'Running again…' });
      session.rerun().catch((err: unknown) => d.log(`telegram: re-run failed: ${describeError(err).message}`));
      return;
    }
    // The type's usual next step on the same target, from the same agents: a new message.
    const spec = session.spec;
    const type = action === ACTION_NEXT ? nextStep(spec.type)?.command : undefined;
    const next = type ? parseCommand(`${type}${spec.from.length ? ` -s ${spec.from.join(',')}` : ''} ${spec.targets[0] ?? ''}`) : undefined;
    if (!next?.ok || !('spec' in next)) return void (await ctx.answerCallbackQuery({ text: 'That cannot run from here; send the command.' }));
    await ctx.answerCallbackQuery({ text: `${type} ${spec.targets[0]}…` });
    const u: BotDeps = d.o.hubToken ? { ...d, hub: d.hub.onBehalfOf(`telegram:${ctx.from.id}`) } : d;
    await runMeasurement(ctx, u, next.spec, false);
  });
  c.callbackQuery(new RegExp(`^${AGENT_BUTTON}(\\d+)$`), async (ctx) => {
    const msg = ctx.callbackQuery.message;
    const session = msg ? await d.measurements.find(msg.chat.id, msg.message_id) : undefined;
    const agent = session?.agents[Number(ctx.match[1])];
    if (!session || !agent) return void (await ctx.answerCallbackQuery({ text: 'This measurement has expired; send the command again.' }));
    if (d.limiter && !d.limiter.take(String(ctx.from.id)).ok) return void (await ctx.answerCallbackQuery({ text: '⏱ Slow down: too many requests.' }));
    await ctx.answerCallbackQuery({ text: `Re-running from ${agent.name}…` });
    // Not awaited: the update is handled; the run streams into the message on its own.
    session.rerun(agent.name).catch((err: unknown) => d.log(`telegram: re-run failed: ${describeError(err).message}`));
  });
  c.callbackQuery(CANCEL_BUTTON, async (ctx) => {
    const msg = ctx.callbackQuery.message;
    const session = msg ? d.probes.get(msg.chat.id, msg.message_id) : undefined;
    if (!session) return void (await ctx.answerCallbackQuery({ text: 'Nothing to cancel.' }));
    session.cancel();
    await ctx.answerCallbackQuery({ text: 'Cancelled.' });
  });
  c.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: 'This button is no longer valid.' }));
  return c;
}

async function runMeasurement(ctx: Context, d: BotDeps, spec: MeasurementSpec, json: boolean, display?: DisplayOptions): Promise<void> {
  const chatId = ctx.chat!.id;
  let messageId = 0;
  // The measurement starts now; the message is sent with its first result (measurement-message.ts).
  const session: MeasurementMessage = new MeasurementMessage({
    hub: d.hub,
    spec,
    // The agent list is a nicety for the keyboard; a hub that cannot list must not block the ping.
    agents: () => d.hub.agents().catch(() => []),
    json,
    ...(display ? { display } : {}),
    ...(d.o.editIntervalMs !== undefined ? { editIntervalMs: d.o.editIntervalMs } : {}),
    log: d.log,
    send: (html, keyboard) =>
      d.measurements.sending(
        chatId,
        (async () => {
          const sent = await ctx.reply(html, { parse_mode: 'HTML', ...(keyboard ? { reply_markup: keyboard } : {}) });
          messageId = sent.message_id;
          d.measurements.set(chatId, messageId, session);
        })(),
      ),
    edit: async (html, keyboard) => {
      await ctx.api.editMessageText(chatId, messageId, html, { parse_mode: 'HTML', ...(keyboard ? { reply_markup: keyboard } : {}) });
    },
  });
  // Not awaited: the runner goes on with other updates (e.g. a button press) while this streams.
  session.start().catch((err: unknown) => d.log(`telegram: measurement failed: ${describeError(err).message}`));
}

async function runProbe(ctx: Context, d: BotDeps, spec: MeasurementSpec): Promise<void> {
  const chatId = ctx.chat!.id;
  const probe = new ProbePhoto({
    hub: d.hub,
    spec,
    api: ctx.api,
    chatId,
    ...(d.o.photoIntervalMs !== undefined ? { minIntervalMs: d.o.photoIntervalMs } : {}),
    log: d.log,
    onSent: (messageId) => d.probes.set(chatId, messageId, probe),
  });
  probe.start().catch((err: unknown) => d.log(`telegram: probe failed: ${describeError(err).message}`));
}

async function token(ctx: Context, d: BotDeps): Promise<void> {
  if (ctx.chat?.type !== 'private' || !ctx.from) return reply(ctx, escapeHtml(TOKEN_GROUP_REFUSAL));
  try {
    const issued = await issueUserToken({ hub: d.hub, hasServiceToken: Boolean(d.o.hubToken) }, ctx.from.id);
    await reply(ctx, tokenReplyHtml(issued, d.o.publicUrl ?? d.o.hubUrl));
  } catch (err) {
    await reply(ctx, `⚠ ${escapeHtml(describeError(err).message)}`);
  }
}

async function versionText(d: BotDeps): Promise<string> {
  const lines: string[] = [];
  if (d.o.version) lines.push(`telegram bot ${d.o.version}`);
  try {
    const v = await d.hub.version();
    lines.push(`hub ${v.name} ${v.version} (api ${v.api}${v.runtime ? `, ${v.runtime}` : ''})`);
  } catch (err) {
    lines.push(`hub: ${describeError(err).message}`);
  }
  return lines.join('\n');
}

function refusalHtml(p: Extract<ParsedCommand, { ok: false }>): string {
  const usage = p.usage ? `\n<pre>${escapeHtml(p.usage)}</pre>` : `\n${escapeHtml('Send /help for the commands.')}`;
  return `⚠ ${escapeHtml(p.message)}${usage}`;
}

function welcomeHtml(): string {
  return `👋 meshprobe measures the network from its agents. Try <code>/ping -c 3 example.com</code>.\n${preHtml(helpText(), { limit: 3800 })}`;
}

async function reply(ctx: Context, html: string): Promise<void> {
  await ctx.reply(html, { parse_mode: 'HTML' });
}
