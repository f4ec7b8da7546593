/** The small read-only routes: `GET /v1/version`, `GET /v1/agents`, `GET /healthz`. */
import { sendJson } from '../http-io.ts';
import { VERSION_INFO } from '../version-info.ts';
import type { HubRoute } from '../route.ts';

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
    // What an agent announces (AgentInfo), then what the hub knows of its link: when it connected.
    const agents = hub.registry.list().map((a) => {
      const at = hub.registry.connectedAt?.(a.name);
      return at === undefined ? a : { ...a, connectedAt: new Date(at).toISOString() };
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
