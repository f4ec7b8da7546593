/**
 * The per-target skeleton every probe shares: resolve the target (honouring ipVersion), then run
 * the probe; a failure of one target becomes its `error` event and never stops the others.
 */
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import type { ConnectPolicy } from '../../shared/wire/agent-link.ts';

/** What a probe runner needs to know about the target and where its events go. */
export interface ProbeContext {
  /** Agent name for the events. */
  agent: string;
  /** The target as the user wrote it. */
  target: string;
  /** The resolved address. */
  address: string;
  family: 4 | 6;
  signal: AbortSignal;
  emit: (e: MeasurementEvent) => void;
  /** Reverse DNS (agent/runtime/resolver.ts reverse()); hops get no names without it. */
  reverse?: (address: string) => Promise<string | undefined>;
}

/** What LocalAgent hands a probe runner. */
export interface ProbeRunOptions {
  agent: string;
  resolver: {
    resolve(host: string, family?: 4 | 6): Promise<{ address: string; family: 4 | 6 }>;
    reverse?(address: string): Promise<string | undefined>;
  };
  signal: AbortSignal;
  emit: (e: MeasurementEvent) => void;
  /** dns, http: what every connection must pass (agent/runtime/connect-check.ts); undefined = anything. */
  connectPolicy?: ConnectPolicy;
  /** dns: the agent's DNS servers (`--dns-servers`), the default server asked; empty = the system's. */
  dnsServers?: readonly string[];
  /** dns: the root servers of a trace (MESHPROBE_DNS_ROOTS); empty = the IANA root hints. */
  dnsRoots?: readonly string[];
}

/**
 * Runs `probe` for every target of `spec` concurrently, for types that resolve on their own (a DNS
 * name is asked, a URL's host is connected to through the connect check); a failure of one target
 * is its error event, none after a cancel.
 */
export async function eachTarget(spec: MeasurementSpec, o: ProbeRunOptions, probe: (target: string) => Promise<void>): Promise<void> {
  await Promise.all(
    spec.targets.map(async (target) => {
      if (o.signal.aborted) return;
      try {
        await probe(target);
      } catch (err) {
        if (o.signal.aborted) return;
        const d = describeError(err);
        o.emit({ type: 'error', agent: o.agent, target, code: d.code, message: d.message });
      }
    }),
  );
}

/** Runs `probe` for every target of `spec` concurrently; resolves when all are done. */
export async function perTarget(
  spec: MeasurementSpec,
  o: ProbeRunOptions,
  probe: (ctx: ProbeContext) => Promise<void>,
  host: (target: string) => string = (t) => t,
): Promise<void> {
  await Promise.all(
    spec.targets.map(async (target) => {
      const fail = (err: unknown, code?: string) => {
        const d = describeError(err);
        o.emit({ type: 'error', agent: o.agent, target, code: code ?? d.code, message: d.message });
      };
      if (o.signal.aborted) return;
      let r: { address: string; family: 4 | 6 };
      try {
        r = await o.resolver.resolve(host(target), spec.ipVersion);
      } catch (err) {
        fail(err, ErrorCode.ResolveFailed);
        return;
      }
      if (o.signal.aborted) return;
      // `-n` (spec.numeric): addresses only, no reverse lookups, as in the classic tools.
      const reverse = spec.numeric ? undefined : o.resolver.reverse?.bind(o.resolver);
      try {
        await probe({ agent: o.agent, target, address: r.address, family: r.family, signal: o.signal, emit: o.emit, ...(reverse ? { reverse } : {}) });
      } catch (err) {
        fail(err);
      }
    }),
  );
}
