/**
 * The agent's runners by measurement type: the agent side of shared/registry.ts. LocalAgent
 * dispatches through it and announces the capabilities it lists; adding a type is its folder
 * agent/probes/<type>/ plus one line here.
 *
 * A runner's code is loaded on first use (or by {@link loadRunners}): what an agent announces
 * is known without loading the probes and the native addon, so `meshprobe version` and `list`
 * stay lean.
 */
import type { MeasurementType } from '../../shared/registry.ts';
import type { ProbeRunner } from './probe-runner.ts';
import type { ServedProtocol } from '../servers/served-protocol.ts';

/** One type's entry: what it announces, and how to load its runner. */
interface RunnerEntry {
  /** Its type's name and the transports it speaks (the hub selects agents by the type's name). */
  readonly capabilities: readonly string[];
  /**
   * What its targets are, as its type in shared/registry.ts declares (`targets`; default
   * `hosts`): repeated here so that the target guard knows it without loading the shared
   * registry and zod into an idle agent (a test holds the two equal).
   */
  readonly targets?: 'hosts' | 'prefix';
  readonly load: () => Promise<ProbeRunner['run']>;
  /**
   * The echo responder of its protocol, when other tools' probers can measure this host with it
   * (`meshprobe agent --serve`, `meshprobe echo-server`: agent/servers/serve-command.ts).
   */
  readonly serve?: () => Promise<ServedProtocol>;
}

/** Every runner, in registry order (the order capabilities are announced in). */
const RUNNERS: { readonly [T in MeasurementType]?: RunnerEntry } = {
  ping: { capabilities: ['icmp', 'icmp6', 'ping', 'tcp', 'udp'], load: async () => (await import('./ping/ping-runner.ts')).runPingType },
  traceroute: { capabilities: ['traceroute'], load: async () => (await import('./traceroute/traceroute.ts')).runTraceroute },
  probe: { capabilities: ['probe'], targets: 'prefix', load: async () => (await import('./probe/sweep.ts')).runSweep },
  mtr: { capabilities: ['mtr'], load: async () => (await import('./mtr/mtr.ts')).runMtr },
  tcpping: { capabilities: ['tcpping'], load: async () => (await import('./tcpping/tcpping.ts')).runTcpping, serve: async () => (await import('./tcpping/tcpping-served.ts')).tcppingServed },
  owd: { capabilities: ['owd'], load: async () => (await import('./owd/owd.ts')).runOwd, serve: async () => (await import('./owd/owd-served.ts')).owdServed },
  tcpconnect: { capabilities: ['tcpconnect'], load: async () => (await import('./tcpconnect/tcpconnect.ts')).runTcpconnect },
};

const loaded = new Map<string, Promise<ProbeRunner['run']>>();

function load(type: string, entry: RunnerEntry): Promise<ProbeRunner['run']> {
  let run = loaded.get(type);
  if (!run) loaded.set(type, (run = entry.load()));
  return run;
}

/** The runner of `type`, or undefined when this agent cannot run it. */
export function probeRunner(type: string): ProbeRunner | undefined {
  if (!Object.hasOwn(RUNNERS, type)) return undefined;
  const entry = RUNNERS[type as MeasurementType]!;
  return { capabilities: entry.capabilities, run: async (spec, o) => (await load(type, entry))(spec, o) };
}

/** Loads every runner now, so that the first measurement does not wait for its module. */
export function loadRunners(): Promise<void> {
  return Promise.all(Object.entries(RUNNERS).map(([type, entry]) => load(type, entry!))).then(() => undefined);
}

/** What the agent announces: every runner's capabilities, each once, in registry order. */
export function agentCapabilities(): string[] {
  return [...new Set(Object.values(RUNNERS).flatMap((r) => r?.capabilities ?? []))];
}

/** The protocols this agent can answer for other tools' probers, in registry order. */
export function servedProtocols(): Promise<ServedProtocol[]> {
  return Promise.all(Object.values(RUNNERS).flatMap((r) => (r?.serve ? [r.serve()] : [])));
}

/**
 * What the targets of `type` are: `prefix` (CIDR prefixes, every address measured) or `hosts`
 * (names or addresses). The agent's target guard checks each kind its own way.
 */
export function runnerTargets(type: string): 'hosts' | 'prefix' {
  return (Object.hasOwn(RUNNERS, type) && RUNNERS[type as MeasurementType]?.targets) || 'hosts';
}
