/** Reading a POST body of at most `max` bytes as JSON. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { rpcError } from './json-reply.ts';

/** Reads and parses a JSON body; on failure answers the request (413 or 400) and returns undefined. */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    rpcError(res, 413, -32000, `request body too large (at most ${max} bytes)`);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      rpcError(res, 413, -32000, `request body too large (at most ${max} bytes)`);
      return undefined;
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    rpcError(res, 400, -32700, 'parse error: the body is not JSON');
    return undefined;
  }
}
