/**
 * A Telegram Bot API server on 127.0.0.1 that speaks enough of the protocol for grammY
 * (https://core.telegram.org/bots/api): long polling from a queue the test fills, messages with
 * per-chat increasing ids, edits with Telegram's own refusals ("message is not modified",
 * "message is too long", HTML entity errors), photo uploads kept as bytes, and injectable
 * 429s with `retry_after`. Every call is recorded with its arrival time so that tests can
 * assert what the bot did and when. It is a test double of Telegram, not of the bot.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';

/** One API call as the server saw it. */
export interface RecordedCall {
  method: string;
  /** Date.now() when the request arrived. */
  at: number;
  /** The parameters: JSON body or the text fields of a multipart body (JSON fields parsed). */
  params: Record<string, unknown>;
  /** Uploaded files of a multipart body, by field name. */
  files: Record<string, Uint8Array>;
  chatId?: number;
  messageId?: number;
  /** What the server answered. */
  ok: boolean;
  errorCode?: number;
  description?: string;
}

/** A message as the server keeps it (the latest state after edits). */
export interface StoredMessage {
  chatId: number;
  messageId: number;
  /** Visible text (HTML tags stripped, entities decoded), or the caption of a photo. */
  text: string;
  /** The text as the bot sent it (with markup). */
  raw: string;
  parseMode?: string;
  replyMarkup?: InlineKeyboardMarkup;
  /** The latest photo bytes, for photo messages. */
  photo?: Uint8Array;
  /** Every photo this message has shown, in order. */
  photos: Uint8Array[];
  fromBot: boolean;
  /** Calls that changed this message after it was sent (editMessage*). */
  edits: number;
}

export interface InlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
}
export interface InlineKeyboardMarkup {
  inline_keyboard: InlineKeyboardButton[][];
}

export interface BotApiUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

export interface BotApiChat {
  id: number;
  type: 'private' | 'group' | 'supergroup' | 'channel';
  title?: string;
  first_name?: string;
}

/** Options of {@link startBotApiServer}. */
export interface BotApiServerOptions {
  /** The bot token the server accepts (default '123456:TEST-TOKEN'). */
  token?: string;
  /** The bot's username (default 'meshprobe_test_bot'). */
  username?: string;
}

type Failure = { errorCode: number; description: string; retryAfter?: number };

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'span', 'tg-spoiler', 'blockquote', 'tg-emoji']);

/** Starts the server on 127.0.0.1:0. */
export async function startBotApiServer(options: BotApiServerOptions = {}): Promise<BotApiServer> {
  const s = new BotApiServer(options);
  await s.listen();
  return s;
}

export class BotApiServer {
  readonly token: string;
  readonly botInfo: BotApiUser & { can_join_groups: boolean; can_read_all_group_messages: boolean; supports_inline_queries: boolean; can_connect_to_business: boolean; has_main_web_app: boolean };
  /** Every call, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** The latest command list given to setMyCommands. */
  commands: { command: string; description: string }[] = [];
  webhook: { url: string; secret_token?: string } | undefined;

  #server: Server;
  #port = 0;
  #updates: Record<string, unknown>[] = [];
  #nextUpdateId = 1;
  #pollers = new Set<() => void>();
  #callWaiters = new Set<() => void>();
  #messages = new Map<number, Map<number, StoredMessage>>();
  #nextMessageId = new Map<number, number>();
  #failures = new Map<string, Failure[]>();
  /** Methods whose calls are accepted and never answered ('all' = every method, getUpdates too). */
  #hanging: Set<string> | 'all' = new Set();
  #closed = false;
  #fileSeq = 0;

  constructor(options: BotApiServerOptions = {}) {
    this.token = options.token ?? '123456:TEST-TOKEN';
    this.botInfo = {
      id: Number(this.token.split(':')[0]) || 123456,
      is_bot: true,
      first_name: 'meshprobe test',
      username: options.username ?? 'meshprobe_test_bot',
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    };
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#send(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(err)}` });
      });
    });
  }

  /** Base URL for grammY's `client.apiRoot` (no trailing slash). */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#pollers) wake();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- what tests drive -------------------------------------------------------------------

  /** Queues an update (update_id assigned here) for the next getUpdates. Returns its id. */
  pushUpdate(update: Record<string, unknown>): number {
    const id = this.#nextUpdateId++;
    this.#updates.push({ update_id: id, ...update });
    for (const wake of this.#pollers) wake();
    return id;
  }

  /** A user writes `text` in `chat`; returns the new message's id. */
  sendText(chat: BotApiChat, from: BotApiUser, text: string, o: { reply_to_message?: number } = {}): number {
    const message = this.#userMessage(chat, from, text);
    // A reply carries the message it answers, as Telegram sends it.
    const replied = o.reply_to_message !== undefined ? this.message(chat.id, o.reply_to_message) : undefined;
    if (replied) message.reply_to_message = this.#wireMessage(replied, chat);
    this.pushUpdate({ message });
    return message.message_id as number;
  }

  /** The user presses an inline button with `data` under the bot's message `messageId`. */
  pressButton(chat: BotApiChat, from: BotApiUser, messageId: number, data: string): string {
    const stored = this.message(chat.id, messageId);
    if (!stored) throw new Error(`no message ${messageId} in chat ${chat.id}`);
    const id = `cbq-${this.#nextUpdateId}`;
    this.pushUpdate({
      callback_query: {
        id,
        from,
        chat_instance: `ci-${chat.id}`,
        data,
        message: this.#wireMessage(stored, chat),
      },
    });
    return id;
  }

  /** Answers the next `n` calls of `method` with an error (default: 429 with retry_after 1). */
  failNext(method: string, n = 1, failure: { errorCode?: number; description?: string; retryAfter?: number } = {}): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < n; i++) {
      const errorCode = failure.errorCode ?? 429;
      const retryAfter = failure.retryAfter ?? (errorCode === 429 ? 1 : undefined);
      list.push({
        errorCode,
        description: failure.description ?? (errorCode === 429 ? `Too Many Requests: retry after ${retryAfter}` : 'Bad Request'),
        ...(retryAfter !== undefined ? { retryAfter } : {}),
      });
    }
    this.#failures.set(method, list);
  }

  /**
   * From now on, calls of `methods` (or of every method, pending long polls included) are
   * recorded and never answered: the connection stays open, as with a peer that has gone away
   * without closing its sockets. close() still ends them.
   */
  hang(methods: 'all' | readonly string[]): void {
    if (methods === 'all') this.#hanging = 'all';
    else if (this.#hanging !== 'all') for (const m of methods) this.#hanging.add(m);
  }

  #hangs(method: string): boolean {
    return this.#hanging === 'all' || this.#hanging.has(method);
  }

  /** The stored state of a message. */
  message(chatId: number, messageId: number): StoredMessage | undefined {
    return this.#messages.get(chatId)?.get(messageId);
  }

  /** The bot's messages in a chat, oldest first. */
  botMessages(chatId: number): StoredMessage[] {
    return [...(this.#messages.get(chatId)?.values() ?? [])].filter((m) => m.fromBot);
  }

  /** Calls of `method` (optionally only those about one chat / message). */
  callsOf(method: string, chatId?: number, messageId?: number): RecordedCall[] {
    return this.calls.filter(
      (c) => c.method === method && (chatId === undefined || c.chatId === chatId) && (messageId === undefined || c.messageId === messageId),
    );
  }

  /** Resolves with the first recorded call (past or future) that matches, or rejects after `timeoutMs`. */
  async waitForCall(predicate: (c: RecordedCall) => boolean, timeoutMs = 10_000, what = 'a matching Bot API call'): Promise<RecordedCall> {
    return this.waitUntil(() => this.calls.find(predicate), timeoutMs, what);
  }

  /**
   * Resolves with `probe()`'s first truthy value, checked after every call and every 20 ms (for
   * state outside this server, such as a log); rejects after `timeoutMs`.
   */
  async waitUntil<T>(probe: () => T | undefined | false | null, timeoutMs = 10_000, what = 'the expected bot behaviour'): Promise<T> {
    const first = probe();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearInterval(poll);
        this.#callWaiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = (): void => {
        const v = probe();
        if (v) {
          clearTimeout(timer);
          clearInterval(poll);
          this.#callWaiters.delete(check);
          resolve(v);
        }
      };
      const poll = setInterval(check, 20);
      this.#callWaiters.add(check);
    });
  }

  // ---- HTTP -------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!m) return this.#send(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    if (m[1] !== this.token) return this.#send(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const method = m[2]!;
    const body = await readBody(req);
    const { params, files } = parseParams(req.headers['content-type'] ?? '', body, url.searchParams);
    const call: RecordedCall = { method, at: Date.now(), params, files, ok: true };
    const chatId = numberOrUndefined(params.chat_id);
    const messageId = numberOrUndefined(params.message_id);
    if (chatId !== undefined) call.chatId = chatId;
    if (messageId !== undefined) call.messageId = messageId;

    if (method === 'getUpdates') {
      // Long polls are not recorded: there would be one every few ms of idle time otherwise.
      if (this.#hangs(method) && !this.#closed) return;
      return this.#getUpdates(req, res, params);
    }
    this.calls.push(call);
    if (this.#hangs(method) && !this.#closed) {
      for (const check of [...this.#callWaiters]) check();
      return;
    }

    const failure = this.#failures.get(method)?.shift();
    let status = 200;
    let answer: Record<string, unknown>;
    if (failure) {
      answer = this.#error(failure.errorCode, failure.description, failure.retryAfter);
    } else {
      answer = this.#dispatch(method, params, files, call);
    }
    if (answer.ok === false) {
      status = answer.error_code as number;
      call.ok = false;
      call.errorCode = answer.error_code as number;
      call.description = answer.description as string;
    }
    this.#send(res, status, answer);
    for (const check of [...this.#callWaiters]) check();
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  #error(code: number, description: string, retryAfter?: number): Record<string, unknown> {
    return {
      ok: false,
      error_code: code,
      description,
      ...(retryAfter !== undefined ? { parameters: { retry_after: retryAfter } } : {}),
    };
  }

  #getUpdates(req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>): void {
    const offset = numberOrUndefined(params.offset);
    const timeoutS = numberOrUndefined(params.timeout) ?? 0;
    const limit = numberOrUndefined(params.limit) ?? 100;
    // A positive offset confirms every update below it, as Telegram does.
    if (offset !== undefined && offset > 0) this.#updates = this.#updates.filter((u) => (u.update_id as number) >= offset);
    const ready = (): Record<string, unknown>[] => this.#updates.slice(0, limit);
    const now = ready();
    if (now.length > 0 || timeoutS <= 0 || this.#closed) return this.#send(res, 200, { ok: true, result: now });
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.#pollers.delete(wake);
      if (this.#hangs('getUpdates') && !this.#closed) return;
      if (!res.writableEnded && !res.destroyed) this.#send(res, 200, { ok: true, result: ready() });
    };
    const wake = (): void => finish();
    const timer = setTimeout(finish, timeoutS * 1000);
    this.#pollers.add(wake);
    req.on('close', () => {
      // The client gave up (runner stopped): forget this poll without answering.
      if (!res.writableEnded) {
        finished = true;
        clearTimeout(timer);
        this.#pollers.delete(wake);
      }
    });
  }

  #dispatch(method: string, p: Record<string, unknown>, files: Record<string, Uint8Array>, call: RecordedCall): Record<string, unknown> {
    const ok = (result: unknown): Record<string, unknown> => ({ ok: true, result });
    switch (method) {
      case 'getMe':
        return ok(this.botInfo);
      case 'deleteWebhook':
        this.webhook = undefined;
        return ok(true);
      case 'setWebhook':
        if (typeof p.url !== 'string') return this.#error(400, 'Bad Request: bad webhook: url is required');
        this.webhook = { url: p.url, ...(typeof p.secret_token === 'string' ? { secret_token: p.secret_token } : {}) };
        return ok(true);
      case 'getWebhookInfo':
        return ok({ url: this.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: this.#updates.length });
      case 'setMyCommands': {
        const commands = p.commands;
        if (!Array.isArray(commands)) return this.#error(400, 'Bad Request: commands must be an array');
        for (const c of commands as { command?: unknown; description?: unknown }[]) {
          if (typeof c.command !== 'string' || !/^[a-z0-9_]{1,32}$/.test(c.command)) return this.#error(400, 'Bad Request: BOT_COMMAND_INVALID');
          if (typeof c.description !== 'string' || c.description.length < 1 || c.description.length > 256) return this.#error(400, 'Bad Request: BOT_COMMAND_DESCRIPTION_INVALID');
        }
        this.commands = commands as { command: string; description: string }[];
        return ok(true);
      }
      case 'getMyCommands':
        return ok(this.commands);
      case 'deleteMyCommands':
        this.commands = [];
        return ok(true);
      case 'sendChatAction':
      case 'answerCallbackQuery':
        return ok(true);
      case 'sendMessage':
        return this.#sendMessage(p, call);
      case 'sendPhoto':
        return this.#sendPhoto(p, files, call);
      case 'editMessageText':
        return this.#edit(p, call, (msg) => {
          if (msg.photo) return this.#error(400, 'Bad Request: there is no text in the message to edit');
          const parsed = visibleText(String(p.text ?? ''), p.parse_mode);
          if (!parsed.ok) return this.#error(400, parsed.description);
          if (parsed.text.trim() === '') return this.#error(400, 'Bad Request: message text is empty');
          if (parsed.text.length > TEXT_LIMIT) return this.#error(400, 'Bad Request: message is too long');
          const markup = p.reply_markup as InlineKeyboardMarkup | undefined;
          if (parsed.text === msg.text && sameJson(markup, msg.replyMarkup)) return notModified(this);
          msg.text = parsed.text;
          msg.raw = String(p.text);
          setParseMode(msg, p.parse_mode);
          setMarkup(msg, markup);
          return undefined;
        });
      case 'editMessageReplyMarkup':
        return this.#edit(p, call, (msg) => {
          const markup = p.reply_markup as InlineKeyboardMarkup | undefined;
          if (sameJson(markup, msg.replyMarkup)) return notModified(this);
          setMarkup(msg, markup);
          return undefined;
        });
      case 'editMessageCaption':
        return this.#edit(p, call, (msg) => {
          const parsed = visibleText(String(p.caption ?? ''), p.parse_mode);
          if (!parsed.ok) return this.#error(400, parsed.description);
          if (parsed.text.length > CAPTION_LIMIT) return this.#error(400, 'Bad Request: message caption is too long');
          const markup = p.reply_markup as InlineKeyboardMarkup | undefined;
          if (parsed.text === msg.text && sameJson(markup, msg.replyMarkup)) return notModified(this);
          msg.text = parsed.text;
          msg.raw = String(p.caption ?? '');
          setMarkup(msg, markup);
          return undefined;
        });
      case 'editMessageMedia':
        return this.#edit(p, call, (msg) => {
          const media = p.media as { type?: string; media?: string; caption?: string; parse_mode?: string } | undefined;
          if (media?.type !== 'photo' || typeof media.media !== 'string') return this.#error(400, 'Bad Request: media is invalid');
          const bytes = resolveFile(media.media, files);
          if (!bytes) return this.#error(400, 'Bad Request: wrong file identifier/HTTP URL specified');
          const parsed = visibleText(String(media.caption ?? ''), media.parse_mode);
          if (!parsed.ok) return this.#error(400, parsed.description);
          if (parsed.text.length > CAPTION_LIMIT) return this.#error(400, 'Bad Request: message caption is too long');
          msg.photo = bytes;
          msg.photos.push(bytes);
          msg.text = parsed.text;
          msg.raw = String(media.caption ?? '');
          setMarkup(msg, p.reply_markup as InlineKeyboardMarkup | undefined);
          return undefined;
        });
      case 'deleteMessage': {
        const chatId = numberOrUndefined(p.chat_id);
        const messageId = numberOrUndefined(p.message_id);
        const chat = chatId === undefined ? undefined : this.#messages.get(chatId);
        if (!chat || messageId === undefined || !chat.delete(messageId)) return this.#error(400, 'Bad Request: message to delete not found');
        return ok(true);
      }
      default:
        return this.#error(404, 'Not Found: method not found');
    }
  }

  #sendMessage(p: Record<string, unknown>, call: RecordedCall): Record<string, unknown> {
    const chatId = numberOrUndefined(p.chat_id);
    if (chatId === undefined) return this.#error(400, 'Bad Request: chat_id is empty');
    const parsed = visibleText(String(p.text ?? ''), p.parse_mode);
    if (!parsed.ok) return this.#error(400, parsed.description);
    if (parsed.text.trim() === '') return this.#error(400, 'Bad Request: message text is empty');
    if (parsed.text.length > TEXT_LIMIT) return this.#error(400, 'Bad Request: message is too long');
    const msg = this.#store(chatId, {
      text: parsed.text,
      raw: String(p.text),
      photos: [],
      fromBot: true,
      edits: 0,
    });
    setParseMode(msg, p.parse_mode);
    setMarkup(msg, p.reply_markup as InlineKeyboardMarkup | undefined);
    call.messageId = msg.messageId;
    return { ok: true, result: this.#wireMessage(msg) };
  }

  #sendPhoto(p: Record<string, unknown>, files: Record<string, Uint8Array>, call: RecordedCall): Record<string, unknown> {
    const chatId = numberOrUndefined(p.chat_id);
    if (chatId === undefined) return this.#error(400, 'Bad Request: chat_id is empty');
    const bytes = typeof p.photo === 'string' ? resolveFile(p.photo, files) : undefined;
    if (!bytes) return this.#error(400, 'Bad Request: there is no photo in the request');
    const parsed = visibleText(String(p.caption ?? ''), p.parse_mode);
    if (!parsed.ok) return this.#error(400, parsed.description);
    if (parsed.text.length > CAPTION_LIMIT) return this.#error(400, 'Bad Request: message caption is too long');
    const msg = this.#store(chatId, {
      text: parsed.text,
      raw: String(p.caption ?? ''),
      photo: bytes,
      photos: [bytes],
      fromBot: true,
      edits: 0,
    });
    setMarkup(msg, p.reply_markup as InlineKeyboardMarkup | undefined);
    call.messageId = msg.messageId;
    return { ok: true, result: this.#wireMessage(msg) };
  }

  #edit(p: Record<string, unknown>, call: RecordedCall, apply: (msg: StoredMessage) => Record<string, unknown> | undefined): Record<string, unknown> {
    const chatId = numberOrUndefined(p.chat_id);
    const messageId = numberOrUndefined(p.message_id);
    if (chatId === undefined || messageId === undefined) return this.#error(400, 'Bad Request: message identifier is not specified');
    const msg = this.message(chatId, messageId);
    if (!msg) return this.#error(400, 'Bad Request: message to edit not found');
    if (!msg.fromBot) return this.#error(400, "Bad Request: message can't be edited");
    const refusal = apply(msg);
    if (refusal) return refusal;
    msg.edits++;
    call.messageId = messageId;
    return { ok: true, result: this.#wireMessage(msg) };
  }

  #store(chatId: number, m: Omit<StoredMessage, 'chatId' | 'messageId'>): StoredMessage {
    const messageId = this.#nextMessageId.get(chatId) ?? 1;
    this.#nextMessageId.set(chatId, messageId + 1);
    const msg: StoredMessage = { chatId, messageId, ...m };
    let chat = this.#messages.get(chatId);
    if (!chat) this.#messages.set(chatId, (chat = new Map()));
    chat.set(messageId, msg);
    return msg;
  }

  #userMessage(chat: BotApiChat, from: BotApiUser, text: string): Record<string, unknown> {
    const msg = this.#store(chat.id, { text, raw: text, photos: [], fromBot: false, edits: 0 });
    const message: Record<string, unknown> = {
      message_id: msg.messageId,
      date: Math.floor(Date.now() / 1000),
      chat,
      from,
      text,
    };
    // Telegram marks a leading /command as a bot_command entity; grammY's command filter relies on it.
    const cmd = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
    if (cmd) message.entities = [{ type: 'bot_command', offset: 0, length: cmd[0].length }];
    return message;
  }

  #wireMessage(msg: StoredMessage, chat?: BotApiChat): Record<string, unknown> {
    const out: Record<string, unknown> = {
      message_id: msg.messageId,
      date: Math.floor(Date.now() / 1000),
      chat: chat ?? { id: msg.chatId, type: msg.chatId < 0 ? 'group' : 'private' },
      from: msg.fromBot ? this.botInfo : undefined,
    };
    if (msg.photo) {
      const n = ++this.#fileSeq;
      out.photo = [{ file_id: `photo-${n}`, file_unique_id: `u-photo-${n}`, width: 1, height: 1, file_size: msg.photo.length }];
      if (msg.text) out.caption = msg.text;
    } else {
      out.text = msg.text;
    }
    if (msg.replyMarkup) out.reply_markup = msg.replyMarkup;
    return out;
  }
}

function notModified(s: BotApiServer): Record<string, unknown> {
  void s;
  return {
    ok: false,
    error_code: 400,
    description:
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
  };
}

function setMarkup(msg: StoredMessage, markup: InlineKeyboardMarkup | undefined): void {
  if (markup && Array.isArray(markup.inline_keyboard) && markup.inline_keyboard.length > 0) msg.replyMarkup = markup;
  else delete msg.replyMarkup;
}

function setParseMode(msg: StoredMessage, mode: unknown): void {
  if (typeof mode === 'string') msg.parseMode = mode;
  else delete msg.parseMode;
}

function sameJson(a: unknown, b: unknown): boolean {
  const norm = (x: unknown): string => {
    const m = x as InlineKeyboardMarkup | undefined;
    return m && Array.isArray(m.inline_keyboard) && m.inline_keyboard.length > 0 ? JSON.stringify(m) : '';
  };
  return norm(a) === norm(b);
}

function numberOrUndefined(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function resolveFile(ref: string, files: Record<string, Uint8Array>): Uint8Array | undefined {
  if (ref.startsWith('attach://')) return files[ref.slice('attach://'.length)];
  return undefined;
}

/**
 * What Telegram shows for `text` in `parseMode`: for HTML, tags are checked against the
 * supported set and removed, entities decoded. Unsupported tags fail like Telegram does.
 */
export function visibleText(text: string, parseMode: unknown): { ok: true; text: string } | { ok: false; description: string } {
  if (parseMode !== 'HTML') return { ok: true, text };
  const stack: string[] = [];
  const tagRe = /<(\/?)([a-zA-Z-]+)([^>]*)>/g;
  let out = '';
  let last = 0;
  for (let m = tagRe.exec(text); m; m = tagRe.exec(text)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const name = m[2]!.toLowerCase();
    if (!ALLOWED_TAGS.has(name)) {
      return { ok: false, description: `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${m.index}` };
    }
    if (m[1]) {
      if (stack.pop() !== name) return { ok: false, description: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${m.index}` };
    } else {
      stack.push(name);
    }
  }
  out += text.slice(last);
  if (stack.length) return { ok: false, description: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  if (/<|>/.test(out)) return { ok: false, description: "Bad Request: can't parse entities: Unsupported start tag at byte offset 0" };
  const entity = /&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);|&/g;
  let bad = '';
  const decoded = out.replace(entity, (whole, name: string | undefined) => {
    if (!name) {
      bad = whole;
      return whole;
    }
    if (name === 'lt') return '<';
    if (name === 'gt') return '>';
    if (name === 'amp') return '&';
    if (name === 'quot') return '"';
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    bad = whole;
    return whole;
  });
  if (bad) return { ok: false, description: `Bad Request: can't parse entities: Character '&' is reserved and must be escaped` };
  return { ok: true, text: decoded };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** JSON, urlencoded or multipart/form-data parameters; JSON-looking multipart fields are parsed. */
function parseParams(contentType: string, body: Buffer, query: URLSearchParams): { params: Record<string, unknown>; files: Record<string, Uint8Array> } {
  const params: Record<string, unknown> = Object.fromEntries(query);
  const files: Record<string, Uint8Array> = {};
  if (body.length === 0) return { params, files };
  if (contentType.startsWith('application/json')) {
    Object.assign(params, JSON.parse(body.toString('utf8')) as Record<string, unknown>);
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
  } else if (contentType.startsWith('multipart/form-data')) {
    const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
    if (!boundary) throw new Error('multipart body without boundary');
    for (const part of splitMultipart(body, boundary)) {
      if (part.filename !== undefined) files[part.name] = part.data;
      else params[part.name] = maybeJson(part.data.toString('utf8'));
    }
  }
  return { params, files };
}

function maybeJson(s: string): unknown {
  if (/^[[{]/.test(s)) {
    try {
      return JSON.parse(s);
    } catch {
      return s;
    }
  }
  return s;
}

/** A small multipart reader: grammY writes headers without a space after ':' and unquoted filenames. */
function splitMultipart(body: Buffer, boundary: string): { name: string; filename?: string; data: Buffer }[] {
  const delim = Buffer.from(`--${boundary}`);
  const parts: { name: string; filename?: string; data: Buffer }[] = [];
  let pos = body.indexOf(delim);
  while (pos !== -1) {
    let start = pos + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    if (body.subarray(start, start + 2).toString() === '\r\n') start += 2;
    const next = body.indexOf(delim, start);
    if (next === -1) break;
    // The part ends with the CRLF that precedes the next delimiter.
    const part = body.subarray(start, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      const filename = /filename="?([^";\r\n]*)"?/i.exec(headers)?.[1];
      if (name !== undefined) {
        parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: Buffer.from(part.subarray(headerEnd + 4)) });
      }
    }
    pos = next;
  }
  return parts;
}
