/**
 * The MCP server on its own, in front of a hub somewhere else:
 *
 *   MESHPROBE_HUB=https://hub.example.net npm run mcp -- [--listen HOST:PORT]
 *
 * Settings: MESHPROBE_HUB (required), MESHPROBE_MCP_LISTEN or --listen (default 127.0.0.1:7465),
 * and the MESHPROBE_MCP_* / token settings of mcp/config.ts. Prints the URL it serves on the
 * first line of stdout, so scripts and tests can read it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { mcpHandler } from './config.ts';
import { mcpEndpointSettings, mcpServerSettings, readSettings } from '../shared/config/settings.ts';
import { parseListen, urlFor } from '../shared/net/listen-address.ts';

const USAGE = 'usage: MESHPROBE_HUB=URL npm run mcp -- [--listen HOST:PORT]   (env: MESHPROBE_MCP_LISTEN, MESHPROBE_MCP_MODE, MESHPROBE_HUB_TOKEN, see docs/mcp.md)';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`meshprobe-mcp: ${(err as Error).message.split('\n')[0]}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // The environment is read here, once, through the schema (shared/config/settings.ts).
  const env = process.env;
  const settings = readSettings(mcpServerSettings, env);
  const hubUrl = settings.MESHPROBE_HUB;
  if (!hubUrl) {
    process.stderr.write(`meshprobe-mcp: set MESHPROBE_HUB to the hub's URL (e.g. http://127.0.0.1:7464)\n${USAGE}\n`);
    return 2;
  }
  let listen: { host: string; port: number };
  let handler;
  try {
    listen = parseListen(args.listen ?? settings.MESHPROBE_MCP_LISTEN, { setting: 'MCP listen address', example: '127.0.0.1:7465' });
    handler = mcpHandler(readSettings(mcpEndpointSettings, env), { hubUrl, listenHosts: [listen.host] });
  } catch (err) {
    process.stderr.write(`meshprobe-mcp: ${(err as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (handler.handles(path)) return void handler.handle(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${path}; the MCP endpoint is ${handler.path}\n`);
  });
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(listen.port, listen.host, () => ok());
    });
  } catch (err) {
    process.stderr.write(`meshprobe-mcp: cannot listen on ${listen.host}:${listen.port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 1;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${urlFor(listen.host, port)}${handler.path}`;
  process.stdout.write(`meshprobe MCP server on ${url} (${handler.mode}; hub ${hubUrl})\n`);

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      void handler.close().then(() => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

process.exitCode = await main();
