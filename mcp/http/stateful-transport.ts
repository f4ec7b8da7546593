/**
 * Stateful MCP over Streamable HTTP: `initialize` opens a session (Mcp-Session-Id) with its
 * own server, kept in a {@link SessionStore}; later requests of its owner go to it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createMcpServer } from '../server.ts';
import { rpcError } from './json-reply.ts';
import { readJsonBody } from './read-json-body.ts';
import { SessionStore, type Session, type SessionStoreOptions } from './session-store.ts';
import type { TransportOptions } from './stateless-transport.ts';

/** Serves the stateful endpoint's requests. */
export class StatefulTransport {
  readonly #o: TransportOptions;
  readonly #sessions: SessionStore;

  constructor(options: TransportOptions & SessionStoreOptions) {
    this.#o = options;
    this.#sessions = new SessionStore(options);
  }

  /** Serves one request of `caller` (token subject or anonymous IP). */
  async serve(req: IncomingMessage, res: ServerResponse, caller: string): Promise<void> {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid === 'string' && sid) {
      // Another caller's session id is answered like an unknown one: no session hijacking.
      const s = this.#sessions.use(sid, caller);
      if (!s) return rpcError(res, 404, -32001, 'session not found');
      const body = req.method === 'POST' ? await readJsonBody(req, res, this.#o.maxBodyBytes) : undefined;
      if (req.method === 'POST' && body === undefined) return;
      if (req.method === 'POST') cancelOnHangUp(s, res, body);
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST') return rpcError(res, 400, -32000, 'missing Mcp-Session-Id header');
    const body = await readJsonBody(req, res, this.#o.maxBodyBytes);
    if (body === undefined) return;
    if (!isInitializeRequest(body)) return rpcError(res, 400, -32000, 'no session: send initialize first (without Mcp-Session-Id)');
    const refused = this.#sessions.refusal(caller);
    if (refused) return rpcError(res, refused.status, -32000, refused.message);
    await this.#sessions.opening(caller, () => this.#open(req, res, body, caller));
  }

  /** Closes every session. */
  close(): Promise<void> {
    return this.#sessions.close();
  }

  async #open(req: IncomingMessage, res: ServerResponse, body: unknown, caller: string): Promise<void> {
    const server = createMcpServer({ hubFor: this.#o.hubFor, ...(this.#o.version ? { version: this.#o.version } : {}) });
    let session: Session | undefined;
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session = {
          transport,
          owner: caller,
          lastSeen: Date.now(),
          close: async () => {
            await transport.close().catch(() => {});
            await server.close().catch(() => {});
          },
        };
        this.#sessions.set(id, session);
      },
      onsessionclosed: (id) => {
        this.#sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId && session) this.#sessions.delete(transport.sessionId, session);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }
}

/**
 * A client that drops the connection of a running call will never read its answer (we keep
 * no event store to resume from), so the call is cancelled as if it had sent
 * notifications/cancelled: the measurement stops on the agents.
 */
function cancelOnHangUp(s: Session, res: ServerResponse, body: unknown): void {
  const ids = (Array.isArray(body) ? body : [body])
    .filter((m): m is { id: string | number; method: string } => typeof m?.method === 'string' && (typeof m.id === 'string' || typeof m.id === 'number'))
    .map((m) => m.id);
  if (!ids.length) return;
  res.on('close', () => {
    if (res.writableFinished) return;
    for (const requestId of ids) {
      s.transport.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId, reason: 'the client disconnected' } });
    }
  });
}
