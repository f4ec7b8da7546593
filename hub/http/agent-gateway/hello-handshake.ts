/**
 * The agent's `hello`: the protocol version must match and the name must be the token's
 * `agent:<name>`; a reconnecting agent replaces its own stale registration (never a local
 * agent's name). On success the agent is registered as a RemoteAgentLink and welcomed.
 */
import type { WebSocket } from 'ws';
import type { PolicyMode } from '../../../shared/net/address-policy.ts';
import { describeError } from '../../../shared/model/errors.ts';
import type { AgentMessage, HubMessage } from '../../../shared/wire/agent-protocol.ts';
import { AGENT_PROTOCOL_VERSION, AgentCloseCode } from '../../../shared/wire/agent-protocol-constants.ts';
import type { AgentDirectory } from '../../core/agent-directory.ts';
import { RemoteAgentLink } from '../remote-agent-link.ts';
import { closeWith } from './close-with.ts';

/** What the handshake needs from the gateway and the connection. */
export interface HelloContext {
  ws: WebSocket;
  /** The agent name the token is for. */
  tokenName: string;
  registry: AgentDirectory;
  /** The gateway's remote agents by socket (a stale one of the same agent is replaced in it). */
  links: Map<WebSocket, RemoteAgentLink>;
  policy: PolicyMode;
  heartbeatMs: number;
  send: (m: HubMessage) => boolean;
  /** Where the link reports events that fail their schema. */
  onBadEvent: (reason: string) => void;
  /** The address the agent connected from (its enrichment shows in `list`). */
  remoteAddress?: string;
}

/** Registers the agent of `hello` and welcomes it; undefined when the connection was closed instead. */
export function acceptHello(hello: Extract<AgentMessage, { t: 'hello' }>, c: HelloContext): RemoteAgentLink | undefined {
  const { ws, tokenName, registry, links } = c;
  if (hello.v !== AGENT_PROTOCOL_VERSION) return void closeWith(ws, AgentCloseCode.badVersion, `this hub speaks agent protocol ${AGENT_PROTOCOL_VERSION}, not ${hello.v}`);
  if (hello.info.name !== tokenName) return void closeWith(ws, AgentCloseCode.forbidden, `the token is for agent ${tokenName}, not ${hello.info.name}`);
  const existing = registry.get(hello.info.name);
  if (existing) {
    const old = [...links].find(([, l]) => l === existing);
    if (!old) return void closeWith(ws, AgentCloseCode.replaced, `the name ${hello.info.name} is taken by a local agent`);
    // The same agent reconnecting before the hub noticed its old socket died.
    closeWith(old[0], AgentCloseCode.replaced, 'replaced by a new connection');
    links.delete(old[0]);
    old[1].lost('replaced by a new connection');
    registry.remove(hello.info.name);
  }
  const link = new RemoteAgentLink({
    info: hello.info,
    send: c.send,
    policy: c.policy,
    ...(hello.allowedRanges ? { allowedRanges: hello.allowedRanges } : {}),
    onBadEvent: c.onBadEvent,
    ...(c.remoteAddress ? { remoteAddress: c.remoteAddress } : {}),
    onStoreFailure: (reason) => closeWith(ws, AgentCloseCode.goingAway, `the hub could not store a monitor report (${reason}); reconnect and send it again`),
  });
  try {
    registry.add(link);
  } catch (err) {
    return void closeWith(ws, AgentCloseCode.protocolError, describeError(err).message);
  }
  links.set(ws, link);
  c.send({ t: 'welcome', v: AGENT_PROTOCOL_VERSION, heartbeatMs: c.heartbeatMs, policy: c.policy });
  return link;
}
