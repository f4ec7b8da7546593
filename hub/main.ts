/**
 * `npm start`: the embedded default. One process, the hub and a local agent, on loopback,
 * printing how to use it. The only module that composes hub and agent.
 *
 * Settings: MESHPROBE_LISTEN (or --listen) host:port, MESHPROBE_DATA_DIR, MESHPROBE_AGENT_NAME,
 * MESHPROBE_DNS_SERVERS (comma list of resolvers for target names, e.g. 127.0.0.1:5353).
 */
import { parseArgs } from 'node:util';
import { LocalAgent } from '../agent/local-agent.ts';
import { describeError } from '../shared/errors.ts';
import { DEFAULT_LISTEN, parseListen } from './listen-address.ts';
import { createHub } from './server.ts';
import type { Hub } from './server.ts';
import { VERSION } from './version.ts';

const USAGE = 'usage: npm start [-- --listen HOST:PORT]   (env: MESHPROBE_LISTEN, MESHPROBE_DATA_DIR, MESHPROBE_AGENT_NAME, MESHPROBE_DNS_SERVERS)';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`meshprobe: ${describeError(err).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const env = process.env;
  let hub: Hub;
  try {
    const listenText = args.listen ?? env.MESHPROBE_LISTEN;
    const listen = listenText ? parseListen(listenText) : DEFAULT_LISTEN;
    const dnsServers = (env.MESHPROBE_DNS_SERVERS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const agent = new LocalAgent({
      name: env.MESHPROBE_AGENT_NAME || 'local',
      ...(dnsServers.length ? { dnsServers } : {}),
    });
    hub = await createHub({
      listen,
      ...(env.MESHPROBE_DATA_DIR ? { dataDir: env.MESHPROBE_DATA_DIR } : {}),
      agents: [agent],
      log: (line) => process.stderr.write(line + '\n'),
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new Error(`cannot listen on ${listen.host}:${listen.port}: the address is in use (set MESHPROBE_LISTEN or --listen)`);
      if (err.code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${listen.host}:${listen.port}: no such local address`);
      if (err.code === 'EACCES') throw new Error(`cannot listen on ${listen.host}:${listen.port}: permission denied`);
      throw err;
    });
  } catch (err) {
    process.stderr.write(`meshprobe: ${describeError(err).message}\n`);
    return 1;
  }

  const names = hub.registry.list().map((a) => a.name).join(', ');
  process.stdout.write(
    `meshprobe ${VERSION} hub listening on ${hub.url} (agent: ${names}; data: ${hub.dataDir})\n` +
      `  curl -sN -H 'content-type: application/json' -d '{"type":"ping","targets":["127.0.0.1"],"count":3}' ${hub.url}/v1/measurements\n` +
      `  curl -sN -d 'ping -c 3 127.0.0.1' ${hub.url}/v1/cli\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`meshprobe: ${signal}, closing\n`);
      // A second signal means "now".
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      hub.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

process.exitCode = await main();
