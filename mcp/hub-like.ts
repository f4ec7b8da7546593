/**
 * What the MCP server needs of the hub: the part of shared/wire/hub-client.ts it calls. Tools get
 * one per call, so that each call can act with the caller's own token (see server.ts).
 */
import type { HubClient } from '../shared/wire/hub-client.ts';

/** The hub calls the tools make; `HubClient` satisfies it. */
export type HubLike = Pick<HubClient, 'measure' | 'agents' | 'version'>;
