/**
 * A packets-per-second budget per agent (design §8). Each running measurement declares the rate
 * it will send at (from its spec); a measurement that would push an agent past its budget is
 * refused up front, before the agent sends anything, rather than throttled halfway.
 */
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { measurementType } from '../../shared/registry.ts';

/** Packets per second a spec will make one agent send, at most: its type's estimate per target (shared/measurements/<type>/). */
export function declaredPps(spec: MeasurementSpec): number {
  const perTarget = measurementType(spec.type)?.packetsPerSecond(spec) ?? 0;
  return spec.targets.length * perTarget;
}

export class PacketBudget {
  readonly ppsPerAgent: number;
  readonly #used = new Map<string, number>();

  /** `ppsPerAgent` ≤ 0 or Infinity disables the budget. */
  constructor(ppsPerAgent: number) {
    this.ppsPerAgent = ppsPerAgent > 0 ? ppsPerAgent : Number.POSITIVE_INFINITY;
  }

  /** Reserves `pps` on `agent`; returns the release function, or a refusal reason. */
  reserve(agent: string, pps: number): { ok: true; release: () => void } | { ok: false; reason: string } {
    if (!Number.isFinite(this.ppsPerAgent)) return { ok: true, release: () => {} };
    const used = this.#used.get(agent) ?? 0;
    if (used + pps > this.ppsPerAgent) {
      const free = Math.max(0, Math.floor(this.ppsPerAgent - used));
      const want = Number.isFinite(pps) ? `${Math.ceil(pps)} packets/s` : 'an unlimited rate';
      return { ok: false, reason: `agent ${agent} is at its packet budget of ${this.ppsPerAgent} packets/s (${free} free, this needs ${want}); lower the rate or try later` };
    }
    this.#used.set(agent, used + pps);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#used.get(agent) ?? 0) - pps;
        if (left <= 1e-9) this.#used.delete(agent);
        else this.#used.set(agent, left);
      },
    };
  }

  used(agent: string): number {
    return this.#used.get(agent) ?? 0;
  }

  /** Packets per second `agent` may still be given (Infinity when the budget is off). */
  free(agent: string): number {
    return Math.max(0, this.ppsPerAgent - this.used(agent));
  }
}
