/**
 * What the agent keeps per measurement type (agent/probes/registry.ts): the capabilities the
 * runner brings and the function that measures every target of a spec.
 */
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import type { IcmpSocketPool } from '../socket/icmp-socket-pool.ts';
import type { ProbeRunOptions } from './per-target.ts';

/** What LocalAgent hands every runner. */
export interface RunnerOptions extends ProbeRunOptions {
  /** ICMP socket pool; default: the process-wide one. */
  pool?: IcmpSocketPool;
}

/** The agent side of one measurement type. */
export interface ProbeRunner {
  /**
   * What this runner adds to the agent's announced capabilities: its type's name, and the
   * transports it speaks (the hub selects agents by the type's name: shared/registry.ts).
   */
  readonly capabilities: readonly string[];
  /** Measures every target of `spec`; a failure of one target is its `error` event. */
  run(spec: MeasurementSpec, o: RunnerOptions): Promise<void>;
}
