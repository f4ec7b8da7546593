/** The MCP endpoint's JSON answers: plain JSON, JSON-RPC errors, and 429 with Retry-After. */
import type { ServerResponse } from 'node:http';

/** Answers `value` as JSON with `status`. */
export function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Answers a JSON-RPC error that belongs to no request (id null). */
export function rpcError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });
}

/** Answers a rate-limit refusal: 429 with Retry-After. */
export function tooMany(res: ServerResponse, refusal: { message: string; retryAfterS: number }): void {
  res.setHeader('Retry-After', String(refusal.retryAfterS));
  rpcError(res, 429, -32000, refusal.message);
}
