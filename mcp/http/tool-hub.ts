/** The hub the MCP tools call, per call: a fixed credential, or the caller's own token. */
import { LOCAL_RELAY_FORWARDED } from '../../shared/net/host-guard.ts';
import { HubClient } from '../../shared/wire/hub-client.ts';
import type { HubLike } from '../../shared/wire/hub-client.ts';
import type { ToolExtra } from '../run-measurement.ts';

/** How the tools reach the hub (McpHttpOptions.hub). */
export type ToolHubOption = { url: string | (() => string); token?: string | undefined } | ((extra: ToolExtra) => HubLike);

/** The per-call hub factory for `hub`. */
export function toolHub(hub: ToolHubOption): (extra: ToolExtra) => HubLike {
  if (typeof hub === 'function') return hub;
  return (extra) => {
    const token = hub.token ?? extra.authInfo?.token;
    return new HubClient({ url: typeof hub.url === 'function' ? hub.url() : hub.url, ...(token ? { token } : {}), fetch: relayFetch });
  };
}

/** fetch that marks the MCP server's calls as relayed for its clients (see isLocalClient). */
const relayFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('forwarded', LOCAL_RELAY_FORWARDED);
  return fetch(input, { ...init, headers });
};
