/**
 * Stateless MCP over Streamable HTTP: a fresh server and transport per POST, nothing shared
 * between replicas. A cancel arrives in a POST of its own, to a server instance that never saw
 * the call, so running calls are kept by caller and JSON-RPC id to be found and aborted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { HubLike } from '../../shared/wire/hub-client.ts';
import type { ToolExtra } from '../run-measurement.ts';
import { createMcpServer } from '../server.ts';
import { rpcError } from './json-reply.ts';
import { readJsonBody } from './read-json-body.ts';

/** Options of {@link StatelessTransport}. */
export interface TransportOptions {
  hubFor: (extra: ToolExtra) => HubLike;
  /** Version reported in `initialize`. */
  version?: string | undefined;
  /** Largest POST body, in bytes. */
  maxBodyBytes: number;
}

/** Serves the stateless endpoint's requests. */
export class StatelessTransport {
  readonly #o: TransportOptions;
  /** Running calls by caller and JSON-RPC id, so a cancel POST can find them. */
  readonly #inflight = new Map<string, AbortController>();

  constructor(options: TransportOptions) {
    this.#o = options;
  }

  /** Serves one request of `caller` (token subject or anonymous IP). */
  async serve(req: IncomingMessage, res: ServerResponse, caller: string): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return rpcError(res, 405, -32000, `${req.method} is not supported: this endpoint is stateless (POST only)`);
    }
    const body = await readJsonBody(req, res, this.#o.maxBodyBytes);
    if (body === undefined) return;
    const messages = (Array.isArray(body) ? body : [body]) as { id?: unknown; method?: unknown; params?: { requestId?: unknown } }[];

    for (const m of messages) {
      if (m?.method === 'notifications/cancelled' && m.params?.requestId !== undefined) {
        this.#inflight.get(inflightKey(caller, m.params.requestId))?.abort();
      }
    }
    const ac = new AbortController();
    const keys = messages.filter((m) => m && typeof m.method === 'string' && m.id !== undefined).map((m) => inflightKey(caller, m.id));
    for (const k of keys) this.#inflight.set(k, ac);

    const server = createMcpServer({ hubFor: this.#o.hubFor, signal: ac.signal, ...(this.#o.version ? { version: this.#o.version } : {}) });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      // Also when the client hung up mid-call: the measurement stops on the agents.
      ac.abort();
      for (const k of keys) if (this.#inflight.get(k) === ac) this.#inflight.delete(k);
      void transport.close().catch(() => {});
      void server.close().catch(() => {});
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /** Cancels every running call. */
  close(): void {
    for (const ac of this.#inflight.values()) ac.abort();
    this.#inflight.clear();
  }
}

function inflightKey(caller: string, id: unknown): string {
  return `${caller}\u0000${JSON.stringify(id)}`;
}
