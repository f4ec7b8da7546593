/**
 * The seam between the hub and the agents it can measure from (design §12). The hub — routes,
 * the agent gateway, the CLI text, the launcher — reaches agents only through this interface;
 * agent-registry.ts is the in-process implementation every hub uses today.
 *
 * A multi-hub deployment replaces it with one shared by every hub: a NATS- or Redis-backed
 * directory would have to provide
 * - a membership view: `add`/`remove` announce an agent connected to *this* hub to the others
 *   (with a lease renewed on the agent's heartbeat, so a crashed hub's agents expire), and
 *   `list`/`get`/`size` answer from the shared view, in a stable order;
 * - AgentLinks for remote members: `get`/`select` hand out a link whose `run()` relays the spec
 *   to the hub holding the agent's WebSocket and streams its events back (request/reply subjects
 *   on NATS, or a Redis stream per run), cancelling there when the signal aborts;
 * - `onChange` fed from the shared view (other hubs' joins and leaves too), so metrics and
 *   `list` stay right;
 * - names unique across hubs (the same check `add` makes locally, done atomically in the store).
 * Selection itself (`select`: names, `key=value` filters, `limit` spread over ASNs and cities)
 * is pure and can stay as agent-selection.ts over the shared list.
 */
import type { AgentInfo, AgentLink } from '../../shared/wire/agent-link.ts';
import type { MeasurementType } from '../../shared/registry.ts';

/** The outcome of a selection: the agents to run, and the selectors that matched nothing. */
export interface Selection {
  agents: AgentLink[];
  /** Selectors of `from` that matched no agent, each worth an MP_ERR_NO_AGENT error event. */
  unmatched: string[];
  /**
   * Agents left out because they do not announce the measurement's type (an older agent): worth
   * one MP_ERR_NO_AGENT line naming the type and them. Absent when none were.
   */
  incapable?: { type: MeasurementType; agents: string[] };
}

/** Listens to directory changes (metrics, logs, the WebSocket layer). */
export type RegistryListener = (change: 'added' | 'removed', info: AgentInfo) => void;

/** The agents a hub can measure from, and the choice of agents for a request. */
export interface AgentDirectory {
  /** Adds an agent. Throws a MeshprobeError (MP_ERR_BAD_REQUEST) if the name is malformed or taken. */
  add(agent: AgentLink): void;
  /** Removes an agent by name; returns whether it was there. Running measurements are not touched. */
  remove(name: string): boolean;
  /** The agent named `name` (exact), as registered (not wrapped by dispatchThrough). */
  get(name: string): AgentLink | undefined;
  /** Every agent's announced attributes, in registration order. */
  list(): AgentInfo[];
  /** When the agent named `name` joined this directory (its link connected), ms since the epoch; optional for other directories. */
  connectedAt?(name: string): number | undefined;
  /** How many agents there are. */
  readonly size: number;
  /**
   * Picks the agents for a request: each selector is an agent name or `key=value` (country,
   * city, asn, isp); an empty `from` means the default agent, or `limit` agents when given.
   * With `type`, only agents that announce it are picked (the others are named in `incapable`).
   */
  select(from: readonly string[], limit?: number, type?: MeasurementType): Selection;
  /** Puts every agent select() hands out behind `wrap` (per-agent ranges and packet budget). */
  dispatchThrough(wrap: (agent: AgentLink) => AgentLink): void;
  /** Subscribes to additions and removals; returns the unsubscribe function. */
  onChange(listener: RegistryListener): () => void;
}
