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
import type { MonitorEngineFactory, RouteTracer } from '../monitors/monitor-engine.ts';
import type { ServedProtocol } from '../servers/served-protocol.ts';
import { MONITOR_CAPABILITY, MONITOR_CHANGES_CAPABILITY } from '../../shared/wire/agent-protocol-constants.ts';

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
  /**
   * The runner checks every address it connects to itself (agent/runtime/connect-check.ts), so
   * the target guard hands it the policy instead of resolving the target: a DNS name asked is
   * not contacted, a URL's redirects lead to other hosts.
   */
  readonly checksConnections?: boolean;
  readonly load: () => Promise<ProbeRunner['run']>;
  /**
   * Its monitor engine, for types that run as monitors (agent/monitors/monitor-engine.ts),
   * loaded on first use. An agent with any announces the `monitor` capability.
   */
  readonly monitor?: () => Promise<MonitorEngineFactory>;
  /** The route watch of monitors (`--trace`): one type provides it. */
  readonly route?: () => Promise<RouteTracer>;
  /**
   * The echo responder of its protocol, when other tools' probers can measure this host with it
   * (`meshprobe agent --serve`, `meshprobe echo-server`: agent/servers/serve-command.ts).
   */
  readonly serve?: () => Promise<ServedProtocol>;
}

/** Every runner, in registry order (the order capabilities are announced in). */
const RUNNERS: { readonly [T in MeasurementType]?: RunnerEntry } = {
  ping: {
    capabilities: ['icmp', 'icmp6', 'ping', 'tcp', 'udp'],
    load: async () => (await import('./ping/ping-runner.ts')).runPingType,
    monitor: async () => (await import('./ping/ping-monitor.ts')).pingMonitorEngine,
  },
  traceroute: {
    capabilities: ['traceroute'],
    load: async () => (await import('./traceroute/traceroute.ts')).runTraceroute,
    route: async () => (await import('./traceroute/route-watch.ts')).traceRoute,
  },
  probe: { capabilities: ['probe'], targets: 'prefix', load: async () => (await import('./probe/sweep.ts')).runSweep },
  mtr: { capabilities: ['mtr'], load: async () => (await import('./mtr/mtr.ts')).runMtr },
  dns: { capabilities: ['dns'], checksConnections: true, load: async () => (await import('./dns/dns.ts')).runDns },
  http: { capabilities: ['http'], checksConnections: true, load: async () => (await import('./http/http.ts')).runHttp },
  tcpping: { capabilities: ['tcpping'], load: async () => (await import('./tcpping/tcpping.ts')).runTcpping, monitor: async () => (await import('./tcpping/tcpping-monitor.ts')).tcppingMonitorEngine, serve: async () => (await import('./tcpping/tcpping-served.ts')).tcppingServed },
  owd: { capabilities: ['owd'], load: async () => (await import('./owd/owd.ts')).runOwd, monitor: async () => (await import('./owd/owd-monitor.ts')).owdMonitorEngine, serve: async () => (await import('./owd/owd-served.ts')).owdServed },
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

/**
 * What the agent announces: every runner's capabilities, each once, in registry order, and
 * `monitor` and `monitor-changes` (it takes changes to its set as such) when a type has a monitor engine. It is announced whether or not the engine can open
 * its socket here: a monitor that cannot probe says why in its rows (`err`), which the hub shows
 * per agent, rather than the agent silently never being assigned one.
 */
export function agentCapabilities(): string[] {
  const entries = Object.values(RUNNERS);
  const monitors = entries.some((r) => r?.monitor) ? [MONITOR_CAPABILITY, MONITOR_CHANGES_CAPABILITY] : [];
  return [...new Set([...entries.flatMap((r) => r?.capabilities ?? []), ...monitors])];
}

/** Route watch's tracer (from the type that provides it), loaded on first use. */
export function routeTracer(): Promise<RouteTracer> {
  const entry = Object.values(RUNNERS).find((r) => r?.route);
  return entry?.route ? entry.route() : Promise.reject(new Error('this agent has no route tracer'));
}

/** The types this agent runs as monitors (those with a monitor engine), in registry order. */
export function monitorTypes(): string[] {
  return Object.entries(RUNNERS).flatMap(([name, r]) => (r?.monitor ? [name] : []));
}

/** The monitor engine factory of `type`, or undefined when it does not run as a monitor. */
export function monitorEngine(type: string): Promise<MonitorEngineFactory> | undefined {
  if (!Object.hasOwn(RUNNERS, type)) return undefined;
  return RUNNERS[type as MeasurementType]?.monitor?.();
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

/** Whether the runner of `type` checks its own connections (the guard then passes it the policy). */
export function runnerChecksConnections(type: string): boolean {
  return Object.hasOwn(RUNNERS, type) && RUNNERS[type as MeasurementType]?.checksConnections === true;
}
