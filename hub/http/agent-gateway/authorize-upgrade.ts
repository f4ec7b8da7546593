/**
 * The check at an agent's upgrade: room for one more agent, and a bearer token with the agent
 * scope and an `agent:<name>` subject. Runs before any WebSocket exists, so a refusal is a
 * plain HTTP answer (refuse-upgrade.ts).
 */
import type { IncomingMessage } from 'node:http';
import { describeError } from '../../../shared/model/errors.ts';
import { bearerToken } from '../../auth/bearer-authorize.ts';
import { Scope } from '../../auth/scopes.ts';
import type { TokenClaims, TokenService } from '../../auth/token-service.ts';
import type { UpgradeRefusal } from './refuse-upgrade.ts';

/** What the gateway knows when an agent asks to connect. */
export interface UpgradeState {
  /** The hub is shutting down. */
  closing: boolean;
  /** Agents connected now, and the most allowed (MESHPROBE_MAX_AGENTS). */
  connected: number;
  maxAgents: number;
}

/** The token's claims when the agent may connect, or why it may not. */
export async function authorizeAgentUpgrade(req: IncomingMessage, tokens: TokenService, s: UpgradeState): Promise<{ ok: true; claims: TokenClaims } | ({ ok: false } & UpgradeRefusal)> {
  if (s.closing) return { ok: false, status: 503, message: 'the hub is shutting down' };
  if (s.connected >= s.maxAgents) return { ok: false, status: 503, message: `this hub has its maximum of ${s.maxAgents} agents connected (MESHPROBE_MAX_AGENTS)` };
  const token = bearerToken(req);
  if (!token) return { ok: false, status: 401, message: 'an agent needs a bearer token with the agent scope', challenge: true };
  let claims: TokenClaims;
  try {
    claims = await tokens.verify(token);
  } catch (err) {
    return { ok: false, status: 401, message: describeError(err).message, challenge: true };
  }
  if (!claims.scopes.includes(Scope.agent) || !claims.sub.startsWith('agent:')) {
    return { ok: false, status: 403, message: `${claims.sub} may not register an agent: it needs an agent token (sub agent:<name>, scope agent)` };
  }
  return { ok: true, claims };
}
