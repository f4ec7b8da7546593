/**
 * Renews an agent's token over its connection once a third of its lifetime is left (so a
 * 30-day token is renewed after 20 days, and an 8-second one, in tests, after 5 or 6), keeping
 * subject, scopes, lifetime and jti: revoking that jti still cuts the agent off, and it is
 * never renewed.
 */
import { describeError } from '../../../shared/model/errors.ts';
import { MAX_TTL_S, type TokenClaims, type TokenService } from '../../auth/token-service.ts';

/** Options of {@link scheduleTokenRenewal}. */
export interface TokenRenewalOptions {
  tokens: TokenService;
  /** The claims the agent connected with. */
  claims: TokenClaims;
  /** Whether the connection is still open (nothing is renewed for a closed one). */
  isOpen: () => boolean;
  /** Sends the renewed token to the agent. */
  send: (token: string) => void;
  /** Ends the connection: its token was revoked. */
  revoked: () => void;
  /** Agent name for log lines. */
  name: string;
  log: (line: string) => void;
}

/** A running renewal: when the connection's token expires now, and how to stop renewing. */
export interface TokenRenewal {
  /** Expiry (epoch s) of the token the agent holds now. */
  readonly exp: number;
  /** Starts the schedule (after the hello); renewals then follow one another. */
  start(): void;
  stop(): void;
}

/** Renewals for one connection; nothing happens before {@link TokenRenewal.start}. */
export function scheduleTokenRenewal(o: TokenRenewalOptions): TokenRenewal {
  const { sub, jti } = o.claims;
  // The connection lives as long as the agent's token, renewed or not.
  let exp = o.claims.exp;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const lifetimeS = Math.min(MAX_TTL_S, Math.max(1, o.claims.exp - o.claims.iat));

  const schedule = (retryMs?: number): void => {
    if (!o.isOpen()) return;
    const renewAtMs = retryMs === undefined ? (exp - lifetimeS / 3) * 1000 : Date.now() + retryMs;
    // setTimeout holds at most 2^31-1 ms (24.8 days): a longer wait is re-scheduled when it ends.
    const delay = Math.min(2 ** 31 - 1, Math.max(500, renewAtMs - Date.now()));
    timer = setTimeout(() => {
      if (Date.now() < renewAtMs) return schedule(renewAtMs - Date.now());
      void renew();
    }, delay);
  };
  const renew = async (): Promise<void> => {
    await o.tokens.revocations.refresh();
    if (!o.isOpen()) return;
    if (o.tokens.revocations.has(jti)) return o.revoked();
    try {
      const issued = await o.tokens.issue({ sub, scopes: o.claims.scopes, ttlS: lifetimeS, jti });
      if (!o.isOpen()) return;
      o.send(issued.token);
      exp = issued.exp;
      o.log(`hub: agent ${o.name}: token renewed until ${issued.expiresAt}`);
    } catch (err) {
      // Try again while time is left (a quarter of it, at most a minute apart); the heartbeat
      // closes the connection if the token runs out first.
      o.log(`hub: agent ${o.name}: cannot renew its token: ${describeError(err).message}`);
      return schedule(Math.min(60_000, Math.max(500, (exp * 1000 - Date.now()) / 4)));
    }
    schedule();
  };
  return {
    get exp() {
      return exp;
    },
    start: () => schedule(),
    stop: () => clearTimeout(timer),
  };
}
