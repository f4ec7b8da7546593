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
import {
  AGENT_CONNECT_PATH,
  AGENT_PROTOCOL_VERSION,
  AgentCloseCode,
  decodeAgentMessage,
  encodeMessage,
  type HubMessage,
} from '../../shared/wire/agent-protocol.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import type { AgentDirectory } from '../core/agent-directory.ts';
import { bearerToken } from '../auth/bearer-authorize.ts';
import { Scope } from '../auth/scopes.ts';
import { MAX_TTL_S, type TokenClaims, type TokenService } from '../auth/token-service.ts';
import { RemoteAgentLink } from './remote-agent-link.ts';
import { TokenBuckets } from '../../shared/model/token-buckets.ts';

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

/** Refusals (bad frames, bad events) one agent connection may cause in a minute before it is closed. */
export const MAX_BAD_PER_MINUTE = 100;

/** Default of {@link AgentGatewayOptions.maxAgents}. */
export const DEFAULT_MAX_AGENTS = 1000;

/** Attaches the gateway to `server`'s `upgrade` event. */
export function attachAgentGateway(o: AgentGatewayOptions): AgentGateway {
  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxPayload ?? 1024 * 1024, perMessageDeflate: false });
  const heartbeatMs = o.heartbeatMs ?? 10_000;
  const helloTimeoutMs = o.helloTimeoutMs ?? 5_000;
  const policy = o.policy ?? 'lan';
  const log = o.log ?? (() => {});
  const maxAgents = o.maxAgents ?? DEFAULT_MAX_AGENTS;
  // Refusal lines: a burst of 20, then one per 10 s with the count of lines left out.
  const refusalLog = rateLimitedLog(log, 20, 10_000);
  const links = new Map<WebSocket, RemoteAgentLink>();
  let closing = false;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = new URL(req.url ?? '/', 'http://hub.invalid').pathname;
    if (path !== AGENT_CONNECT_PATH) return; // someone else's upgrade
    // A peer that resets while we verify the token must not crash the hub.
    socket.on('error', () => {});
    void (async () => {
      if (closing) return refuseUpgrade(socket, 503, 'the hub is shutting down');
      if (wss.clients.size >= maxAgents) return refuseUpgrade(socket, 503, `this hub has its maximum of ${maxAgents} agents connected (MESHPROBE_MAX_AGENTS)`);
      const token = bearerToken(req);
      if (!token) return refuseUpgrade(socket, 401, 'an agent needs a bearer token with the agent scope', true);
      let claims: TokenClaims;
      try {
        claims = await o.tokens.verify(token);
        if (!claims.scopes.includes(Scope.agent) || !claims.sub.startsWith('agent:')) {
          return refuseUpgrade(socket, 403, `${claims.sub} may not register an agent: it needs an agent token (sub agent:<name>, scope agent)`);
        }
      } catch (err) {
        return refuseUpgrade(socket, 401, describeError(err).message, true);
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, claims));
    })();
  };
  o.server.on('upgrade', onUpgrade);

  function accept(ws: WebSocket, claims: TokenClaims): void {
    const { sub, jti } = claims;
    // The connection lives as long as the agent's token, renewed or not.
    let exp = claims.exp;
    const tokenName = sub.slice('agent:'.length);
    let renewTimer: ReturnType<typeof setTimeout> | undefined;
    // Renews the token over this connection once a third of its lifetime is left (so a 30-day
    // token is renewed after 20 days, and an 8-second one, in tests, after 5 or 6), keeping subject,
    // scopes, lifetime and jti: revoking that jti still cuts the agent off, and it is never renewed.
    const lifetimeS = Math.min(MAX_TTL_S, Math.max(1, claims.exp - claims.iat));
    const scheduleRenewal = (retryMs?: number): void => {
      if (ws.readyState !== ws.OPEN) return;
      const renewAtMs = retryMs === undefined ? (exp - lifetimeS / 3) * 1000 : Date.now() + retryMs;
      // setTimeout holds at most 2^31-1 ms (24.8 days): a longer wait is re-scheduled when it ends.
      const delay = Math.min(2 ** 31 - 1, Math.max(500, renewAtMs - Date.now()));
      renewTimer = setTimeout(() => {
        if (Date.now() < renewAtMs) return scheduleRenewal(renewAtMs - Date.now());
        void renew();
      }, delay);
    };
    const renew = async (): Promise<void> => {
      await o.tokens.revocations.refresh();
      if (ws.readyState !== ws.OPEN) return;
      if (o.tokens.revocations.has(jti)) return closeWith(ws, AgentCloseCode.unauthorized, 'the agent token was revoked');
      try {
        const issued = await o.tokens.issue({ sub, scopes: claims.scopes, ttlS: lifetimeS, jti });
        if (ws.readyState !== ws.OPEN) return;
        send({ t: 'token', token: issued.token });
        exp = issued.exp;
        log(`hub: agent ${tokenName}: token renewed until ${issued.expiresAt}`);
      } catch (err) {
        // Try again while time is left (a quarter of it, at most a minute apart); the heartbeat
        // closes the connection if the token runs out first.
        log(`hub: agent ${tokenName}: cannot renew its token: ${describeError(err).message}`);
        return scheduleRenewal(Math.min(60_000, Math.max(500, (exp * 1000 - Date.now()) / 4)));
      }
      scheduleRenewal();
    };
    let link: RemoteAgentLink | undefined;
    let alive = true;
    let bad = 0;
    let badSince = Date.now();
    let flooded = false;
    /** Logs a refused frame or event; closes the connection when they come too often. */
    const refuse = (reason: string): void => {
      const now = Date.now();
      if (now - badSince >= 60_000) {
        bad = 0;
        badSince = now;
      }
      bad++;
      refusalLog(`hub: agent ${link?.info.name ?? tokenName}: refused: ${reason.slice(0, 300)}`);
      if (bad >= MAX_BAD_PER_MINUTE && !flooded) {
        flooded = true;
        closeWith(ws, AgentCloseCode.protocolError, `${MAX_BAD_PER_MINUTE} bad frames or events within a minute`);
      }
    };
    const send = (m: HubMessage): boolean => {
      if (ws.readyState !== ws.OPEN) return false;
      ws.send(encodeMessage(m));
      return true;
    };
    const helloTimer = setTimeout(() => closeWith(ws, AgentCloseCode.timeout, 'no hello'), helloTimeoutMs);
    const beat = setInterval(() => {
      // Picks up revocations written by `meshprobe token revoke` for the next beat to see.
      void o.tokens.revocations.refresh();
      // A connection lives no longer than its token: revocation and expiry end it too.
      if (o.tokens.revocations.has(jti) || Date.now() / 1000 >= exp) {
        closeWith(ws, AgentCloseCode.unauthorized, o.tokens.revocations.has(jti) ? 'the agent token was revoked' : 'the agent token expired');
        return;
      }
      if (!alive) {
        log(`hub: agent ${link?.info.name ?? tokenName} stopped answering pings; dropping it`);
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, heartbeatMs);
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data, isBinary) => {
      const t0 = performance.now();
      alive = true;
      if (flooded) return; // closing: the rest is not looked at
      // Before the hello nothing is running: a broken first frame closes the connection.
      if (isBinary) return link ? refuse('binary frame (text frames only)') : closeWith(ws, AgentCloseCode.protocolError, 'text frames only');
      const decoded = decodeAgentMessage(data.toString());
      if (!decoded.ok) return link ? refuse(decoded.reason) : closeWith(ws, AgentCloseCode.protocolError, decoded.reason);
      const m = decoded.message;
      if (m.t === 'hello') {
        if (link) return closeWith(ws, AgentCloseCode.protocolError, 'hello sent twice');
        clearTimeout(helloTimer);
        if (m.v !== AGENT_PROTOCOL_VERSION) return closeWith(ws, AgentCloseCode.badVersion, `this hub speaks agent protocol ${AGENT_PROTOCOL_VERSION}, not ${m.v}`);
        if (m.info.name !== tokenName) return closeWith(ws, AgentCloseCode.forbidden, `the token is for agent ${tokenName}, not ${m.info.name}`);
        const existing = o.registry.get(m.info.name);
        if (existing) {
          const old = [...links].find(([, l]) => l === existing);
          if (!old) return closeWith(ws, AgentCloseCode.replaced, `the name ${m.info.name} is taken by a local agent`);
          // The same agent reconnecting before the hub noticed its old socket died.
          closeWith(old[0], AgentCloseCode.replaced, 'replaced by a new connection');
          links.delete(old[0]);
          old[1].lost('replaced by a new connection');
          o.registry.remove(m.info.name);
        }
        link = new RemoteAgentLink({
          info: m.info,
          send,
          policy,
          ...(m.allowedRanges ? { allowedRanges: m.allowedRanges } : {}),
          onBadEvent: refuse,
        });
        try {
          o.registry.add(link);
        } catch (err) {
          return closeWith(ws, AgentCloseCode.protocolError, describeError(err).message);
        }
        links.set(ws, link);
        send({ t: 'welcome', v: AGENT_PROTOCOL_VERSION, heartbeatMs, policy });
        scheduleRenewal();
        o.onAgent?.('connected', m.info.name);
        return;
      }
      if (!link) return closeWith(ws, AgentCloseCode.protocolError, 'the first frame must be hello');
      link.handle(m);
      // Measured once the frame's events have been written: the streams write on nextTick,
      // and this tick was queued after theirs.
      if (m.t !== 'end' && o.onRelay) process.nextTick(() => o.onRelay!(performance.now() - t0));
    });
    ws.on('close', (code, reason) => {
      clearTimeout(helloTimer);
      clearTimeout(renewTimer);
      clearInterval(beat);
      if (!link) return;
      const why = code === 1006 ? 'connection dropped' : `connection closed${reason.length ? `: ${reason.toString()}` : ` (${code})`}`;
      if (links.get(ws) === link) {
        links.delete(ws);
        if (o.registry.get(link.info.name) === link) o.registry.remove(link.info.name);
        o.onAgent?.('disconnected', link.info.name, why);
      }
      link.lost(why);
    });
    ws.on('error', (err) => log(`hub: agent ${link?.info.name ?? tokenName}: ${err.message}`));
  }

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

/**
 * A log that lets `burst` lines through, then one per `everyMs`, the next line saying how many
 * were left out: refusals an agent can cause at will must not fill the disk.
 */
function rateLimitedLog(log: (line: string) => void, burst: number, everyMs: number): (line: string) => void {
  const bucket = new TokenBuckets({ burst, refillPerS: 1000 / everyMs, maxKeys: 1 });
  let dropped = 0;
  return (line) => {
    if (!bucket.take('log', Date.now()).ok) {
      dropped++;
      return;
    }
    log(dropped > 0 ? `${line} (${dropped} similar lines left out)` : line);
    dropped = 0;
  };
}

/** Closes with a reason cut to what a close frame can carry (123 bytes), never throwing. */
function closeWith(ws: WebSocket, code: number, reason: string): void {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -2) + '…';
  try {
    ws.close(code, r);
  } catch {
    ws.terminate();
  }
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 503, message: string, challenge = false): void {
  const body = JSON.stringify({ error: { code: status === 401 ? ErrorCode.Unauthorized : status === 403 ? ErrorCode.Forbidden : ErrorCode.HubUnreachable, message } }) + '\n';
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      (challenge ? 'WWW-Authenticate: Bearer realm="meshprobe"\r\n' : '') +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
