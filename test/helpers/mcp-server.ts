// An McpHttpHandler served on 127.0.0.1:0 by a plain node:http server, as the MCP tests need it.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpHttpHandler } from '../../mcp/http.ts';

export interface McpTestServer {
  /** http://127.0.0.1:PORT (no path). */
  base: string;
  /** base + '/mcp', the endpoint clients connect to. */
  url: URL;
  /** Closes the handler's sessions, then drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function serveMcp(handler: McpHttpHandler): Promise<McpTestServer> {
  const server = createServer((req, res) => void handler.handle(req, res));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    url: new URL(`${base}/mcp`),
    async close() {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
