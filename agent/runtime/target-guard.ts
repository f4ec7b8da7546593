/**
 * The agent's own target check (design §8), applied after DNS resolution and before any packet:
 * a name that resolves to a refused address (DNS rebinding, a name pointing at 127.0.0.1) is
 * refused here even when the hub let the name through. The guard resolves each name once and
 * hands the inner agent the checked address literal, so the inner agent cannot resolve again
 * to something else. Events are relayed with the target as the user wrote it.
 */
import type { AgentInfo, AgentLink, AgentMonitors, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import { describeAddressClass, isAllowed, isPrefixAllowed } from '../../shared/net/address-policy.ts';
import { isIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { splitHostPort } from '../../shared/net/host-port.ts';
import { runnerChecksConnections, runnerTargets } from '../probes/registry.ts';
import { DEFAULT_PUBLIC_PORTS } from './connect-check.ts';

/** What the guard needs of a resolver (agent/runtime/resolver.ts's Resolver fits). */
export interface GuardResolver {
  resolve(host: string, family?: 4 | 6): Promise<{ address: string; family: 4 | 6 }>;
}

export interface TargetGuardOptions {
  /** The agent that measures the checked addresses. */
  inner: AgentLink;
  resolver: GuardResolver;
  /** `public` refuses every non-public address. Default 'lan'. */
  mode?: PolicyMode;
  /** CIDR prefixes this agent may measure; empty = no restriction. */
  allowedRanges?: readonly string[];
  /** Called once per refused target (metrics, tests). */
  onRefused?: (target: string, reason: string) => void;
  /** Ports dns and http may connect to under the `public` policy. Default {@link DEFAULT_PUBLIC_PORTS}. */
  publicPorts?: readonly number[];
}

/**
 * Why the agent `agent` may not probe `address` (what `host` resolved to), or undefined when it
 * may: the policy `mode` with the agent's own ranges, then the ranges the hub set for it. One
 * line, naming whose ranges refused it. Runs (TargetGuard) and monitors (MonitorService) ask it.
 */
export function addressRefusal(agent: string, host: string, address: string, scope: { mode: PolicyMode; allowedRanges: readonly string[]; hubRanges: readonly string[] }): string | undefined {
  const d = isAllowed(address, scope.mode, { allowedRanges: scope.allowedRanges });
  if (!d.ok) {
    const reason =
      address === host || !d.class || d.reason.includes('allowed ranges')
        ? address === host ? d.reason : `${host} resolves to ${d.reason}`
        : `${host} resolves to ${address}, ${describeAddressClass(d.class)}; refused by the ${scope.mode} policy`;
    // The agent's own ranges are checked here only (the hub leaves them to the agent); the
    // refusal names the agent, as the hub-set one does: a run has several agents' lines.
    return reason.replace("this agent's", `agent ${agent}'s`);
  }
  if (scope.hubRanges.length > 0 && !isAllowed(address, 'lan', { allowedRanges: scope.hubRanges }).ok) {
    const hubSet = `agent ${agent}'s allowed ranges (${scope.hubRanges.join(', ')}), set at the hub`;
    return address === host ? `${address} is outside ${hubSet}` : `${host} resolves to ${address}, outside ${hubSet}`;
  }
  return undefined;
}

export class TargetGuard implements AgentLink {
  readonly #inner: AgentLink;
  readonly #resolver: GuardResolver;
  readonly mode: PolicyMode;
  readonly allowedRanges: readonly string[];
  readonly #onRefused: ((target: string, reason: string) => void) | undefined;
  readonly publicPorts: readonly number[];

  constructor(o: TargetGuardOptions) {
    this.publicPorts = o.publicPorts ?? DEFAULT_PUBLIC_PORTS;
    this.#inner = o.inner;
    this.#resolver = o.resolver;
    this.mode = o.mode ?? 'lan';
    this.allowedRanges = o.allowedRanges ?? [];
    this.#onRefused = o.onRefused;
  }

  get info(): AgentInfo {
    return this.#inner.info;
  }

  /**
   * The inner agent's monitors: they check every address themselves (addressRefusal, with the
   * hub's mode and ranges from each assignment), so the guard passes them through. Without this
   * the embedded agent of `npm start` was assigned monitors it never received.
   */
  get monitors(): AgentMonitors | undefined {
    return this.#inner.monitors;
  }

  /** A guard over the same agent with a stricter-or-equal mode (the hub's mode for one run). */
  withMode(mode: PolicyMode): TargetGuard {
    const strict: PolicyMode = this.mode === 'public' || mode === 'public' ? 'public' : 'lan';
    if (strict === this.mode) return this;
    return new TargetGuard({ inner: this.#inner, resolver: this.#resolver, mode: strict, allowedRanges: this.allowedRanges, publicPorts: this.publicPorts, ...(this.#onRefused ? { onRefused: this.#onRefused } : {}) });
  }

  /**
   * Runs `spec` on the checked addresses. `allowedRanges` in the options (the hub's ranges for
   * this agent) restrict it further: an address must lie in the agent's own ranges and in those.
   */
  async run(spec: MeasurementSpec, { signal, emit, allowedRanges: hubRanges = [] }: AgentRunOptions): Promise<void> {
    // Nothing to enforce: let the inner agent do everything, one run, as it would alone.
    if (this.mode === 'lan' && this.allowedRanges.length === 0 && hubRanges.length === 0) return this.#inner.run(spec, { signal, emit });
    const name = this.info.name;
    // dns, http: the runner checks each address right before it connects to it.
    if (runnerChecksConnections(spec.type)) {
      const connectPolicy = { mode: this.mode, allowedRanges: this.allowedRanges, hubRanges, publicPorts: this.publicPorts };
      const relay = (e: MeasurementEvent): void => {
        if (e.type === 'error' && e.code === ErrorCode.PolicyRefused && e.target !== undefined) this.#onRefused?.(e.target, e.message);
        emit(e);
      };
      return this.#inner.run(spec, { signal, emit: relay, connectPolicy });
    }
    const hubSet = `agent ${name}'s allowed ranges (${hubRanges.join(', ')}), set at the hub`;
    // The agent's own ranges are checked here only (the hub leaves them to the agent); the
    // refusal names the agent, as the hub-set one does: a run has several agents' lines.
    const own = (reason: string): string => reason.replace("this agent's", `agent ${name}'s`);
    const refuse = (target: string, code: string, message: string): void => {
      if (code === ErrorCode.PolicyRefused) this.#onRefused?.(target, message);
      emit({ type: 'error', agent: name, target, code, message });
    };
    const prefixes = runnerTargets(spec.type) === 'prefix';
    await Promise.all(
      spec.targets.map(async (target) => {
        let checked: string;
        if (prefixes) {
          const d = isPrefixAllowed(target, this.mode, { allowedRanges: this.allowedRanges });
          if (!d.ok) return refuse(target, d.class ? ErrorCode.PolicyRefused : ErrorCode.BadRequest, own(d.reason));
          if (hubRanges.length > 0 && !isPrefixAllowed(target, 'lan', { allowedRanges: hubRanges }).ok) {
            return refuse(target, ErrorCode.PolicyRefused, `${target} is not inside ${hubSet}`);
          }
          checked = target;
        } else {
          const { host, port } = splitHostPort(target);
          let address: string;
          try {
            address = isIp(host, TARGET_ADDRESS) ? host : (await this.#resolver.resolve(host, spec.ipVersion)).address;
          } catch (err) {
            const { code, message } = describeError(err);
            return refuse(target, code, message);
          }
          if (signal.aborted) return;
          const refusal = addressRefusal(name, host, address, { mode: this.mode, allowedRanges: this.allowedRanges, hubRanges });
          if (refusal) return refuse(target, ErrorCode.PolicyRefused, refusal);
          const literal = address.includes(':') && port !== undefined ? `[${address}]` : address;
          checked = port !== undefined ? `${literal}:${port}` : literal;
        }
        const relay = (e: MeasurementEvent): void => {
          emit('target' in e && e.target === checked ? ({ ...e, target } as MeasurementEvent) : e);
        };
        await this.#inner.run({ ...spec, targets: [checked] }, { signal, emit: relay });
      }),
    );
  }
}
