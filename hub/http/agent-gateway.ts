/**
 * The agents' WebSocket endpoint on the hub's HTTP server (`/v1/agents/connect`, design §2).
 * The agent's token is checked at the upgrade (401/403 before any WebSocket exists); the first
 * frame must be `hello`, whose name must match the token's `agent:<name>` subject. The agent is
 * then registered as a RemoteAgentLink and removed when the socket closes or stops answering
 * pings. A reconnecting agent replaces its own stale registration. The connection lives as long
 * as the agent's token: the hub renews it over the connection (a `token` frame) before it
 * expires, unless it was revoked; revocation or expiry closes the connection.
 *
 * Agents are untrusted. After the hello, a frame that does not decode, or an event that fails
 * its schema (hub/http/remote-agent-link.ts ends that part), is refused and logged (rate-limited: a
 * flood cannot fill the disk); the connection stays up for the agent's other work until
 * {@link MAX_BAD_PER_MINUTE} refusals within a minute, which close it (4400). A frame over
 * `maxPayload` closes it at once (ws cannot skip it: 1009). At most `maxAgents` agents are
 * connected (MESHPROBE_MAX_AGENTS); one more is refused at the upgrade with 503.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import { AGENT_CONNECT_PATH, AgentCloseCode } from '../../shared/wire/agent-protocol-constants.ts';
import type { AgentDirectory } from '../core/agent-directory.ts';
import type { TokenService } from '../auth/token-service.ts';
import type { RemoteAgentLink } from './remote-agent-link.ts';
import { serveAgentConnection } from './agent-gateway/agent-connection.ts';
import { authorizeAgentUpgrade } from './agent-gateway/authorize-upgrade.ts';
import { closeWith } from './agent-gateway/close-with.ts';
import { rateLimitedLog } from './agent-gateway/rate-limited-log.ts';
import { refuseUpgrade } from './agent-gateway/refuse-upgrade.ts';

export { MAX_BAD_PER_MINUTE } from './agent-gateway/bad-frame-budget.ts';

export interface AgentGatewayOptions {
  server: Server;
  registry: AgentDirectory;
  /** Verifies agent tokens. */
  tokens: TokenService;
  /** The hub's policy mode, passed to agents with every run. Default 'lan'. */
  policy?: PolicyMode;
  /** How often the hub pings each agent; two missed pongs drop it. Default 10 s. */
  heartbeatMs?: number;
  /** How long an agent has to send `hello` after connecting. Default 5 s. */
  helloTimeoutMs?: number;
  /** Largest frame accepted from an agent. Default 1 MiB. */
  maxPayload?: number;
  /** Most agent connections at once (MESHPROBE_MAX_AGENTS); more are refused with 503. Default 1000. */
  maxAgents?: number;
  /** Called when an agent connects or goes (metrics, logs). */
  onAgent?: (change: 'connected' | 'disconnected', name: string, detail?: string) => void;
  /** Called after every relayed event frame with the ms it spent in the hub (decode to written to the clients). */
  onRelay?: (ms: number) => void;
  log?: (line: string) => void;
}

export interface AgentGateway {
  /** Agents currently connected over WebSocket. */
  readonly connected: number;
  /** Closes every agent socket with 1001 (going away: agents reconnect) and stops accepting. */
  close(): Promise<void>;
}

/** Default of {@link AgentGatewayOptions.maxAgents}. */
export const DEFAULT_MAX_AGENTS = 1000;

/**
 * Attaches the gateway to `server`'s `upgrade` event: the upgrade is authorized
 * (agent-gateway/authorize-upgrade.ts) and each accepted socket served on its own
 * (agent-gateway/agent-connection.ts).
 */
export function attachAgentGateway(o: AgentGatewayOptions): AgentGateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? 1024 * 1024, perMessageDeflate: false });
  const maxAgents = o.maxAgents ?? DEFAULT_MAX_AGENTS;
  const log = o.log ?? (() => {});
  const links = new Map<WebSocket, RemoteAgentLink>();
  const context = {
    registry: o.registry,
    tokens: o.tokens,
    links,
    policy: o.policy ?? 'lan',
    heartbeatMs: o.heartbeatMs ?? 10_000,
    helloTimeoutMs: o.helloTimeoutMs ?? 5_000,
    log,
    // Refusal lines: a burst of 20, then one per 10 s with the count of lines left out.
    refusalLog: rateLimitedLog(log, 20, 10_000),
    onAgent: o.onAgent,
    onRelay: o.onRelay,
  };
  let closing = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://hub.invalid').pathname;
    if (path !== AGENT_CONNECT_PATH) return; // someone else's upgrade
    // A peer that resets while we verify the token must not crash the hub.
    socket.on('error', () => {});
    void authorizeAgentUpgrade(req, o.tokens, { closing, connected: wss.clients.size, maxAgents }).then((r) => {
      if (!r.ok) return refuseUpgrade(socket, r);
      wss.handleUpgrade(req, socket, head, (ws) => serveAgentConnection(ws, r.claims, context, req.socket.remoteAddress));
    });
  };
  o.server.on('upgrade', onUpgrade);

  return {
    get connected() {
      return links.size;
    },
    async close() {
      closing = true;
      o.server.off('upgrade', onUpgrade);
      const sockets = [...links.keys()];
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((resolve) => {
              ws.once('close', () => resolve());
              closeWith(ws, AgentCloseCode.goingAway, 'hub restarting');
              setTimeout(() => {
                ws.terminate();
                resolve();
              }, 1000).unref();
            }),
        ),
      );
      wss.close();
    },
  };
}
