/**
 * `meshprobe echo-server` and the `--serve` option of `meshprobe agent`: start the echo
 * responders of the served protocols (agent/probes/registry.ts lists them, each declared in its
 * type's folder) for hosts that probe this one with other tools.
 *
 *   meshprobe echo-server [--NAME [ADDR:]PORT]… [--name NAME] [--metrics-listen ADDR:PORT]
 *   meshprobe agent … --serve NAME[:PORT[/PORT]],…
 *
 * A bare port listens on every interface (`::`, IPv4 included): answering other hosts is what a
 * responder is for. Give an address (`127.0.0.1:4000`) to narrow it.
 */
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { checkListen, type ListenAddress } from '../../shared/net/listen-address.ts';
import { describeError } from '../../shared/model/errors.ts';
import { servedProtocols } from '../probes/registry.ts';
import type { RunningServer, ServedProtocol } from './served-protocol.ts';

/** The host of a responder given a bare port: every interface. */
export const SERVE_ALL = '::';

/** Output of the commands. */
export interface ServeIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** One protocol to start and where. */
export interface ServePlan {
  protocol: ServedProtocol;
  addresses: ListenAddress[];
}

/**
 * Reads `--serve NAME[:PORT[/PORT]],…`; a string is the refusal. Ports are given per listener,
 * in its order (latency-monitor's TCP/UDP); a missing one takes the listener's default.
 */
export function parseServeOption(text: string, protocols: readonly ServedProtocol[]): ServePlan[] | string {
  const plans: ServePlan[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, ports] = item.split(':', 2) as [string, string | undefined];
    const p = protocols.find((x) => x.name === name);
    if (!p) return `--serve: unknown protocol '${name}' (known: ${protocols.map((x) => x.name).join(', ')})`;
    if (plans.some((x) => x.protocol === p)) return `--serve: ${name} given twice`;
    const given = ports === undefined ? [] : ports.split('/');
    if (given.length > p.listeners.length) return `--serve: ${name} takes at most ${p.listeners.length} port${p.listeners.length > 1 ? 's' : ''} (${p.listeners.map((l) => l.transport.toUpperCase()).join('/')})`;
    const addresses: ListenAddress[] = [];
    for (const [i, l] of p.listeners.entries()) {
      const t = given[i];
      if (t === undefined || t === '') {
        addresses.push({ host: SERVE_ALL, port: l.defaultPort });
        continue;
      }
      if (!/^[0-9]{1,5}$/.test(t) || Number(t) > 65_535) return `--serve: ${name}: port '${t}' is not a port number`;
      addresses.push({ host: SERVE_ALL, port: Number(t) });
    }
    plans.push({ protocol: p, addresses });
  }
  return plans;
}

/** Starts every plan; on a failure the ones started are closed and the reason returned. */
export async function startServers(plans: readonly ServePlan[], name: string, registry?: Registry): Promise<RunningServer[] | string> {
  const running: RunningServer[] = [];
  for (const plan of plans) {
    try {
      running.push(await plan.protocol.start(plan.addresses, { name, ...(registry ? { registry } : {}) }));
    } catch (err) {
      await Promise.all(running.map((r) => r.close()));
      const e = err as NodeJS.ErrnoException;
      const where = plan.addresses.map((a) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`).join(', ');
      return `cannot serve ${plan.protocol.name} on ${where}: ${e.code === 'EADDRINUSE' ? 'the address is in use' : e.code === 'EACCES' ? 'permission denied (a port below 1024?)' : describeError(err).message}`;
    }
  }
  return running;
}

/** The lines that say what listens where. */
export function servingLines(plans: readonly ServePlan[], running: readonly RunningServer[]): string {
  return plans
    .map((plan, i) => {
      const where = running[i]!.addresses
        .flatMap((a, j) => (a ? [`${plan.protocol.listeners[j]!.transport} ${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`] : []))
        .join(', ');
      return `serving ${plan.protocol.name} on ${where}\n`;
    })
    .join('');
}

async function usage(): Promise<string> {
  const protocols = await servedProtocols();
  const flags = protocols.flatMap((p) => p.listeners.map((l) => `  --${l.flag} [ADDR:]PORT`.padEnd(30) + l.help));
  return [
    'usage: meshprobe echo-server [--NAME [ADDR:]PORT]… [--name NAME] [--metrics-listen ADDR:PORT]',
    'answers the probes of other tools for this host (a bare port listens on every interface):',
    ...flags,
    `  --name NAME`.padEnd(30) + 'the name answers carry (default: the host name)',
    `  --metrics-listen ADDR:PORT`.padEnd(30) + "serve the responders' counters at /metrics",
  ].join('\n');
}

/** `meshprobe echo-server …`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runEchoServerCommand(argv: string[], io: ServeIo, signal?: AbortSignal): Promise<number> {
  const protocols = await servedProtocols();
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { name: { type: 'string' }, 'metrics-listen': { type: 'string' }, help: { type: 'boolean', short: 'h' } };
  for (const p of protocols) for (const l of p.listeners) options[l.flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    io.stderr(`meshprobe echo-server: ${describeError(err).message}\n${await usage()}\n`);
    return 2;
  }
  if (values['help']) {
    io.stdout((await usage()) + '\n');
    return 0;
  }
  const fail = async (m: string) => {
    io.stderr(`meshprobe echo-server: ${m}\n${await usage()}\n`);
    return 2;
  };
  const plans: ServePlan[] = [];
  for (const p of protocols) {
    const given = p.listeners.map((l) => values[l.flag] as string | undefined);
    if (given.every((g) => g === undefined)) continue;
    const addresses: ListenAddress[] = [];
    for (const [i, l] of p.listeners.entries()) {
      const t = given[i];
      // A protocol with several listeners serves only those given.
      if (t === undefined) continue;
      const a = checkListen(t, { defaultHost: SERVE_ALL, setting: `--${l.flag}`, example: `0.0.0.0:${l.defaultPort}` });
      if (!a.ok) return fail(`--${l.flag}: ${a.problem}`);
      addresses[i] = a.address;
    }
    plans.push({ protocol: p, addresses });
  }
  if (plans.length === 0) return fail(`nothing to serve: give at least one of ${protocols.flatMap((p) => p.listeners.map((l) => `--${l.flag}`)).join(', ')}`);
  const name = (values['name'] as string | undefined) ?? hostname();
  const registry = values['metrics-listen'] !== undefined ? new Registry() : undefined;
  const running = await startServers(plans, name, registry);
  if (typeof running === 'string') return fail(running);
  let metricsServer: Server | undefined;
  if (registry) {
    const served = await serveRegistry(values['metrics-listen'] as string, registry);
    if (typeof served === 'string') {
      await Promise.all(running.map((r) => r.close()));
      return fail(served);
    }
    metricsServer = served.server;
    io.stdout(`metrics on http://${served.where}/metrics\n`);
  }
  io.stdout(servingLines(plans, running));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  metricsServer?.close();
  await Promise.all(running.map((r) => r.close()));
  return 0;
}

/** Serves `registry` at /metrics on `listenText`. */
export async function serveRegistry(listenText: string, registry: Registry): Promise<{ server: Server; where: string } | string> {
  const listen = checkListen(listenText);
  if (!listen.ok) return `--metrics-listen: ${listen.problem}`;
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
  });
  try {
    await new Promise<void>((ok, ko) => {
      server.once('error', ko);
      server.listen(listen.address.port, listen.address.host, ok);
    });
  } catch (err) {
    return `cannot serve metrics on ${listenText}: ${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'the address is in use' : describeError(err).message}`;
  }
  const { address, port } = server.address() as { address: string; port: number };
  return { server, where: `${address.includes(':') ? `[${address}]` : address}:${port}` };
}
