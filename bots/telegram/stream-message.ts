/**
 * One Telegram message that follows a stream of text: updates are coalesced (only the newest
 * text is sent), edits are spaced at least `minIntervalMs` apart (Telegram answers 429 to bots
 * that edit one message faster than about once a second), and the final state is always
 * delivered. Retrying on 429 is not done here: the auto-retry transformer on the bot's API
 * does it, so an edit call here simply takes longer when Telegram asks us to wait.
 */

/** Options of {@link StreamMessage}. */
export interface StreamMessageOptions {
  /** Performs one edit of the message to `text`. Rejecting with "message is not modified" is fine. */
  edit: (text: string) => Promise<void>;
  /** Text the message shows already (what it was sent with), so an identical update is skipped. */
  initialText?: string;
  /** Least time between the end of one edit and the start of the next, in ms (default 1000). */
  minIntervalMs?: number;
  /** Time source (default Date.now); tests of the pure scheduling may pass their own. */
  now?: () => number;
  /** Called with an edit error other than "message is not modified" (default: ignored). */
  onError?: (err: unknown) => void;
}

/** True for Telegram's refusal to apply an edit that changes nothing; it is not a failure for us. */
export function isNotModified(err: unknown): boolean {
  return err instanceof Error && /message is not modified/i.test(err.message);
}

export class StreamMessage {
  readonly #edit: (text: string) => Promise<void>;
  readonly #minInterval: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  #shown: string | undefined;
  /** The newest text, or how to build it: built only when an edit goes out, not per update. */
  #pending: string | (() => string) | undefined;
  /** When the last edit finished (or the message was sent): the next may start minInterval later. */
  #lastAt: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inflight: Promise<void> | undefined;
  #closed = false;
  #edits = 0;

  constructor(options: StreamMessageOptions) {
    this.#edit = options.edit;
    this.#minInterval = options.minIntervalMs ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
    this.#shown = options.initialText;
    this.#lastAt = this.#now();
  }

  /** Number of edit calls made so far. */
  get edits(): number {
    return this.#edits;
  }

  /**
   * Shows `text` soon: at the next allowed moment, unless a newer update replaces it first. A
   * function is called only when its edit goes out, so a caller whose text is costly to build
   * (the whole message, on every event) builds it once per edit instead of once per update.
   */
  update(text: string | (() => string)): void {
    if (this.#closed) return;
    this.#pending = text;
    this.#schedule();
  }

  /**
   * Delivers `text` as the final state (still respecting the interval) and stops. Resolves once
   * the last edit has been answered.
   */
  async finish(text: string): Promise<void> {
    if (this.#closed) return;
    this.#pending = text;
    this.#closed = true;
    this.#clearTimer();
    while (this.#inflight) await this.#inflight;
    const wait = this.#lastAt + this.#minInterval - this.#now();
    if (wait > 0 && this.#pending !== undefined && this.#pending !== this.#shown) await sleep(wait);
    await this.#flush();
  }

  /** Stops without delivering pending text (the message is being reused); waits for an edit in flight. */
  async cancel(): Promise<void> {
    this.#closed = true;
    this.#pending = undefined;
    this.#clearTimer();
    while (this.#inflight) await this.#inflight;
  }

  #schedule(): void {
    if (this.#timer || this.#inflight) return;
    const wait = Math.max(0, this.#lastAt + this.#minInterval - this.#now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, wait);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    const text = typeof pending === 'function' ? pending() : pending;
    if (text === undefined || text === this.#shown) return;
    this.#edits++;
    const run = (async () => {
      try {
        await this.#edit(text);
        this.#shown = text;
      } catch (err) {
        if (isNotModified(err)) this.#shown = text;
        else this.#onError(err);
      } finally {
        this.#lastAt = this.#now();
      }
    })();
    this.#inflight = run;
    await run;
    this.#inflight = undefined;
    // Updates that arrived during the edit wait for the next slot; finish() drives its own.
    if (!this.#closed && this.#pending !== undefined) this.#schedule();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
