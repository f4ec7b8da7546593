/**
 * What the hub checks for every agent, in-process or remote, right before a run is dispatched:
 * the ranges the hub allows that agent (MESHPROBE_AGENT_RANGES: literal targets outside them
 * are refused here, and the ranges travel with the run so the agent checks resolved names), and
 * the packets-per-second budget per agent (design §8). A refused target gets an `error` event
 * naming the agent; nothing is sent for it.
 */
import type { AgentLink, AgentRunOptions } from '../../shared/agent-link.ts';
import { isAllowed, isIpLiteral, isPrefixAllowed, parseCidr } from '../../shared/address-policy.ts';
import { ErrorCode } from '../../shared/errors.ts';
import type { MeasurementSpec } from '../../shared/spec.ts';
import type { AgentRanges } from '../agent-ranges.ts';
import { declaredPps, type PacketBudget } from '../limits/packet-budget.ts';
import { splitHostPort } from '../../shared/host-port.ts';

/** Options of {@link AgentGate}. */
export interface AgentGateOptions {
  /** Prefixes each named agent may measure; agents not named are not restricted by the hub. */
  ranges?: AgentRanges;
  /** Packets-per-second budget per agent; default none. */
  budget?: PacketBudget;
}

export class AgentGate {
  readonly #ranges: AgentRanges;
  readonly #budget: PacketBudget | undefined;

  constructor(o: AgentGateOptions = {}) {
    this.#ranges = o.ranges ?? {};
    this.#budget = o.budget;
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
    if (ranges) {
      const where = `agent ${name}'s allowed ranges (${ranges.join(', ')}), set at the hub`;
      targets = spec.targets.filter((target) => {
        let refusal: string | undefined;
        if (spec.type === 'probe') {
          // A malformed prefix is the agent's to report, with its usual message.
          if (parseCidr(target) && !isPrefixAllowed(target, 'lan', { allowedRanges: ranges }).ok) refusal = `${target} is not inside ${where}`;
        } else {
          const { host } = splitHostPort(target);
          if (isIpLiteral(host) && !isAllowed(host, 'lan', { allowedRanges: ranges }).ok) refusal = `${host} is outside ${where}`;
        }
        if (refusal) o.emit({ type: 'error', agent: name, target, code: ErrorCode.PolicyRefused, message: refusal });
        return refusal === undefined;
      });
      if (targets.length === 0) return;
    }
    if (o.signal.aborted) return;
    const runSpec = targets === spec.targets ? spec : { ...spec, targets };
    const reserved = this.#budget?.reserve(name, declaredPps(runSpec));
    if (reserved && !reserved.ok) {
      for (const target of targets) o.emit({ type: 'error', agent: name, target, code: ErrorCode.RateLimited, message: reserved.reason });
      return;
    }
    try {
      await agent.run(runSpec, { ...o, ...(ranges ? { allowedRanges: ranges } : {}) });
    } finally {
      if (reserved?.ok) reserved.release();
    }
  }
}
