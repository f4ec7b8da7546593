/** The small read-only routes: `GET /v1/version`, `GET /v1/agents`, `GET /healthz`. */
import { sendJson } from '../http-io.ts';
import { VERSION_INFO } from '../version-info.ts';
import type { HubContext, HubRoute } from '../route.ts';
import type { AgentInfo } from '../../../shared/wire/agent-link.ts';

export const versionRoute: HubRoute = {
  name: 'version',
  methods: ['GET'],
  path: '/v1/version',
  async handle({ res }) {
    sendJson(res, 200, VERSION_INFO);
  },
};

export const agentsRoute: HubRoute = {
  name: 'agents',
  methods: ['GET'],
  path: '/v1/agents',
  async handle({ res, hub }) {
    // What an agent announces (AgentInfo), what enrichment knows of its address, then what the hub
    // knows of its link: when it connected.
    const agents = hub.registry.list().map((a) => {
      const at = hub.registry.connectedAt?.(a.name);
      const withAddress = withInfo(hub, a);
      return at === undefined ? withAddress : { ...withAddress, connectedAt: new Date(at).toISOString() };
    });
    sendJson(res, 200, { agents });
  },
};

/** Liveness for load balancers and scripts: public, cheap, no agent work. */
export const healthRoute: HubRoute = {
  name: 'healthz',
  methods: ['GET'],
  path: '/healthz',
  public: true,
  async handle({ res, hub }) {
    sendJson(res, 200, { status: 'ok', agents: hub.registry.size });
  },
};

/**
 * `a` with what the enrichment knows of the address it connected from (a remote agent's; the
 * local agent has none): the agent's own announced fields stay as they are.
 */
function withInfo(hub: HubContext, a: AgentInfo): AgentInfo {
  const address = (hub.registry.get(a.name) as { remoteAddress?: string } | undefined)?.remoteAddress;
  if (!address || !hub.enrichAgent) return a;
  let info: AgentInfo['info'];
  try {
    info = hub.enrichAgent(address);
  } catch {
    return a;
  }
  return info ? { ...a, info } : a;
}
