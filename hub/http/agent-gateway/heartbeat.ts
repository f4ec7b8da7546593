/**
 * The hub's side of an agent connection's liveness: every `heartbeatMs` it pings the agent and
 * drops it after a missed pong, and it ends the connection when the agent's token was revoked
 * or has expired (a connection lives no longer than its token).
 */
import type { WebSocket } from 'ws';
import { AgentCloseCode } from '../../../shared/wire/agent-protocol-constants.ts';
import type { TokenService } from '../../auth/token-service.ts';
import { closeWith } from './close-with.ts';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  ws: WebSocket;
  tokens: TokenService;
  /** The token's id, checked against revocations. */
  jti: string;
  /** Expiry (epoch s) of the token the agent holds now (it changes when renewed). */
  exp: () => number;
  heartbeatMs: number;
  /** Agent name for log lines. */
  name: () => string;
  log: (line: string) => void;
}

/** Starts the beat; `alive()` records a sign of life (a pong or any frame); `stop()` ends it. */
export function startHeartbeat(o: HeartbeatOptions): { alive(): void; stop(): void } {
  let alive = true;
  const beat = setInterval(() => {
    // Picks up revocations written by `meshprobe token revoke` for the next beat to see.
    void o.tokens.revocations.refresh();
    // A connection lives no longer than its token: revocation and expiry end it too.
    if (o.tokens.revocations.has(o.jti) || Date.now() / 1000 >= o.exp()) {
      closeWith(o.ws, AgentCloseCode.unauthorized, o.tokens.revocations.has(o.jti) ? 'the agent token was revoked' : 'the agent token expired');
      return;
    }
    if (!alive) {
      o.log(`hub: agent ${o.name()} stopped answering pings; dropping it`);
      o.ws.terminate();
      return;
    }
    alive = false;
    o.ws.ping();
  }, o.heartbeatMs);
  return {
    alive: () => {
      alive = true;
    },
    stop: () => clearInterval(beat),
  };
}
