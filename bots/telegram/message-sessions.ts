/**
 * Server-side state of the bot's live messages, keyed by chat and message: what a button under
 * a message refers to. Bounded (oldest forgotten first) so a busy bot cannot grow it forever;
 * a button of a forgotten message answers "expired".
 */

/** Options of {@link MessageSessions}. */
export interface MessageSessionsOptions {
  /** Sessions kept (default 1000). */
  max?: number;
}

export class MessageSessions<T> {
  readonly #max: number;
  readonly #map = new Map<string, T>();
  /** Messages being sent, per chat: a button under one can come back before its id is known here. */
  readonly #sending = new Map<number, Set<Promise<unknown>>>();

  constructor(options: MessageSessionsOptions = {}) {
    this.#max = options.max ?? 1000;
  }

  static key(chatId: number, messageId: number): string {
    return `${chatId}:${messageId}`;
  }

  get(chatId: number, messageId: number): T | undefined {
    return this.#map.get(MessageSessions.key(chatId, messageId));
  }

  /**
   * Like {@link get}, but when nothing is found it first waits for the messages still being sent
   * in that chat ({@link sending}): Telegram can deliver a press on a message before the bot has
   * read the answer to its sendMessage.
   */
  async find(chatId: number, messageId: number): Promise<T | undefined> {
    const found = this.get(chatId, messageId);
    const pending = this.#sending.get(chatId);
    if (found || !pending) return found;
    await Promise.allSettled([...pending]);
    return this.get(chatId, messageId);
  }

  /** Tracks `send`, which sends a message in `chatId` and {@link set}s its session; returns it. */
  sending<R>(chatId: number, send: Promise<R>): Promise<R> {
    let pending = this.#sending.get(chatId);
    if (!pending) this.#sending.set(chatId, (pending = new Set()));
    pending.add(send);
    const done = (): void => {
      pending.delete(send);
      if (!pending.size && this.#sending.get(chatId) === pending) this.#sending.delete(chatId);
    };
    send.then(done, done);
    return send;
  }

  set(chatId: number, messageId: number, value: T): void {
    const k = MessageSessions.key(chatId, messageId);
    this.#map.delete(k);
    this.#map.set(k, value);
    // Map iterates in insertion order, so the first key is the least recently set.
    while (this.#map.size > this.#max) this.#map.delete(this.#map.keys().next().value!);
  }

  delete(chatId: number, messageId: number): void {
    this.#map.delete(MessageSessions.key(chatId, messageId));
  }

  get size(): number {
    return this.#map.size;
  }
}
