/**
 * What one agent connection may get wrong: every refused frame or event is logged (through a
 * rate-limited log), and {@link MAX_BAD_PER_MINUTE} of them within a minute close the
 * connection (4400), so an agent cannot keep the hub busy refusing.
 */

/** Refusals (bad frames, bad events) one agent connection may cause in a minute before it is closed. */
export const MAX_BAD_PER_MINUTE = 100;

/** The refusal count of one connection. */
export class BadFrameBudget {
  readonly #log: (line: string) => void;
  readonly #close: (reason: string) => void;
  #bad = 0;
  #since = Date.now();
  #spent = false;

  /**
   * @param log where refusal lines go (rate-limited by the caller)
   * @param close called once, when the budget is spent
   */
  constructor(log: (line: string) => void, close: (reason: string) => void) {
    this.#log = log;
    this.#close = close;
  }

  /** True once the budget is spent: the connection is closing and its frames are not looked at. */
  get spent(): boolean {
    return this.#spent;
  }

  /** Logs a refused frame or event of agent `name`; closes the connection when they come too often. */
  refuse(name: string, reason: string): void {
    const now = Date.now();
    if (now - this.#since >= 60_000) {
      this.#bad = 0;
      this.#since = now;
    }
    this.#bad++;
    this.#log(`hub: agent ${name}: refused: ${reason.slice(0, 300)}`);
    if (this.#bad >= MAX_BAD_PER_MINUTE && !this.#spent) {
      this.#spent = true;
      this.#close(`${MAX_BAD_PER_MINUTE} bad frames or events within a minute`);
    }
  }
}
