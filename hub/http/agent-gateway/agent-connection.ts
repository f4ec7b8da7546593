/**
 * One agent's WebSocket after the upgrade: the hello within `helloTimeoutMs`, then the frame
 * loop (each frame to the agent's RemoteAgentLink; broken frames and events spend the
 * connection's bad-frame budget), the heartbeat, token renewal, and the cleanup when it closes.
 */
import type { WebSocket } from 'ws';
import type { PolicyMode } from '../../../shared/net/address-policy.ts';
import { decodeAgentMessage, type HubMessage } from '../../../shared/wire/agent-protocol.ts';
import { AgentCloseCode, encodeMessage } from '../../../shared/wire/agent-protocol-constants.ts';
import type { AgentDirectory } from '../../core/agent-directory.ts';
import type { TokenClaims, TokenService } from '../../auth/token-service.ts';
import type { RemoteAgentLink } from '../remote-agent-link.ts';
import { BadFrameBudget } from './bad-frame-budget.ts';
import { closeWith } from './close-with.ts';
import { startHeartbeat } from './heartbeat.ts';
import { acceptHello } from './hello-handshake.ts';
import { scheduleTokenRenewal } from './token-renewal.ts';

/** What every connection of one gateway shares. */
export interface ConnectionContext {
  registry: AgentDirectory;
  tokens: TokenService;
  /** The gateway's remote agents by socket. */
  links: Map<WebSocket, RemoteAgentLink>;
  policy: PolicyMode;
  heartbeatMs: number;
  helloTimeoutMs: number;
  log: (line: string) => void;
  /** The gateway's rate-limited log for refusals. */
  refusalLog: (line: string) => void;
  onAgent?: ((change: 'connected' | 'disconnected', name: string, detail?: string) => void) | undefined;
  onRelay?: ((ms: number) => void) | undefined;
}

/** Runs the connection of an agent whose token (`claims`) was accepted at the upgrade. */
export function serveAgentConnection(ws: WebSocket, claims: TokenClaims, c: ConnectionContext, remoteAddress?: string): void {
  const tokenName = claims.sub.slice('agent:'.length);
  let link: RemoteAgentLink | undefined;
  const name = (): string => link?.info.name ?? tokenName;
  const isOpen = (): boolean => ws.readyState === ws.OPEN;
  const send = (m: HubMessage): boolean => {
    if (!isOpen()) return false;
    ws.send(encodeMessage(m));
    return true;
  };
  const budget = new BadFrameBudget(c.refusalLog, (reason) => closeWith(ws, AgentCloseCode.protocolError, reason));
  const refuse = (reason: string): void => budget.refuse(name(), reason);
  const renewal = scheduleTokenRenewal({
    tokens: c.tokens,
    claims,
    isOpen,
    send: (token) => send({ t: 'token', token }),
    revoked: () => closeWith(ws, AgentCloseCode.unauthorized, 'the agent token was revoked'),
    name: tokenName,
    log: c.log,
  });
  const helloTimer = setTimeout(() => closeWith(ws, AgentCloseCode.timeout, 'no hello'), c.helloTimeoutMs);
  const heartbeat = startHeartbeat({ ws, tokens: c.tokens, jti: claims.jti, exp: () => renewal.exp, heartbeatMs: c.heartbeatMs, name, log: c.log });

  ws.on('pong', heartbeat.alive);
  ws.on('message', (data, isBinary) => {
    const t0 = performance.now();
    heartbeat.alive();
    if (budget.spent) return; // closing: the rest is not looked at
    // Before the hello nothing is running: a broken first frame closes the connection.
    if (isBinary) return link ? refuse('binary frame (text frames only)') : closeWith(ws, AgentCloseCode.protocolError, 'text frames only');
    const decoded = decodeAgentMessage(data.toString());
    if (!decoded.ok) return link ? refuse(decoded.reason) : closeWith(ws, AgentCloseCode.protocolError, decoded.reason);
    const m = decoded.message;
    if (m.t === 'hello') {
      if (link) return closeWith(ws, AgentCloseCode.protocolError, 'hello sent twice');
      clearTimeout(helloTimer);
      link = acceptHello(m, { ws, tokenName, registry: c.registry, links: c.links, policy: c.policy, heartbeatMs: c.heartbeatMs, send, onBadEvent: refuse, ...(remoteAddress ? { remoteAddress } : {}) });
      if (!link) return;
      renewal.start();
      c.onAgent?.('connected', m.info.name);
      return;
    }
    if (!link) return closeWith(ws, AgentCloseCode.protocolError, 'the first frame must be hello');
    if (m.t === 'report') return link.monitors ? link.monitors.handle(m) : refuse('report from an agent that did not announce the monitor capability');
    link.handle(m);
    // Measured once the frame's events have been written: the streams write on nextTick,
    // and this tick was queued after theirs.
    if (m.t !== 'end' && c.onRelay) process.nextTick(() => c.onRelay!(performance.now() - t0));
  });
  ws.on('close', (code, reason) => {
    clearTimeout(helloTimer);
    renewal.stop();
    heartbeat.stop();
    if (!link) return;
    const why = code === 1006 ? 'connection dropped' : `connection closed${reason.length ? `: ${reason.toString()}` : ` (${code})`}`;
    if (c.links.get(ws) === link) {
      c.links.delete(ws);
      if (c.registry.get(link.info.name) === link) c.registry.remove(link.info.name);
      c.onAgent?.('disconnected', link.info.name, why);
    }
    link.lost(why);
  });
  ws.on('error', (err) => c.log(`hub: agent ${name()}: ${err.message}`));
}
