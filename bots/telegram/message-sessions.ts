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

  constructor(options: MessageSessionsOptions = {}) {
    this.#max = options.max ?? 1000;
  }

  static key(chatId: number, messageId: number): string {
    return `${chatId}:${messageId}`;
  }

  get(chatId: number, messageId: number): T | undefined {
    return this.#map.get(MessageSessions.key(chatId, messageId));
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
