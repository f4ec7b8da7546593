/**
 * The agent that measures from this machine, in this process: the embedded default of
 * `npm start`, the CLI without a hub, and the engine behind remote agents. It dispatches a
 * spec by type through agent/probes/registry.ts.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { PolicyMode } from '../../shared/net/address-policy.ts';
import { MonitorService, type MonitorServiceOptions } from '../monitors/monitor-service.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import { localAgentInfo } from './local-agent-info.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  /**
   * Where monitors keep their assignments and unacknowledged reports (`<dataDir>/monitors/`).
   * With it, monitors assigned before a restart start again at once, without the hub.
   */
  dataDir?: string;
  /** The agent's own policy and ranges, which monitors obey as runs do (a remote agent's `--policy`, `--allow`). */
  policy?: PolicyMode;
  allowedRanges?: readonly string[];
  /** Further monitor settings (clock, report period; tests). */
  monitorOptions?: Partial<MonitorServiceOptions>;
  /** Where monitors log (a dropped report, a refused target). */
  log?: (line: string) => void;
}

export class LocalAgent implements AgentLink {
  readonly info: AgentInfo;
  readonly resolver: Resolver;
  readonly #pool: IcmpSocketPool | undefined;
  readonly #dns: { dnsServers?: readonly string[]; dnsRoots?: readonly string[] };
  readonly #o: LocalAgentOptions;
  #monitors: MonitorService | undefined;

  constructor(o: LocalAgentOptions = {}) {
    this.#o = o;
    this.info = localAgentInfo(o.name ?? 'local');
    this.resolver = new Resolver(o.dnsServers && o.dnsServers.length > 0 ? { servers: o.dnsServers } : {});
    this.#pool = o.pool;
    this.#dns = { ...(o.dnsServers?.length ? { dnsServers: o.dnsServers } : {}), ...(o.dnsRoots?.length ? { dnsRoots: o.dnsRoots } : {}) };
    if (o.icmpMode) IcmpSocketPool.useMode(o.icmpMode);
    // An agent that will measure loads its runners now, not on its first request (first line
    // ≤ RTT + 150 ms); a failure to load shows as that request's error event.
    if (o.loadRunnersNow !== false) loadRunners().catch(() => {});
    // Monitors assigned before a restart resume now, hub or no hub.
    if (o.dataDir && existsSync(join(o.dataDir, 'monitors', 'assignments.json'))) void this.monitors;
  }

  /**
   * This agent's monitors (made on first use). The hub's side assigns them and takes their
   * reports: `onReport` gets each numbered report; it is acknowledged (forgotten here) when the
   * promise resolves.
   */
  get monitors(): MonitorService {
    this.#monitors ??= new MonitorService({
      agent: this.info.name,
      resolver: this.resolver,
      ...(this.#o.dataDir ? { dataDir: this.#o.dataDir } : {}),
      ...(this.#o.policy ? { policy: this.#o.policy } : {}),
      ...(this.#o.allowedRanges ? { allowedRanges: this.#o.allowedRanges } : {}),
      ...(this.#o.icmpMode ? { engine: { mode: this.#o.icmpMode } } : {}),
      ...(this.#o.log ? { log: this.#o.log } : {}),
      ...this.#o.monitorOptions,
    });
    return this.#monitors;
  }

  /** Stops the monitors (their open minutes are spooled first). */
  close(): void {
    this.#monitors?.close();
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
