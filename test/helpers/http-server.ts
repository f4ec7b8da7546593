/**
 * Real HTTP servers for tests on loopback: HTTP/1.1 (plain or TLS) and HTTP/2 over TLS (with
 * HTTP/1.1 as a fallback), whose phases can be slowed down: `delayTls` holds the TLS handshake
 * (SNICallback answers late), `?head=MS` holds the response headers, `?body=MS` holds the rest of
 * the body after its first chunk. `/redirect?to=URL` answers 302, `/big-header` a 20 KB header,
 * `/size?n=N` N bytes of body, `/hang` nothing at all. Every connection and request is counted,
 * so a test can check that a refused request never reached the server.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { Server, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';

/**
 * Calls `f` no sooner than `ms` after now, by the monotonic clock: a timer alone may fire a
 * little early (libuv measures from the start of its loop turn), and the tests check that a
 * measured phase is at least the delay injected.
 */
export function afterAtLeast(ms: number, f: () => void): void {
  const start = performance.now();
  const tick = (): void => {
    const left = ms - (performance.now() - start);
    if (left > 0) setTimeout(tick, Math.ceil(left));
    else f();
  };
  tick();
}

export interface TestHttpServer {
  port: number;
  /** `http://ADDR:PORT` or `https://…`. */
  origin: string;
  connections: number;
  /** Requests seen: method, path, user agent, HTTP version. */
  requests: { method: string; path: string; userAgent: string; httpVersion: string }[];
  close(): Promise<void>;
}

export interface TestHttpOptions {
  address?: string;
  /** TLS with this key and certificate; `h2` serves HTTP/2 as well. */
  tls?: { key: string; cert: string; h2?: boolean; delayTlsMs?: number };
}

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

export async function startHttpServer(o: TestHttpOptions = {}): Promise<TestHttpServer> {
  const requests: TestHttpServer['requests'] = [];
  const handler = (req: Req, res: Res): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', path: url.pathname, userAgent: String(req.headers['user-agent'] ?? ''), httpVersion: req.httpVersion });
    const head = Number(url.searchParams.get('head') ?? 0);
    const bodyDelay = Number(url.searchParams.get('body') ?? 0);
    const r = res as ServerResponse;
    if (url.pathname === '/hang') return;
    if (url.pathname === '/redirect') {
      r.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
      return;
    }
    if (url.pathname === '/big-header') {
      r.writeHead(200, { 'x-big': 'x'.repeat(20_000) }).end('big');
      return;
    }
    afterAtLeast(head, () => {
      if (url.pathname === '/size') {
        r.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(Number(url.searchParams.get('n') ?? 0)));
        return;
      }
      r.writeHead(200, { 'content-type': 'text/plain', 'x-test': 'yes' });
      r.write('first\n');
      afterAtLeast(bodyDelay, () => r.end('last\n'));
    });
  };
  const address = o.address ?? '127.0.0.1';
  let server: Server;
  if (o.tls) {
    const ctx = createSecureContext({ key: o.tls.key, cert: o.tls.cert });
    const delay = o.tls.delayTlsMs ?? 0;
    const SNICallback = (_name: string, cb: (err: Error | null, c: typeof ctx) => void): void => {
      afterAtLeast(delay, () => cb(null, ctx));
    };
    server = o.tls.h2
      ? (createSecureServer({ key: o.tls.key, cert: o.tls.cert, allowHTTP1: true, SNICallback }, handler) as unknown as Server)
      : (createHttpsServer({ key: o.tls.key, cert: o.tls.cert, SNICallback }, handler) as unknown as Server);
  } else {
    server = createHttpServer(handler) as unknown as Server;
  }
  let connections = 0;
  const sockets = new Set<Socket>();
  // Every TCP connection, counted before any TLS handshake.
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, address);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    origin: `${o.tls ? 'https' : 'http'}://${address.includes(':') ? `[${address}]` : address}:${port}`,
    get connections() {
      return connections;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
