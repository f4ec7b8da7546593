/**
 * The agents a hub can measure from, and the selection of agents for a request (`from`, `limit`):
 * the in-process implementation of the AgentDirectory seam (agent-directory.ts). Agents are
 * AgentLinks: in-process (the embedded LocalAgent) or WebSocket-backed remote agents; the
 * registry does not care which.
 */
import type { AgentInfo, AgentLink } from '../../shared/wire/agent-link.ts';
import { AGENT_NAME_PATTERN } from '../../shared/wire/agent-protocol-constants.ts';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { agentCanRun, type MeasurementType } from '../../shared/registry.ts';
import type { AgentDirectory, RegistryListener, Selection } from './agent-directory.ts';
import { pickDiverse } from './agent-selection.ts';

/** Options of {@link AgentRegistry}. */
export interface AgentRegistryOptions {
  /**
   * Name of the agent used when a request has no `from`. Default: the first agent added.
   * A single default (rather than "all agents") keeps an unqualified `ping` cheap once many
   * remote agents are connected.
   */
  defaultAgent?: string;
  /** The clock for connectedAt, ms since the epoch. Default Date.now. */
  now?: () => number;
}

export type { RegistryListener, Selection } from './agent-directory.ts';

/** Agents by name, in the order they were added: the in-process {@link AgentDirectory}. */
export class AgentRegistry implements AgentDirectory {
  readonly #agents = new Map<string, AgentLink>();
  /** When each agent was added (its link connected), ms since the epoch: kept apart from what it announces. */
  readonly #addedAt = new Map<string, number>();
  readonly #now: () => number;
  readonly #listeners = new Set<RegistryListener>();
  #defaultAgent: string | undefined;
  #dispatch: (agent: AgentLink) => AgentLink = (agent) => agent;

  constructor(options: AgentRegistryOptions = {}) {
    this.#defaultAgent = options.defaultAgent;
    this.#now = options.now ?? Date.now;
  }

  /** Adds an agent. Throws if the name is malformed or already taken (names select agents). */
  add(agent: AgentLink): void {
    const name = agent.info.name;
    if (!AGENT_NAME_PATTERN.test(name)) {
      throw new MeshprobeError(ErrorCode.BadRequest, `agent name "${name}" must be 1-63 letters, digits, '.', '_' or '-'`);
    }
    if (this.#agents.has(name)) throw new MeshprobeError(ErrorCode.BadRequest, `an agent named "${name}" is already registered`);
    this.#agents.set(name, agent);
    this.#addedAt.set(name, this.#now());
    for (const l of this.#listeners) l('added', agent.info);
  }

  /** Removes an agent by name; returns whether it was there. Running measurements are not touched. */
  remove(name: string): boolean {
    const agent = this.#agents.get(name);
    if (!agent) return false;
    this.#agents.delete(name);
    this.#addedAt.delete(name);
    for (const l of this.#listeners) l('removed', agent.info);
    return true;
  }

  get(name: string): AgentLink | undefined {
    return this.#agents.get(name);
  }

  /** Every agent's announced attributes, in registration order. */
  list(): AgentInfo[] {
    return [...this.#agents.values()].map((a) => a.info);
  }

  /** When the agent named `name` was added (its link connected), ms since the epoch. */
  connectedAt(name: string): number | undefined {
    return this.#addedAt.get(name);
  }

  get size(): number {
    return this.#agents.size;
  }

  /**
   * Puts every agent that select() hands out behind `wrap` (the hub's per-agent ranges and
   * packet budget, policy/agent-gate.ts), so the checks hold for whoever dispatches the run.
   * get() and list() still give the registered agents themselves.
   */
  dispatchThrough(wrap: (agent: AgentLink) => AgentLink): void {
    this.#dispatch = wrap;
  }

  /** Subscribes to additions and removals; returns the unsubscribe function. */
  onChange(listener: RegistryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Picks the agents for a request. Each selector is an agent name or an attribute filter
   * `key=value` (country, city, asn, isp; case-insensitive). An empty `from` means the default
   * agent, or `limit` agents when `limit` is given. Duplicates are removed; `limit` caps the
   * result, preferring agents in distinct ASNs, then cities (agent-selection.ts). With `type`,
   * only agents that announce it are picked (shared/registry.ts agentCanRun): an empty `from`
   * falls back from an incapable default agent to the first capable one; named agents that
   * cannot run it are left out and reported in `incapable`.
   */
  select(from: readonly string[], limit?: number, type?: MeasurementType): Selection {
    const all = [...this.#agents.values()];
    const can = (a: AgentLink) => type === undefined || agentCanRun(a.info.capabilities, type);
    const incapable = (agents: AgentLink[]) => (type !== undefined && agents.length > 0 ? { incapable: { type, agents: agents.map((a) => a.info.name) } } : {});
    if (from.length === 0) {
      const able = all.filter(can);
      const none = able.length === 0 ? incapable(all) : {};
      if (limit !== undefined) return { agents: pickDiverse(able, limit).map(this.#dispatch), unmatched: [], ...none };
      const preferred = this.#defaultAgent !== undefined ? this.#agents.get(this.#defaultAgent) : undefined;
      const first = preferred && can(preferred) ? preferred : able[0];
      return { agents: first ? [this.#dispatch(first)] : [], unmatched: [], ...none };
    }
    const picked = new Map<string, AgentLink>();
    const unmatched: string[] = [];
    for (const selector of from) {
      const matches = all.filter((a) => matchesSelector(a.info, selector));
      if (matches.length === 0) unmatched.push(selector);
      for (const a of matches) picked.set(a.info.name, a);
    }
    const agents = [...picked.values()].filter(can);
    const left = [...picked.values()].filter((a) => !can(a));
    // `limit` picks agents spread across ASNs and cities rather than the first N.
    return { agents: (limit !== undefined ? pickDiverse(agents, limit) : agents).map(this.#dispatch), unmatched, ...incapable(left) };
  }
}

/** Whether `info` matches one selector: its name, or `key=value` on an announced attribute. */
export function matchesSelector(info: AgentInfo, selector: string): boolean {
  const eq = selector.indexOf('=');
  if (eq === -1) return info.name.toLowerCase() === selector.toLowerCase();
  const key = selector.slice(0, eq).trim().toLowerCase();
  const want = selector.slice(eq + 1).trim().toLowerCase();
  const attrs: Record<string, unknown> = { name: info.name, country: info.country, city: info.city, asn: info.asn, isp: info.isp };
  const have = attrs[key];
  return have !== undefined && String(have).toLowerCase() === want;
}
