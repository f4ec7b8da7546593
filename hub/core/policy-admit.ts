/**
 * The hub's `admit` seam (design §8): refuses targets the deployment's policy forbids before
 * anything is dispatched, and clamps a spec to the hub's limits. Names cannot be judged here
 * (the hub does not resolve them); the agent checks their addresses after resolution.
 */
import { isAllowed, isPrefixAllowed } from '../../shared/net/address-policy.ts';
import { parseCidr } from '../../shared/net/cidr.ts';
import { addressBits } from '../../shared/net/ip-address.ts';
import { isIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import { ErrorCode } from '../../shared/model/errors.ts';
import { Defaults } from '../../shared/registry.ts';
import { Limits } from '../../shared/model/limits.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { measurementType } from '../../shared/registry.ts';
import type { Admit } from './admit.ts';
import type { Refusal } from './principal.ts';
import { splitHostPort } from '../../shared/net/host-port.ts';

/** The hub's limits. Each clamp never loosens the schema's Limits. */
export interface HubLimits {
  /** Most probes per target; a larger count is lowered to this. */
  maxCount: number;
  /** Shortest interval between probes to one target, ms; a shorter one is raised to this. */
  minIntervalMs: number;
  /** Most addresses one sweep may cover; a larger prefix is refused. */
  maxSweepHosts: number;
  /**
   * Fastest sweep, packets/s; a faster rate is lowered to this. Rate 0 ("as fast as allowed")
   * is left for the AgentGate, which turns it into this or the agent's free packet budget,
   * whichever is lower, and says so in the start event.
   */
  maxRate: number;
}

/** Limits of a `lan` hub: what the schema allows, sweeps capped at a /16. */
export const LAN_LIMITS: HubLimits = { maxCount: Limits.maxCount, minIntervalMs: Limits.minIntervalMs, maxSweepHosts: 65_536, maxRate: 100_000 };
/** Limits of a `public` hub: iputils' unprivileged floor (200 ms), short runs, small sweeps. */
export const PUBLIC_LIMITS: HubLimits = { maxCount: 100, minIntervalMs: 200, maxSweepHosts: 256, maxRate: 1000 };

export interface PolicyAdmitOptions {
  mode: PolicyMode;
  /** Overrides of the mode's default limits. */
  limits?: Partial<HubLimits>;
}

/** Checks a spec's literal targets against `mode`; the first refusal as a Refusal, else undefined. */
export function refuseTargets(spec: MeasurementSpec, mode: PolicyMode, limits: HubLimits): Refusal | undefined {
  const def = measurementType(spec.type);
  for (const target of spec.targets) {
    if (def?.targets === 'prefix') {
      const parsed = parseCidr(target, { bareAddress: true });
      if (!parsed.ok) continue; // the agent reports a malformed prefix in the stream
      const hosts = 2 ** (addressBits(parsed.prefix.family) - parsed.prefix.bits);
      if (hosts > limits.maxSweepHosts) {
        return { status: 400, code: ErrorCode.BadRequest, message: `${spec.type}: ${target} covers ${hosts.toLocaleString('en-US')} addresses; this hub sweeps at most ${limits.maxSweepHosts.toLocaleString('en-US')}` };
      }
      const d = isPrefixAllowed(target, mode);
      if (!d.ok) return { status: 403, code: ErrorCode.PolicyRefused, message: d.reason };
      continue;
    }
    // A type that connects elsewhere than its target (a DNS server, a URL's host) names those hosts.
    for (const host of def?.connectsTo ? def.connectsTo(target, spec) : [splitHostPort(target).host]) {
      if (!isIp(host, TARGET_ADDRESS)) continue;
      const d = isAllowed(host, mode);
      if (!d.ok) return { status: 403, code: ErrorCode.PolicyRefused, message: d.reason };
    }
  }
  return undefined;
}

/** Lowers count and rate and raises the interval to the hub's limits. */
export function clampSpec(spec: MeasurementSpec, limits: HubLimits): MeasurementSpec {
  const out: MeasurementSpec = { ...spec };
  const def = measurementType(spec.type);
  if (out.count !== undefined && out.count > limits.maxCount) out.count = limits.maxCount;
  // ping -w without -c sends until the deadline: bounded by the count limit like any other run.
  if (def?.deadlineWithoutCount && out.count === undefined && out.deadlineMs !== undefined && limits.maxCount < Limits.maxCount) out.count = limits.maxCount;
  if (out.intervalMs !== undefined && out.intervalMs < limits.minIntervalMs) out.intervalMs = limits.minIntervalMs;
  if (out.intervalMs === undefined && limits.minIntervalMs > 1000) out.intervalMs = limits.minIntervalMs;
  if (def?.pacedByRate && out.rate !== 0 && (out.rate ?? Defaults.rate) > limits.maxRate) out.rate = limits.maxRate;
  return out;
}

/** The limits of a hub in `mode`, with the operator's overrides. */
export function hubLimits(mode: PolicyMode, overrides: Partial<HubLimits> = {}): HubLimits {
  return { ...(mode === 'public' ? PUBLIC_LIMITS : LAN_LIMITS), ...overrides };
}

/** The admit seam for a hub in `mode`. */
export function createPolicyAdmit(o: PolicyAdmitOptions): Admit {
  const limits = hubLimits(o.mode, o.limits);
  return async (spec) => refuseTargets(spec, o.mode, limits) ?? clampSpec(spec, limits);
}
