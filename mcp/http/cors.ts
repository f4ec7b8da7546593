/**
 * CORS for browser clients (an inspector page on an allowed origin). The Origin was checked by
 * the Host/Origin guard before this runs, so echoing it grants nothing a foreign page could use.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sets the CORS headers; answers a preflight (OPTIONS) and returns true when it did. */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  if (typeof req.headers.origin === 'string') {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Access-Control-Expose-Headers', 'Mcp-Session-Id, WWW-Authenticate, Retry-After');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return true;
}
