/**
 * What the hub needs from an agent, wherever it runs: in-process (the embedded default)
 * or at the far end of a WebSocket (remote agents). The hub composes streams from these.
 */
import type { AddressInfo } from '../net/address-info.ts';
import type { MeasurementEvent } from '../model/events.ts';
import type { MeasurementSpec } from '../model/spec.ts';
import type { MinuteRow, MonitorAssignment, RouteRecord } from '../model/monitor-types.ts';

/** Attributes an agent announces; used for selection (`from`) and listing. */
export interface AgentInfo {
  name: string;
  country?: string;
  city?: string;
  asn?: number;
  isp?: string;
  latitude?: number;
  longitude?: number;
  /**
   * The measurement types it runs (shared/registry.ts) and the transports it speaks, e.g.
   * ['icmp', 'icmp6', 'ping', 'tcp', 'udp']. The hub sends an agent only the types named here
   * (an agent naming no type at all gets the baseline types: shared/registry.ts agentCanRun).
   */
  capabilities: string[];
  version: string;
  /**
   * What the hub's enrichment knows of the address the agent connected from (labels, ASN, place;
   * issue 16), added by the hub to `GET /v1/agents`; never taken from the agent. The address
   * itself is not published.
   */
  info?: AddressInfo;
}

export interface AgentRunOptions {
  /** Aborting stops the measurement: no further packets are sent. */
  signal: AbortSignal;
  /** Called for every event of this agent's part, in order. Never `done`: the hub adds it. */
  emit: (event: MeasurementEvent) => void;
  /**
   * CIDR prefixes the hub allows this agent for this run (MESHPROBE_AGENT_RANGES), on top of
   * the agent's own. The hub has refused literals outside them; the agent checks the addresses
   * names resolve to. Undefined or empty: no restriction from the hub.
   */
  allowedRanges?: readonly string[];
  /**
   * Set by the agent's target guard for the types that check their own connections (dns, http:
   * the name asked is not contacted, a URL's redirects lead elsewhere): every address such a run
   * connects to must pass it, checked right before the connection, to that address only.
   * Undefined: nothing to enforce (a `lan` agent without ranges).
   */
  connectPolicy?: ConnectPolicy;
}

/** What every connection of a self-checking run (dns, http) must pass: agent/runtime/connect-check.ts. */
export interface ConnectPolicy {
  mode: 'public' | 'lan';
  /** The agent's own allowed prefixes; empty = any (subject to the mode). */
  allowedRanges: readonly string[];
  /** The hub's ranges for this agent, on top; empty = none. */
  hubRanges: readonly string[];
  /** Ports a `public` run may connect to. */
  publicPorts: readonly number[];
}

/**
 * Continuous monitors on one agent (design §11). The hub hands the agent its full set of
 * assignments; the agent measures on its own schedule, keeps going while the hub is away, and
 * reports numbered batches of minute rows. The hub stores a batch durably, then the link
 * acknowledges it to the agent, which only then forgets it.
 */
export interface AgentMonitors {
  /** Replaces the set of monitors this agent runs (effective within one interval). */
  assign(list: readonly MonitorAssignment[], scope: { policy: 'public' | 'lan'; allowedRanges?: readonly string[] }): void;
  /**
   * Changes the set of the last `assign` (the `monitor-changes` frame): `set` adds or replaces
   * assignments by id, `drop` removes ids; the scope stays. Throws a one-line reason (and changes
   * nothing) when the set would pass MonitorLimits.maxAssignmentsPerAgent. Optional: the hub only
   * ever calls `assign`, and its remote link turns changes into this frame by itself.
   */
  change?(set: readonly MonitorAssignment[], drop: readonly number[]): void;
  /**
   * Sets where reports go. `store` resolves once the report is durable (the link then acks it) and
   * rejects when it could not be stored (no ack: the agent sends it again).
   */
  onReport(store: (report: MonitorReport) => Promise<void>): void;
}

/** A numbered batch of monitor results from one agent. */
export interface MonitorReport {
  seq: number;
  rows: MinuteRow[];
  routes?: RouteRecord[];
}

export interface AgentLink {
  readonly info: AgentInfo;
  /** Present when the agent runs monitors (it announces the `monitor` capability). */
  readonly monitors?: AgentMonitors;
  /**
   * Runs the measurement for every target of `spec` on this agent. Resolves once every
   * target has its `summary` or `error` event; never rejects (failures are `error` events).
   */
  run(spec: MeasurementSpec, options: AgentRunOptions): Promise<void>;
}
