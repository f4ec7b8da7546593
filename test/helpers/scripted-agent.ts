/**
 * An AgentLink that plays a fixed script: for each target a start, `replies` replies `everyMs`
 * apart, then a summary. It stands in for a remote agent in tests of the hub's own behaviour
 * (routing, fan-out, errors, cancellation); real probing is covered with LocalAgent.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { computeStats } from '../../shared/model/stats.ts';

export interface ScriptedAgentOptions {
  name: string;
  replies?: number;
  everyMs?: number;
  /** Throw from run() instead of measuring. */
  throws?: string;
  /** End without any summary (a misbehaving agent). */
  silent?: boolean;
  country?: string;
  /** Announced capabilities. Default ['icmp']: an agent from before capabilities named types. */
  capabilities?: string[];
}

export class ScriptedAgent implements AgentLink {
  readonly info: AgentInfo;
  readonly #o: ScriptedAgentOptions;
  /** Replies emitted so far, across runs: lets a test see that a cancelled agent stopped. */
  emitted = 0;
  constructor(o: ScriptedAgentOptions) {
    this.#o = o;
    this.info = { name: o.name, capabilities: o.capabilities ?? ['icmp'], version: 'test', ...(o.country ? { country: o.country } : {}) };
  }
  async run(spec: MeasurementSpec, { signal, emit }: AgentRunOptions): Promise<void> {
    if (this.#o.throws) throw new Error(this.#o.throws);
    const n = spec.count ?? this.#o.replies ?? 3;
    const every = this.#o.everyMs ?? 1;
    await Promise.all(spec.targets.map(async (target) => {
      const agent = 'spoofed-name';
      emit({ type: 'start', agent, target, measurement: spec.type, address: '127.0.0.1', family: 4, protocol: 'icmp', params: { count: n } });
      const rtts: number[] = [];
      for (let seq = 1; seq <= n; seq++) {
        if (signal.aborted) break;
        await new Promise((r) => setTimeout(r, every));
        if (signal.aborted) break;
        rtts.push(0.05);
        this.emitted++;
        emit({ type: 'reply', agent, target, seq, ttl: 64, rttMs: 0.05, bytes: 64, from: '127.0.0.1' });
      }
      if (this.#o.silent || signal.aborted) return;
      emit({ type: 'summary', agent, target, measurement: spec.type, address: '127.0.0.1', durationMs: n * every, ...computeStats(rtts.length, rtts) });
    }));
  }
}
