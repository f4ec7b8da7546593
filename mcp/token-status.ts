/**
 * Whether the hub still honours a token it signed: the MCP endpoint's revocation check.
 *
 * A signature proves who issued a token, not that it is still good: the hub may have revoked it
 * (`DELETE /v1/tokens/:jti`, `meshprobe token revoke`). The MCP server is a hub client, so it
 * asks the hub, OCSP-style: `GET /v1/whoami` with the caller's token answers 200 while the hub
 * accepts it and 401 once it is revoked. Answers are cached by `jti`: a good answer for `ttlMs`
 * (default 5 s, never past the token's expiry), a revocation until the token expires (it cannot
 * be undone). So a revocation reaches /mcp within `ttlMs`, and a busy client costs the hub one
 * request per token per `ttlMs`. When the hub cannot answer, the check fails closed (503),
 * as the JWKS fetch does.
 */
import { LOCAL_RELAY_FORWARDED } from '../shared/net/host-guard.ts';
import type { AuthRefusal } from './auth.ts';

/** Options of {@link HubTokenStatus}. */
export interface HubTokenStatusOptions {
  /** The hub's base URL, or a function giving it (the embedded hub's port is known late). */
  hubUrl: string | (() => string);
  /** How long a "still valid" answer is trusted, ms. Default 5000; 0 asks the hub every time. */
  ttlMs?: number;
  /** Most tokens remembered; the oldest entries go first. Default 10,000. */
  maxEntries?: number;
  /** How long to wait for the hub, ms. Default 5000. */
  timeoutMs?: number;
  /** Default: global fetch. */
  fetch?: typeof fetch;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

interface Entry {
  /** Until when (ms) the answer holds. */
  until: number;
  refusal: AuthRefusal | undefined;
}

export class HubTokenStatus {
  readonly ttlMs: number;
  readonly #hubUrl: () => string;
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();
  /** Questions in flight, so a burst of calls with one new token asks the hub once. */
  readonly #asking = new Map<string, Promise<AuthRefusal | undefined>>();

  constructor(o: HubTokenStatusOptions) {
    const url = o.hubUrl;
    this.#hubUrl = typeof url === 'function' ? url : () => url;
    this.ttlMs = o.ttlMs ?? 5000;
    this.#max = o.maxEntries ?? 10_000;
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#fetch = o.fetch ?? fetch;
    this.#now = o.now ?? Date.now;
  }

  /**
   * Undefined when the hub accepts `token`, else the refusal to answer with. `jti` and `exp`
   * (seconds) come from the already verified token; `jti` keys the cache.
   */
  async check(token: string, jti: string | undefined, exp: number): Promise<AuthRefusal | undefined> {
    const key = jti ?? token;
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.refusal;
    const asking = this.#asking.get(key);
    if (asking) return asking;
    const p = this.#ask(token).then((refusal) => {
      // A hub that could not answer is asked again next time; nothing is remembered.
      if (refusal?.status !== 503) this.#remember(key, refusal, refusal ? exp * 1000 : Math.min(this.#now() + this.ttlMs, exp * 1000));
      return refusal;
    });
    this.#asking.set(key, p);
    try {
      return await p;
    } finally {
      this.#asking.delete(key);
    }
  }

  async #ask(token: string): Promise<AuthRefusal | undefined> {
    let res: Response;
    try {
      res = await this.#fetch(`${this.#hubUrl().replace(/\/+$/, '')}/v1/whoami`, {
        // A relay for remote clients: the hub must not tell them local details (its admin token file).
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', forwarded: LOCAL_RELAY_FORWARDED },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      return unavailable('cannot reach the hub to check the token; try again');
    }
    // 403 means the hub knows the token and it is good, only not for whoami (no scope for it).
    if (res.status === 200 || res.status === 403) {
      await res.body?.cancel();
      return undefined;
    }
    if (res.status === 401) {
      let description = 'the hub no longer accepts this token';
      try {
        const body = (await res.json()) as { error?: { message?: unknown } };
        if (typeof body.error?.message === 'string') description = body.error.message;
      } catch {
        // keep the generic reason
      }
      return { status: 401, error: 'invalid_token', description };
    }
    await res.body?.cancel();
    return unavailable(`the hub answered ${res.status} when asked about the token; try again`);
  }

  #remember(key: string, refusal: AuthRefusal | undefined, until: number): void {
    if (until <= this.#now()) return;
    this.#cache.delete(key);
    this.#cache.set(key, { until, refusal });
    // Map keeps insertion order: the first keys are the oldest.
    while (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value!);
  }
}

function unavailable(description: string): AuthRefusal {
  return { status: 503, error: 'temporarily_unavailable', description };
}
