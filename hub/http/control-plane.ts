/**
 * The hub's control plane in one place (issue 4): identity (signing key, tokens, JWKS, bearer
 * auth), policy and limits (admit seam, rate limits, per-agent packet budget), metrics, and the
 * agents' WebSocket gateway. createHub plugs it into its seams; nothing here knows about routes
 * beyond their names.
 */
import type { Server } from 'node:http';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import type { AgentDirectory } from '../core/agent-directory.ts';
import { attachAgentGateway, type AgentGateway } from './agent-gateway.ts';
import { createBearerAuthorize, createRequestLimits, type RequestLimitOptions, type RequestLimits } from '../auth/bearer-authorize.ts';
import { TokenService } from '../auth/token-service.ts';
import { HubMetrics } from './hub-metrics.ts';
import { PacketBudget } from '../core/packet-budget.ts';
import { checkAgentRanges, type AgentRanges } from '../core/agent-ranges.ts';
import { AgentGate } from '../core/agent-gate.ts';
import { createPolicyAdmit, hubLimits, type HubLimits } from '../core/policy-admit.ts';
import type { Admit, Authorize, HubObserver, HubRoute } from './route.ts';
import { tokenRoutes } from './routes/tokens.ts';

/**
 * Options of {@link createControlPlane}; HubOptions carries the same fields. The request rates
 * (per IP, per subject, per delegate service, loopback exemption) are those of
 * {@link RequestLimitOptions}, documented there.
 */
export interface ControlPlaneOptions extends Pick<RequestLimitOptions, 'ipRatePerS' | 'ipBurst' | 'subjectRatePerS' | 'subjectBurst' | 'serviceRatePerS' | 'serviceBurst' | 'exemptLoopback'> {
  /** Where the signing key and revocations live. */
  dataDir: string;
  /** Accept requests without a token as `anonymous` (MESHPROBE_ALLOW_ANONYMOUS). Default false. */
  allowAnonymous?: boolean;
  /** Target policy (MESHPROBE_POLICY). Default 'lan'. */
  policy?: PolicyMode;
  /** Overrides of the policy's limits (count, interval, sweep size, rate). */
  limits?: Partial<HubLimits>;
  /** The admin token file to name in a 401 to loopback clients (the embedded launcher's). Default: unset. */
  localTokenFile?: string;
  /** Packets per second each agent (remote or in-process) may be asked to send at once. Default 20,000; 0 = off. */
  agentPpsBudget?: number;
  /** Prefixes each named agent may measure, on top of what it announces (MESHPROBE_AGENT_RANGES). */
  agentRanges?: AgentRanges;
  /** JWT issuer and audience. Defaults urn:meshprobe:hub, urn:meshprobe:api. */
  issuer?: string;
  audience?: string;
  /** Hub → agent ping interval. Default 10 s. */
  agentHeartbeatMs?: number;
  /** Most agents connected at once (MESHPROBE_MAX_AGENTS). Default 1000. */
  maxAgents?: number;
  log?: (line: string) => void;
}

export interface ControlPlane {
  tokens: TokenService;
  metrics: HubMetrics;
  policy: PolicyMode;
  authorize: Authorize;
  /** The rate buckets authorize uses, for endpoints that authenticate themselves (/mcp). */
  limits: RequestLimits;
  admit: Admit;
  observer: HubObserver;
  routes: HubRoute[];
  /** Per-agent ranges and packet budget, applied to every agent the registry hands out. */
  gate: AgentGate;
  /** Starts the agents' WebSocket endpoint on the hub's server. */
  attach(server: Server, registry: AgentDirectory): AgentGateway;
}

export async function createControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const tokens = await TokenService.open(o.dataDir, { ...(o.issuer ? { issuer: o.issuer } : {}), ...(o.audience ? { audience: o.audience } : {}) });
  const metrics = new HubMetrics();
  const policy = o.policy ?? 'lan';
  const budget = new PacketBudget(o.agentPpsBudget ?? 20_000);
  const gate = new AgentGate({ budget, maxRate: hubLimits(policy, o.limits).maxRate, ...(o.agentRanges ? { ranges: checkAgentRanges(o.agentRanges) } : {}) });
  const limits = createRequestLimits(o);
  return {
    limits,
    tokens,
    metrics,
    policy,
    gate,
    authorize: createBearerAuthorize({
      tokens,
      allowAnonymous: o.allowAnonymous ?? false,
      limits,
      ...(o.localTokenFile !== undefined ? { localTokenFile: o.localTokenFile } : {}),
    }),
    admit: createPolicyAdmit({ mode: policy, ...(o.limits ? { limits: o.limits } : {}) }),
    observer: metrics.observer(),
    routes: [...tokenRoutes(tokens), metrics.route()],
    attach(server, registry) {
      const gateway = attachAgentGateway({
        server,
        registry,
        tokens,
        policy,
        ...(o.agentHeartbeatMs !== undefined ? { heartbeatMs: o.agentHeartbeatMs } : {}),
        ...(o.maxAgents !== undefined ? { maxAgents: o.maxAgents } : {}),
        onAgent: (change) => {
          metrics.agentChanges.inc({ change });
          metrics.agentsConnected.set(gateway.connected);
        },
        onRelay: (ms) => metrics.relayLatency.observe(ms / 1000),
        ...(o.log ? { log: o.log } : {}),
      });
      return gateway;
    },
  };
}
