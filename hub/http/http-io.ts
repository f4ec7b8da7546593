/**
 * Small node:http helpers: bounded body reading and the hub's error format
 * (`{"error":{"code":"MP_ERR_…","message":"one line"}}`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HttpError } from '../../shared/model/errors.ts';

/** Reads the request body, refusing (HttpError with `status` 413) past `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses a JSON request body (400 with the parser's reason when it is not JSON, 413
 * past `maxBytes`). An empty body gives `ifEmpty` when one is given, else the same 400.
 */
export async function readJson(req: IncomingMessage, maxBytes: number, ifEmpty?: unknown): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0 && ifEmpty !== undefined) return ifEmpty;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, ErrorCode.BadRequest, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, ErrorCode.BadRequest, `request body is larger than ${maxBytes} bytes`, { connection: 'close' });
}

/** Sends a JSON value (one line, newline-terminated) with `status`. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Sends the hub's error format. `message` is reduced to its first line: never a stack trace. */
export function sendError(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    // Mid-stream there is no status to change; end the stream rather than leave it hanging.
    res.end();
    return;
  }
  sendJson(res, status, { error: { code, message: firstLine(message) } }, headers);
}

/** Sends plain text with `status`. */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
