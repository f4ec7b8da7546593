/**
 * Test rig for the Telegram bot: a Bot API server on loopback, a real hub with real local agents,
 * and the real bot (long polling through @grammyjs/runner) pointed at both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { startTelegramBot, type RunningTelegramBot, type StartTelegramBotOptions } from '../../../bots/telegram/main.ts';
import type { TokenService } from '../../../hub/auth/token-service.ts';
import { createHub, type Hub, type HubOptions } from '../../../hub/http/server.ts';
import type { AgentLink } from '../../../shared/wire/agent-link.ts';
import { startBotApiServer, type BotApiChat, type BotApiServer, type BotApiUser, type StoredMessage } from '../../helpers/bot-api-server.ts';

export interface Rig {
  api: BotApiServer;
  hub: Hub;
  bot: RunningTelegramBot;
  logs: string[];
  /** The hub's token service, and the bot's service token (scopes `measure token:create delegate`). */
  tokens: TokenService;
  serviceToken: string;
  close(): Promise<void>;
}

export interface RigOptions {
  /** Agents in the hub (default one LocalAgent named 'local'). */
  agents?: AgentLink[];
  hub?: Omit<HubOptions, 'listen' | 'dataDir' | 'agents'>;
  bot?: Partial<StartTelegramBotOptions>;
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const dataDir = await mkdtemp(join(tmpdir(), 'mp-tg-'));
  const api = await startBotApiServer();
  // The hub as deployed: bearer tokens required. The bot holds a service token an admin minted.
  const hub = await createHub({ listen: '127.0.0.1:0', dataDir, agents: o.agents ?? [new LocalAgent({ name: 'local' })], ...o.hub });
  const tokens = hub.tokens;
  const serviceToken = (await tokens.issue({ sub: 'service:telegram', scopes: ['measure', 'token:create', 'delegate'], ttlS: 3600 })).token;
  const logs: string[] = [];
  const bot = await startTelegramBot({
    token: api.token,
    apiRoot: api.apiRoot,
    hubUrl: hub.url,
    log: (line) => logs.push(line),
    hubToken: serviceToken,
    ...o.bot,
  });
  return {
    api,
    hub,
    bot,
    logs,
    tokens,
    serviceToken,
    async close() {
      await bot.stop();
      await hub.close();
      await api.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

let nextId = 1000 + Math.floor(Math.random() * 1000) * 100;

/** A fresh user with a private chat (own chat id, so per-chat throttles of tests do not mix). */
export function privateChat(): { user: BotApiUser; chat: BotApiChat } {
  const id = nextId++;
  return { user: { id, is_bot: false, first_name: `user${id}` }, chat: { id, type: 'private', first_name: `user${id}` } };
}

/** A fresh group with a fresh user in it. */
export function groupChat(): { user: BotApiUser; chat: BotApiChat } {
  const id = nextId++;
  return { user: { id, is_bot: false, first_name: `user${id}` }, chat: { id: -id, type: 'group', title: `group${id}` } };
}

/** Waits until the bot has sent a message in `chatId` after `afterMessageId` and returns it. */
export async function nextBotMessage(api: BotApiServer, chatId: number, afterMessageId: number, timeoutMs = 10_000): Promise<StoredMessage> {
  return api.waitUntil(() => api.botMessages(chatId).find((m) => m.messageId > afterMessageId), timeoutMs, `a bot message in chat ${chatId}`);
}
