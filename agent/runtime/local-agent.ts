/**
 * The agent that measures from this machine, in this process: the embedded default of
 * `npm start`, the CLI without a hub, and the engine behind remote agents. It dispatches a
 * spec by type through agent/probes/registry.ts.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import { localAgentInfo } from './local-agent-info.ts';
import { Resolver } from './resolver.ts';
import { IcmpSocketPool } from '../socket/icmp-socket-pool.ts';
import type { RawMode } from '../socket/raw-socket.ts';
import { loadRunners, probeRunner } from '../probes/registry.ts';

export interface LocalAgentOptions {
  /** Name in events and in `list`. Default 'local'. */
  name?: string;
  /** DNS servers ('ip:port') for target names; default: the system resolver. */
  dnsServers?: string[];
  /** Root servers ('ip[:port]') of `dns --trace` (MESHPROBE_DNS_ROOTS); default: the IANA root hints. */
  dnsRoots?: string[];
  /** ICMP socket pool; default: the process-wide one. */
  pool?: IcmpSocketPool;
  /**
   * The process-wide pool's socket mode (MESHPROBE_ICMP_MODE: raw, dgram or auto), set before
   * it is first used; for entry points that read the setting and measure in this process.
   */
  icmpMode?: RawMode | 'auto';
  /**
   * Load every runner now (default), so that the first measurement does not wait for its
   * module. A remote agent passes false: it idles most of its life, and its first measurement
   * loading the one runner it needs (~15 ms, once) keeps ~2.5 MB off every idle agent.
   */
  loadRunnersNow?: boolean;
}

export class LocalAgent implements AgentLink {
  readonly info: AgentInfo;
  readonly resolver: Resolver;
  readonly #pool: IcmpSocketPool | undefined;
  readonly #dns: { dnsServers?: readonly string[]; dnsRoots?: readonly string[] };

  constructor(o: LocalAgentOptions = {}) {
    this.info = localAgentInfo(o.name ?? 'local');
    this.resolver = new Resolver(o.dnsServers && o.dnsServers.length > 0 ? { servers: o.dnsServers } : {});
    this.#pool = o.pool;
    this.#dns = { ...(o.dnsServers?.length ? { dnsServers: o.dnsServers } : {}), ...(o.dnsRoots?.length ? { dnsRoots: o.dnsRoots } : {}) };
    if (o.icmpMode) IcmpSocketPool.useMode(o.icmpMode);
    // An agent that will measure loads its runners now, not on its first request (first line
    // ≤ RTT + 150 ms); a failure to load shows as that request's error event.
    if (o.loadRunnersNow !== false) loadRunners().catch(() => {});
  }

  async run(spec: MeasurementSpec, o: AgentRunOptions): Promise<void> {
    const agent = this.info.name;
    const errorForAll = (code: string, message: string) => {
      for (const target of spec.targets) o.emit({ type: 'error', agent, target, code, message });
    };
    try {
      const runner = probeRunner(spec.type);
      if (!runner) {
        errorForAll(ErrorCode.BadRequest, `unknown measurement type ${String((spec as { type: unknown }).type)}`);
        return;
      }
      await runner.run(spec, {
        agent, resolver: this.resolver, signal: o.signal, emit: o.emit, ...this.#dns,
        ...(this.#pool ? { pool: this.#pool } : {}),
        ...(o.connectPolicy ? { connectPolicy: o.connectPolicy } : {}),
      });
    } catch (err) {
      // run() never rejects: a bug becomes an error event for every target.
      const d = describeError(err);
      errorForAll(d.code, d.message);
    }
  }
}
