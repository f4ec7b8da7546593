/**
 * The agent's runners by measurement type: the agent side of shared/registry.ts. LocalAgent
 * dispatches through it and announces the capabilities it lists; adding a type is its folder
 * agent/probes/<type>/ plus one line here.
 */
import type { MeasurementType } from '../../shared/registry.ts';
import type { ProbeRunner } from './probe-runner.ts';
import { pingRunner } from './ping/ping-runner.ts';
import { runSweep } from './probe/sweep.ts';
import { runTraceroute } from './traceroute/traceroute.ts';

/** Every runner, in registry order (the order capabilities are announced in). */
const RUNNERS: { readonly [T in MeasurementType]?: ProbeRunner } = {
  ping: pingRunner,
  traceroute: { capabilities: ['traceroute'], run: (spec, o) => runTraceroute(spec, o) },
  probe: { capabilities: ['probe'], run: (spec, o) => runSweep(spec, o) },
};

/** The runner of `type`, or undefined when this agent cannot run it. */
export function probeRunner(type: string): ProbeRunner | undefined {
  return Object.hasOwn(RUNNERS, type) ? RUNNERS[type as MeasurementType] : undefined;
}

/** What the agent announces: every runner's capabilities, each once, in registry order. */
export function agentCapabilities(): string[] {
  return [...new Set(Object.values(RUNNERS).flatMap((r) => r?.capabilities ?? []))];
}
