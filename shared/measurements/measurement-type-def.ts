/**
 * What a measurement type declares about itself, once, in its own folder
 * (shared/measurements/<type>/). shared/registry.ts lists the types; the grammar and help, spec
 * validation, the hub's packet budget and agent selection, the MCP tools and the Telegram menu
 * read them from there. The agent's runner of a type is in agent/probes/<type>/, listed in
 * agent/probes/registry.ts; its rendering is looked up by type as well.
 */
import type { z } from 'zod';
import type { CommandSpec } from '../command/command-spec.ts';
import type { MeasurementSpec } from '../model/spec.ts';

/** A field at fault and a one-line reason, as validateSpec reports it. */
export interface SpecProblem {
  field: string;
  message: string;
}

/** The type's command in the shared grammar: its CommandSpec without the name, plus the grammar's hooks. */
export interface MeasurementCommand extends Omit<CommandSpec, 'name'> {
  /** How the overview of help names what the type does (`ping`, `sweep`). */
  verb: string;
  /** What a missing positional argument is called (`missing target`, `missing CIDR prefix`). */
  missing: string;
  /** When the type takes one positional argument only: what it is called in the refusal (`one prefix only`). */
  single?: string;
  /** Rewrites a positional before validation (a sweep clears the host bits of its prefix). */
  normalizeTarget?: (word: string) => string;
}

/** The field schemas of MeasurementSpec, from which the MCP input schemas are cut. */
export type SpecFieldSchemas = (typeof import('../model/spec.ts'))['MeasurementSpec']['shape'];

/** MCP input fields every measurement tool has, described once (mcp/input-schemas.ts). */
export interface CommonToolInputs {
  from: z.ZodType;
  limit: z.ZodType;
  ipVersion: z.ZodType;
  timeoutMs: z.ZodType;
}

/** The type's MCP tool: its name is the type's name. */
export interface MeasurementTool {
  title: string;
  /** The description a model reads in tools/list. */
  description: string;
  /** Its clause in the server's instructions (`for reachability and latency`). */
  instruction: string;
  /**
   * How the description of a tool with `listsReferrals` points a model here (`to find which
   * addresses of a subnet are up use probe`), so the first tool a model reads names the others.
   */
  referral?: string;
  /** Append the other types' referrals to this description (the general-purpose tool: ping). */
  listsReferrals?: boolean;
  /**
   * The tool's input fields in the order tools/list shows them: the spec's own field schemas
   * (`fields`) with descriptions added, so bounds and messages are those of every front-end.
   * A function: the spec schema is built after the registry it reads its types from.
   */
  input: (fields: SpecFieldSchemas, common: CommonToolInputs) => Record<string, z.ZodType>;
  /** Units of work per agent×target for progress totals, when the type can say (ping: count). */
  unitsPerPart?: (args: Record<string, unknown>) => number | undefined;
}

/** The type in chat front-ends (Telegram). */
export interface MeasurementChat {
  /** The command menu entry (setMyCommands). */
  menu: string;
}

/** One measurement type. JSDoc of the fields says who reads them. */
export interface MeasurementTypeDef<Name extends string = string, TypeDefaults extends Readonly<Record<string, number>> = Readonly<Record<string, number>>> {
  /** The `type` of a MeasurementSpec, the command word, the MCP tool name and the capability agents announce. */
  readonly name: Name;
  /** Defaults of the fields only this type reads; shared/registry.ts merges them into `Defaults`. */
  readonly defaults: TypeDefaults;
  /**
   * Spec fields only this type reads and refuses to see elsewhere (`deadlineMs applies to ping
   * only, not probe`): validateSpec (shared/model/validate-spec.ts).
   */
  readonly exclusiveFields?: readonly (keyof MeasurementSpec)[];
  /**
   * Whether agents from before capabilities named measurement types run it: they announced
   * transports only (`['icmp']`) and ran every type of protocol v1. A later type leaves this
   * unset, so such an agent is never sent it (hub/core/agent-registry.ts).
   */
  readonly baseline?: boolean;
  /**
   * Whether it can run as a continuous monitor (`monitor add`, design §11): the agent has a
   * monitor engine for it (agent/probes/registry.ts) and the hub assigns it. Default false.
   */
  readonly monitorable?: boolean;
  /**
   * What a target is: `hosts` (a name or address, optionally with a port) or `prefix` (a CIDR
   * prefix, every address of which is measured). The policy checks read it: the hub's admit
   * (hub/core/policy-admit.ts: a prefix's size, its addresses' class), the AgentGate's ranges
   * and the agent's target guard (agent/runtime/target-guard.ts). Default `hosts`.
   */
  readonly targets?: 'hosts' | 'prefix';
  /**
   * How front-ends show a run: `stream`, lines that fill in; `sweep`, a bitmap of the prefix,
   * one cell per address (the CLI's live view, Telegram's picture).
   */
  readonly view: 'stream' | 'sweep';
  /**
   * Paced by `rate` (packets/s for the whole run, 0 = as fast as allowed) rather than by
   * `intervalMs`: the hub lowers a faster rate to its policy's maxRate, and the AgentGate turns
   * 0 into that or the agent's free packet budget (hub/core/policy-admit.ts, agent-gate.ts).
   */
  readonly pacedByRate?: boolean;
  /**
   * A `deadlineMs` without a `count` sends until the deadline (ping -w): a hub whose count limit
   * is below the schema's bounds such a run by its count limit (hub/core/policy-admit.ts).
   */
  readonly deadlineWithoutCount?: boolean;
  /**
   * The shape of the `data` of this type's `answer` events (dns, http), checked by the hub like
   * every agent event (shared/model/events.ts parseEvent). Types without answers leave it out.
   */
  readonly answer?: z.ZodType;
  /**
   * The hosts a target makes an agent connect to, when they are not the target itself (a DNS
   * query's name is asked, not contacted: the server is; a URL's host; curl-style --resolve
   * addresses). The hub's policy and the AgentGate check the literal ones; the agent checks
   * every address it connects to itself (agent/runtime/connect-check.ts). Default: the target.
   */
  connectsTo?(target: string, spec: MeasurementSpec): string[];
  /** Event kinds only this type emits (besides start, summary, error): documentation and checks. */
  readonly eventKinds: readonly string[];
  /** Why one target cannot be measured by this type, or undefined: validateSpec. */
  targetProblem(target: string, spec: MeasurementSpec): SpecProblem | undefined;
  /**
   * Packets per second one target of `spec` makes an agent send, at most (Infinity: as fast as
   * allowed): the hub's packet budget (hub/core/packet-budget.ts).
   */
  packetsPerSecond(spec: MeasurementSpec): number;
  /** Its command, help and grammar hooks: shared/command/. */
  readonly command: MeasurementCommand;
  /** Its MCP tool: mcp/tools/measure-tools.ts. */
  readonly tool: MeasurementTool;
  /** Its Telegram command: bots/telegram/. */
  readonly chat: MeasurementChat;
}
