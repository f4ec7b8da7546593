/**
 * `meshprobe agent`: runs this machine as a remote agent of a hub. Settings come from flags or
 * MESHPROBE_* variables (flags win):
 *
 *   --hub URL            MESHPROBE_HUB            hub base URL (http(s):// or ws(s)://)
 *   --name NAME          MESHPROBE_AGENT_NAME     agent name (must match the token's agent:<name>)
 *   --token-file PATH    MESHPROBE_AGENT_TOKEN_FILE  file holding the agent token; each token the
 *                        hub renews is written back there (atomically), so a restart uses it
 *   --token JWT          MESHPROBE_AGENT_TOKEN    agent token (scope agent) given inline: renewed
 *                        in memory only, so a restart needs a token that has not expired
 *   --country --city --asn --isp --lat --lon      MESHPROBE_AGENT_COUNTRY … _LAT, _LON
 *   --policy public|lan  MESHPROBE_POLICY         this agent's own policy (default lan)
 *   --allow CIDR,…       MESHPROBE_AGENT_ALLOW    ranges this agent may measure
 *   --dns-servers IP:P,… MESHPROBE_DNS_SERVERS    resolvers for target names
 *   --dns-roots IP:P,…   MESHPROBE_DNS_ROOTS      root servers of dns --trace
 *   --public-ports P,…   MESHPROBE_PUBLIC_PORTS   ports dns/http may reach under the public policy
 *   --metrics-listen H:P MESHPROBE_AGENT_METRICS  serve this agent's /metrics there
 *   --data-dir PATH      MESHPROBE_AGENT_DATA_DIR monitor assignments and unacknowledged reports
 *   --serve NAME[:PORT[/PORT]],…   answer other tools' probers too (echo responders listed by
 *                        agent/probes/registry.ts; agent/servers/serve-command.ts)
 */
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { parsePolicyMode } from '../../shared/net/address-policy.ts';
import { parseCidr } from '../../shared/net/cidr.ts';
import { checkListen } from '../../shared/net/listen-address.ts';
import { describeError } from '../../shared/model/errors.ts';
import { parsePorts, readRemoteAgentSettings } from '../../shared/config/remote-agent-settings.ts';
import { IcmpSocketPool } from '../socket/icmp-socket-pool.ts';
import type { AgentMetrics } from './agent-metrics.ts';
import type { MeasurementEvent } from '../../shared/model/events.ts';
import { LocalAgent } from './local-agent.ts';
import { holdYoungGeneration } from './young-generation.ts';
import type { AgentRuntime } from './agent-runtime.ts';
import { deferWsTls } from './defer-ws-tls.ts';
import { readTokenFile, writeTokenFile } from './token-file.ts';

export const AGENT_USAGE =
  'usage: meshprobe agent --hub URL --name NAME (--token-file PATH | --token JWT) [--country CC] [--city CITY] [--asn N] [--isp ISP] [--lat N --lon N] [--policy public|lan] [--allow CIDR,…] [--dns-servers IP:PORT,…] [--dns-roots IP:PORT,…] [--public-ports P,…] [--metrics-listen HOST:PORT] [--data-dir PATH] [--serve NAME[:PORT[/PORT]],…]';

export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the agent until SIGINT/SIGTERM (or a fatal refusal). Resolves with the exit code. */
export async function runAgentCommand(argv: string[], processEnv: Readonly<Record<string, string | undefined>>, io: CommandIo): Promise<number> {
  // The environment is read here, once (shared/config/remote-agent-settings.ts: the names and
  // rules of shared/config/settings.ts, without zod).
  const settings = readRemoteAgentSettings(processEnv);
  const values = parseAgentFlags(argv, io);
  if (typeof values === 'number') return values;
  const fail = (message: string): number => {
    io.stderr(`meshprobe agent: ${message}\n${AGENT_USAGE}\n`);
    return 2;
  };
  const config = await readAgentConfig(values, settings);
  if (typeof config === 'string') return fail(config);
  const { name, policy, allow } = config;
  // A process that runs for weeks with monitors: see young-generation.ts.
  holdYoungGeneration();

  IcmpSocketPool.useMode(settings.MESHPROBE_ICMP_MODE);

  const metricsListen = values['metrics-listen'] ?? settings.MESHPROBE_AGENT_METRICS;
  // Metrics (prom-client) are loaded only when served: nothing else reads them, and an idle
  // agent without them stays lean.
  let metrics: AgentMetrics | undefined;
  if (metricsListen) metrics = new (await import('./agent-metrics.ts')).AgentMetrics(name);
  // A fatal refusal from the hub ends the run; `finish` exists only once waitForExit has begun.
  let finish: (code: number) => void = () => {};
  const built = await buildRuntime(config, metrics, io, (code) => finish(code));
  if (typeof built === 'string') return fail(built);
  let metricsServer: Server | undefined;
  if (metricsListen && metrics) {
    const served = await serveMetrics(metricsListen, metrics, name, io);
    if (typeof served === 'string') return fail(served);
    metricsServer = served;
  }
  const served = values.serve !== undefined ? await startServed(values.serve, name, metrics, io) : [];
  if (typeof served === 'string') {
    metricsServer?.close();
    return fail(served);
  }
  io.stdout(`meshprobe agent ${name}: dialling ${built.runtime.url} (policy ${policy}${allow.length ? `, allowed ${allow.join(', ')}` : ''})\n`);
  try {
    return await waitForExit(built, metricsServer, (f) => (finish = f));
  } finally {
    await Promise.all(served.map((r) => r.close()));
  }
}

/** `--serve`: starts the echo responders (their counters join the agent's metrics); a string is the refusal. */
async function startServed(text: string, name: string, metrics: AgentMetrics | undefined, io: CommandIo): Promise<{ close(): Promise<void> }[] | string> {
  const { parseServeOption, servingLines, startServers } = await import('../servers/serve-command.ts');
  const { servedProtocols } = await import('../probes/registry.ts');
  const plans = parseServeOption(text, await servedProtocols());
  if (typeof plans === 'string') return plans;
  const running = await startServers(plans, name, metrics?.registry);
  if (typeof running === 'string') return running;
  io.stdout(servingLines(plans, running).replace(/^/gm, `meshprobe agent ${name}: `).replace(/meshprobe agent [^:]*: $/, ''));
  return running;
}

type AgentFlags = ReturnType<typeof parseAgentFlagsStrict>;

function parseAgentFlagsStrict(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      hub: { type: 'string' },
      name: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      country: { type: 'string' },
      city: { type: 'string' },
      asn: { type: 'string' },
      isp: { type: 'string' },
      lat: { type: 'string' },
      lon: { type: 'string' },
      policy: { type: 'string' },
      allow: { type: 'string' },
      'dns-servers': { type: 'string' },
      'dns-roots': { type: 'string' },
      'public-ports': { type: 'string' },
      'metrics-listen': { type: 'string' },
      'data-dir': { type: 'string' },
      serve: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

/** The flags, or the exit code when they end the command here (a bad flag: 2; --help: 0). */
function parseAgentFlags(argv: string[], io: CommandIo): AgentFlags | number {
  let values;
  try {
    values = parseAgentFlagsStrict(argv);
  } catch (err) {
    io.stderr(`meshprobe agent: ${describeError(err).message}\n${AGENT_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(AGENT_USAGE + '\n');
    return 0;
  }
  return values;
}

type AgentSettings = ReturnType<typeof readRemoteAgentSettings>;

interface AgentConfig {
  hub: string;
  name: string;
  token: string;
  /** Where renewed tokens are written; undefined when the token was given inline. */
  tokenFile: string | undefined;
  policy: NonNullable<ReturnType<typeof parsePolicyMode>>;
  allow: string[];
  attributes: Record<string, string | number>;
  dnsServers: string[];
  dnsRoots: string[];
  publicPorts: number[] | undefined;
  /** Where monitors keep their state; undefined = memory only. */
  dataDir: string | undefined;
}

/** Flags over the environment, checked; a string is the refusal to print. */
async function readAgentConfig(values: AgentFlags, settings: AgentSettings): Promise<AgentConfig | string> {
  const hub = values.hub ?? settings.MESHPROBE_HUB;
  const name = values.name ?? settings.MESHPROBE_AGENT_NAME;
  if (!hub) return 'give the hub URL with --hub or MESHPROBE_HUB';
  if (!name) return 'give the agent name with --name or MESHPROBE_AGENT_NAME';
  const token = await readAgentToken(values, settings, name);
  if ('refusal' in token) return token.refusal;
  const policyText = values.policy ?? settings.MESHPROBE_POLICY;
  const policy = policyText === undefined || policyText === '' ? 'lan' : parsePolicyMode(policyText);
  if (!policy) return `--policy must be public or lan, not ${policyText}`;
  const allow = split(values.allow ?? settings.MESHPROBE_AGENT_ALLOW);
  const badRange = allow.find((r) => !parseCidr(r, { bareAddress: true }).ok);
  if (badRange) return `--allow: ${badRange} is not a CIDR prefix`;
  const attributes = agentAttributes(values, settings);
  if (attributes instanceof Error) return attributes.message;
  const dnsServers = split(values['dns-servers'] ?? settings.MESHPROBE_DNS_SERVERS);
  const dnsRoots = split(values['dns-roots'] ?? settings.MESHPROBE_DNS_ROOTS);
  const publicPorts = parsePorts('--public-ports', values['public-ports'] ?? settings.MESHPROBE_PUBLIC_PORTS);
  if (typeof publicPorts === 'string') return publicPorts;
  const dataDir = values['data-dir'] ?? (settings.MESHPROBE_AGENT_DATA_DIR || undefined);
  return { hub, name, token: token.token, tokenFile: token.tokenFile, policy, allow, attributes, dnsServers, dnsRoots, publicPorts, dataDir };
}

/** The agent token from --token-file or --token (flags win over the environment; one source at a time). */
async function readAgentToken(values: AgentFlags, settings: AgentSettings, name: string): Promise<{ token: string; tokenFile: string | undefined } | { refusal: string }> {
  if (values.token !== undefined && values['token-file'] !== undefined) return { refusal: 'give either --token or --token-file, not both' };
  const tokenFile = values['token-file'] ?? (values.token === undefined ? settings.MESHPROBE_AGENT_TOKEN_FILE || undefined : undefined);
  const inlineToken = values.token ?? (values['token-file'] === undefined ? settings.MESHPROBE_AGENT_TOKEN || undefined : undefined);
  if (tokenFile !== undefined && inlineToken !== undefined) return { refusal: 'MESHPROBE_AGENT_TOKEN and MESHPROBE_AGENT_TOKEN_FILE are both set; keep one' };
  let token = inlineToken;
  if (tokenFile !== undefined) {
    try {
      token = await readTokenFile(tokenFile);
    } catch (err) {
      return { refusal: (err as Error).message };
    }
  }
  if (!token) return { refusal: `give an agent token with --token-file or --token (MESHPROBE_AGENT_TOKEN_FILE, MESHPROBE_AGENT_TOKEN): meshprobe token create --sub agent:${name} --scope agent --ttl 30d > agent.token` };
  return { token, tokenFile };
}

/** What the agent announces about itself (location, network); unset ones are left out. */
function agentAttributes(values: AgentFlags, settings: AgentSettings): Record<string, string | number> | Error {
  const num = (flag: string, text: string | undefined, min: number, max: number, int = false): number | undefined | Error => {
    if (text === undefined || text === '') return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n))) return new Error(`--${flag} must be a number from ${min} to ${max}, not ${text}`);
    return n;
  };
  const asn = num('asn', values.asn ?? settings.MESHPROBE_AGENT_ASN?.replace(/^AS/i, ''), 0, 4_294_967_295, true);
  const lat = num('lat', values.lat ?? settings.MESHPROBE_AGENT_LAT, -90, 90);
  const lon = num('lon', values.lon ?? settings.MESHPROBE_AGENT_LON, -180, 180);
  for (const v of [asn, lat, lon]) if (v instanceof Error) return v;
  const str = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);
  return Object.fromEntries(
    Object.entries({
      country: str(values.country ?? settings.MESHPROBE_AGENT_COUNTRY)?.toUpperCase(),
      city: str(values.city ?? settings.MESHPROBE_AGENT_CITY),
      isp: str(values.isp ?? settings.MESHPROBE_AGENT_ISP),
      asn,
      latitude: lat,
      longitude: lon,
    }).filter(([, v]) => v !== undefined),
  ) as Record<string, string | number>;
}

interface BuiltRuntime {
  runtime: AgentRuntime;
  /** Renewed tokens still being written to the token file, in order. */
  tokenWrites: () => Promise<void>;
  /** The agent that measures (its monitors are stopped, and their open minutes spooled, at exit). */
  local: LocalAgent;
}

/** The local agent and the runtime that links it to the hub; a string is the refusal to print. */
async function buildRuntime(config: AgentConfig, metrics: AgentMetrics | undefined, io: CommandIo, onFatal: (code: number) => void): Promise<BuiltRuntime | string> {
  const { hub, name, token, tokenFile, policy, allow, attributes, dnsServers, dnsRoots, publicPorts, dataDir } = config;
  let tokenWrites: Promise<void> = Promise.resolve();
  // The runtime (and `ws`) loaded after the hook that defers TLS to a wss:// hub.
  deferWsTls();
  const { AgentRuntime } = await import('./agent-runtime.ts');
  try {
    const local = new LocalAgent({
      name,
      loadRunnersNow: false,
      ...(dnsServers.length ? { dnsServers } : {}),
      ...(dnsRoots.length ? { dnsRoots } : {}),
      ...(dataDir ? { dataDir } : {}),
      policy,
      allowedRanges: allow,
      log: (line) => io.stderr(`meshprobe agent ${name}: ${line}\n`),
    });
    const runtime = new AgentRuntime({
      hub,
      token,
      // Packets are counted as they leave the socket; runs and events come from the runtime.
      agent: metrics ? metrics.meter(local) : local,
      resolver: local.resolver,
      attributes,
      policy,
      allowedRanges: allow,
      ...(publicPorts ? { publicPorts } : {}),
      log: (line) => io.stderr(line + '\n'),
      onToken: (renewed, exp) => {
        const until = new Date(exp * 1000).toISOString();
        if (tokenFile === undefined) {
          io.stdout(`meshprobe agent ${name}: the hub renewed the token (until ${until}); kept in memory only (use --token-file to keep it across restarts)\n`);
          return;
        }
        // One write at a time, in order: the last renewal is what the file ends up holding.
        tokenWrites = tokenWrites.then(() =>
          writeTokenFile(tokenFile, renewed).then(
            () => io.stdout(`meshprobe agent ${name}: the hub renewed the token (until ${until}); written to ${tokenFile}\n`),
            (err: NodeJS.ErrnoException) => io.stderr(`meshprobe agent ${name}: cannot write the renewed token to ${tokenFile}: ${err.code ?? err.message}; it is kept in memory, and a restart would use the older token in the file\n`),
          ),
        );
      },
      ...(metrics ? { onEvent: (e: MeasurementEvent) => metrics.event(e), onRunning: (n: number) => metrics.running(n) } : {}),
      onState: (state, detail) => {
        if (state === 'connected') io.stdout(`meshprobe agent ${name}: ${detail}\n`);
        else io.stderr(`meshprobe agent ${name}: ${detail}\n`);
        if (state === 'fatal') onFatal(1);
      },
    });
    return { runtime, tokenWrites: () => tokenWrites, local };
  } catch (err) {
    return describeError(err).message;
  }
}

/** Serves the agent's /metrics on `listenText`; a string is the refusal to print. */
async function serveMetrics(listenText: string, metrics: AgentMetrics, name: string, io: CommandIo): Promise<Server | string> {
  const listen = checkListen(listenText);
  if (!listen.ok) return `--metrics-listen: ${listen.problem}`;
  // Loaded only when metrics are served: an ESM import of node:http reads every export of the
  // module, and its lazy WebSocket/fetch getters pull in undici, tls, http2 and zlib (~8 MB).
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void metrics.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
    });
  });
  const { host, port: metricsPort } = listen.address;
  try {
    await new Promise<void>((ok, ko) => {
      server.once('error', ko);
      server.listen(metricsPort, host, ok);
    });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : describeError(err).message;
    return `cannot serve metrics on ${listenText}: ${why}`;
  }
  const port = (server.address() as { port: number }).port;
  io.stdout(`meshprobe agent ${name}: metrics on http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics\n`);
  return server;
}

/**
 * Starts the runtime and resolves with the exit code once SIGINT/SIGTERM (0) or a fatal refusal
 * (1) has stopped it; `setFinish` hands the stopper to the runtime's fatal-state callback.
 */
async function waitForExit(built: BuiltRuntime, metricsServer: Server | undefined, setFinish: (finish: (code: number) => void) => void): Promise<number> {
  const { runtime } = built;
  let finish: (code: number) => void = () => {};
  const exited = new Promise<number>((resolve) => {
    finish = (code) => {
      void runtime.stop().then(async () => {
        // A renewed token being written reaches the file before the process ends.
        await built.tokenWrites();
        built.local.close();
        metricsServer?.close();
        resolve(code);
      });
    };
  });
  setFinish(finish);
  const onSignal = () => finish(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  runtime.start();
  const code = await exited;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return code;
}

function split(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
