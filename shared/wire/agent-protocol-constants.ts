/**
 * The constants of the hub ↔ agent protocol (shared/wire/agent-protocol.ts has the frames and
 * their schemas). A module of its own, without zod, so that an agent can read them without
 * loading zod (~18 MB of an idle agent's memory).
 */
import type { AgentMessage, HubMessage } from './agent-protocol.ts';

/** Most events in one `events` frame. */
export const MAX_BATCH = 1024;

/** Protocol version spoken by this code; a hub refuses a `hello` with another major version. */
export const AGENT_PROTOCOL_VERSION = 1;

/** The capability an agent announces when it runs monitors. */
export const MONITOR_CAPABILITY = 'monitor';

/**
 * The capability an agent announces when it takes `monitor-changes` frames; the hub sends such an
 * agent the full set only after `welcome` and when the scope changes.
 */
export const MONITOR_CHANGES_CAPABILITY = 'monitor-changes';

/** The WebSocket path agents dial on the hub. */
export const AGENT_CONNECT_PATH = '/v1/agents/connect';

/**
 * WebSocket close codes the hub uses to say why it closed (4000–4999 are application codes).
 * An agent reconnects after any of them except `unauthorized`, `forbidden` and `badVersion`,
 * which a retry cannot fix.
 */
export const AgentCloseCode = {
  /** Normal shutdown of either side. */
  normal: 1000,
  /** The hub is going away (restart); reconnect. */
  goingAway: 1001,
  /** A frame did not parse or broke the protocol. */
  protocolError: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  /** Another connection took over this agent's name. */
  replaced: 4409,
  badVersion: 4426,
  /** No hello within the allowed time, or the heartbeat stopped. */
  timeout: 4408,
} as const;

/** An agent's name: 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (names select agents). */
export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Longest token the hub sends or an agent accepts, in characters. */
export const MAX_TOKEN_CHARS = 8192;

/** A compact JWT, as a `token` frame carries it: three base64url parts. */
export const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Encodes any protocol message as one text frame. */
export function encodeMessage(message: AgentMessage | HubMessage): string {
  return JSON.stringify(message);
}
