/**
 * What the hub checks for every agent, in-process or remote, right before a run is dispatched:
 * the ranges the hub allows that agent (MESHPROBE_AGENT_RANGES: literal targets outside them
 * are refused here, and the ranges travel with the run so the agent checks resolved names), and
 * the packets-per-second budget per agent (design §8). A refused target gets an `error` event
 * naming the agent; nothing is sent for it.
 */
import type { AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import { isAllowed, isPrefixAllowed } from '../../shared/net/address-policy.ts';
import { parseCidr } from '../../shared/net/cidr.ts';
import { isIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import { ErrorCode } from '../../shared/model/errors.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { measurementType } from '../../shared/registry.ts';
import type { AgentRanges } from './agent-ranges.ts';
import { declaredPps, type PacketBudget } from './packet-budget.ts';
import { splitHostPort } from '../../shared/net/host-port.ts';

/** Options of {@link AgentGate}. */
export interface AgentGateOptions {
  /** Prefixes each named agent may measure; agents not named are not restricted by the hub. */
  ranges?: AgentRanges;
  /** Packets-per-second budget per agent; default none. */
  budget?: PacketBudget;
  /** The hub policy's fastest sweep (HubLimits.maxRate): one bound of a sweep at rate 0. Default none. */
  maxRate?: number;
}

export class AgentGate {
  readonly #ranges: AgentRanges;
  readonly #budget: PacketBudget | undefined;
  readonly #maxRate: number;

  constructor(o: AgentGateOptions = {}) {
    this.#ranges = o.ranges ?? {};
    this.#budget = o.budget;
    this.#maxRate = o.maxRate !== undefined && o.maxRate > 0 ? o.maxRate : Number.POSITIVE_INFINITY;
  }

  /**
   * A run paced by rate (a sweep) at rate 0 means "as fast as allowed" (docs/commands.md): the hub's sweep limit or
   * what is left of the agent's packet budget, whichever is lower, shared by its prefixes.
   * Returns the spec to run and the note for its start events; the spec unchanged otherwise.
   */
  #asFastAsAllowed(name: string, spec: MeasurementSpec): { spec: MeasurementSpec; note?: string } {
    if (!measurementType(spec.type)?.pacedByRate || spec.rate !== 0) return { spec };
    const free = this.#budget ? this.#budget.free(name) : Number.POSITIVE_INFINITY;
    const bound = Math.min(free, this.#maxRate);
    // Neither a policy limit nor a budget: 0 stays the agent's own "unlimited".
    if (!Number.isFinite(bound)) return { spec };
    const rate = Math.floor(bound / spec.targets.length);
    // Nothing free: the budget check below refuses it with its usual reason.
    if (rate < 1) return { spec };
    const why = free <= this.#maxRate ? `agent ${name}'s packet budget (${Math.floor(free)} of ${this.#budget!.ppsPerAgent} packets/s free)` : `this hub's sweep limit (${this.#maxRate} packets/s)`;
    return { spec: { ...spec, rate }, note: `rate 0 = as fast as allowed: ${rate} packets/s, ${why}` };
  }

  /** The hub's ranges for `agent`, or undefined when the hub does not restrict it. */
  rangesOf(agent: string): readonly string[] | undefined {
    return Object.hasOwn(this.#ranges, agent) ? this.#ranges[agent] : undefined;
  }

  /** `agent` behind the gate: same info, runs checked first. */
  wrap(agent: AgentLink): AgentLink {
    return { info: agent.info, run: (spec, o) => this.#run(agent, spec, o) };
  }

  async #run(agent: AgentLink, spec: MeasurementSpec, o: AgentRunOptions): Promise<void> {
    const name = agent.info.name;
    const ranges = this.rangesOf(name);
    let targets = spec.targets;
    const prefixes = measurementType(spec.type)?.targets === 'prefix';
    if (ranges) {
      const where = `agent ${name}'s allowed ranges (${ranges.join(', ')}), set at the hub`;
      targets = spec.targets.filter((target) => {
        let refusal: string | undefined;
        if (prefixes) {
          // A malformed prefix is the agent's to report, with its usual message.
          if (parseCidr(target, { bareAddress: true }).ok && !isPrefixAllowed(target, 'lan', { allowedRanges: ranges }).ok) refusal = `${target} is not inside ${where}`;
        } else {
          const def = measurementType(spec.type);
          const hosts = def?.connectsTo ? def.connectsTo(target, spec) : [splitHostPort(target).host];
          const out = hosts.find((host) => isIp(host, TARGET_ADDRESS) && !isAllowed(host, 'lan', { allowedRanges: ranges }).ok);
          if (out !== undefined) refusal = `${out} is outside ${where}`;
        }
        if (refusal) o.emit({ type: 'error', agent: name, target, code: ErrorCode.PolicyRefused, message: refusal });
        return refusal === undefined;
      });
      if (targets.length === 0) return;
    }
    if (o.signal.aborted) return;
    const fast = this.#asFastAsAllowed(name, targets === spec.targets ? spec : { ...spec, targets });
    const runSpec = fast.spec;
    const reserved = this.#budget?.reserve(name, declaredPps(runSpec));
    if (reserved && !reserved.ok) {
      for (const target of targets) o.emit({ type: 'error', agent: name, target, code: ErrorCode.RateLimited, message: reserved.reason });
      return;
    }
    // The start event says which rate "as fast as allowed" became, and why.
    const emit: AgentRunOptions['emit'] = fast.note === undefined ? o.emit : (e) =>
      o.emit(e.type === 'start' && e.measurement === runSpec.type ? { ...e, note: e.note ? `${e.note}; ${fast.note}` : fast.note! } : e);
    try {
      await agent.run(runSpec, { ...o, emit, ...(ranges ? { allowedRanges: ranges } : {}) });
    } finally {
      if (reserved?.ok) reserved.release();
    }
  }
}
