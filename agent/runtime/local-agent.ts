/**
 * The agent that measures from this machine, in this process: the embedded default of
 * `npm start`, the CLI without a hub, and the engine behind remote agents. It dispatches a
 * spec by type to agent/probes/*.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { describeError, ErrorCode } from '../../shared/model/errors.ts';
import { localAgentInfo } from './local-agent-info.ts';
import { Resolver } from './resolver.ts';
import { runPing } from '../probes/ping/ping.ts';
import { IcmpSocketPool } from '../socket/icmp-socket-pool.ts';
import { runTraceroute } from '../probes/traceroute/traceroute.ts';
import { runTransportPing } from '../probes/ping/transport-ping.ts';
import { runSweep } from '../probes/probe/sweep.ts';

export interface LocalAgentOptions {
  /** Name in events and in `list`. Default 'local'. */
  name?: string;
  /** DNS servers ('ip:port') for target names; default: the system resolver. */
  dnsServers?: string[];
  /** ICMP socket pool; default: the process-wide one. */
  pool?: IcmpSocketPool;
}

export class LocalAgent implements AgentLink {
  readonly info: AgentInfo;
  readonly resolver: Resolver;
  readonly #pool: IcmpSocketPool | undefined;

  constructor(o: LocalAgentOptions = {}) {
    this.info = localAgentInfo(o.name ?? 'local');
    this.resolver = new Resolver(o.dnsServers && o.dnsServers.length > 0 ? { servers: o.dnsServers } : {});
    this.#pool = o.pool;
  }

  async run(spec: MeasurementSpec, o: AgentRunOptions): Promise<void> {
    const agent = this.info.name;
    const errorForAll = (code: string, message: string) => {
      for (const target of spec.targets) o.emit({ type: 'error', agent, target, code, message });
    };
    try {
      switch (spec.type) {
        case 'ping':
          if ((spec.protocol ?? 'icmp') !== 'icmp') {
            await runTransportPing(spec, { agent, resolver: this.resolver, signal: o.signal, emit: o.emit });
            return;
          }
          await runPing(spec, { agent, resolver: this.resolver, signal: o.signal, emit: o.emit, ...(this.#pool ? { pool: this.#pool } : {}) });
          return;
        case 'traceroute':
          await runTraceroute(spec, { agent, resolver: this.resolver, signal: o.signal, emit: o.emit });
          return;
        case 'probe':
          await runSweep(spec, { agent, signal: o.signal, emit: o.emit });
          return;
        default:
          errorForAll(ErrorCode.BadRequest, `unknown measurement type ${String((spec as { type: unknown }).type)}`);
      }
    } catch (err) {
      // run() never rejects: a bug becomes an error event for every target.
      const d = describeError(err);
      errorForAll(d.code, d.message);
    }
  }
}
