/**
 * The stateful endpoint's sessions: who owns each (a caller, so another caller's session id is
 * answered like an unknown one), when it was last used (idle ones are swept), and the caps, in
 * all and per caller, counting sessions still being initialised.
 */
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** One MCP session. */
export interface Session {
  transport: StreamableHTTPServerTransport;
  close(): Promise<void>;
  owner: string;
  lastSeen: number;
}

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions {
  /** Sessions idle this long are closed. */
  idleMs: number;
  /** Most sessions held at once. */
  max: number;
  /** Most sessions one caller holds at once. */
  perCaller: number;
}

export class SessionStore {
  readonly #o: SessionStoreOptions;
  readonly #sessions = new Map<string, Session>();
  /** Sessions being initialised, per caller: counted against the caps before they exist. */
  readonly #opening = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: SessionStoreOptions) {
    this.#o = options;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(options.idleMs, 60_000));
    this.#sweeper.unref();
  }

  /** The session `id` when `caller` owns it, marked as used now. */
  use(id: string, caller: string): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s || s.owner !== caller) return undefined;
    s.lastSeen = Date.now();
    return s;
  }

  /** Why `caller` may not open one more session (the 429 or 503 to answer), or undefined. */
  refusal(caller: string): { status: 429 | 503; message: string } | undefined {
    let held = this.#opening.get(caller) ?? 0;
    for (const s of this.#sessions.values()) if (s.owner === caller) held++;
    if (held >= this.#o.perCaller) {
      const who = caller.startsWith('sub:') ? caller.slice(4) : `anonymous clients at ${caller.slice(5)}`;
      return { status: 429, message: `too many MCP sessions for ${who}: the cap is ${this.#o.perCaller} per user; end one (DELETE with its Mcp-Session-Id) or let it idle out` };
    }
    let opening = 0;
    for (const n of this.#opening.values()) opening += n;
    if (this.#sessions.size + opening >= this.#o.max) return { status: 503, message: `too many MCP sessions: the cap is ${this.#o.max} in all; try again later` };
    return undefined;
  }

  /**
   * Runs `open` counted as one session of `caller` being opened, from here until the session
   * exists (or failed to), so concurrent initialize requests cannot all pass {@link refusal}
   * before the first one is registered.
   */
  async opening(caller: string, open: () => Promise<void>): Promise<void> {
    this.#opening.set(caller, (this.#opening.get(caller) ?? 0) + 1);
    try {
      await open();
    } finally {
      const n = (this.#opening.get(caller) ?? 1) - 1;
      if (n > 0) this.#opening.set(caller, n);
      else this.#opening.delete(caller);
    }
  }

  set(id: string, s: Session): void {
    this.#sessions.set(id, s);
  }

  /** Forgets session `id` (when `only` is given, only if that is still the session under `id`). */
  delete(id: string, only?: Session): void {
    if (only === undefined || this.#sessions.get(id) === only) this.#sessions.delete(id);
  }

  /** Stops the sweeper and closes every session. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const sessions = [...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.allSettled(sessions.map((s) => s.close()));
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#o.idleMs;
    for (const [id, s] of this.#sessions) {
      if (s.lastSeen < cutoff) {
        this.#sessions.delete(id);
        void s.close();
      }
    }
  }
}
