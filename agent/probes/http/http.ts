/**
 * The http runner: per URL one request through undici on a connection made to the checked
 * address (agent/runtime/pinned-connect.ts), timed phase by phase as curl's -w reports them.
 * The host is resolved once (or taken from --resolve), the address checked
 * (agent/runtime/connect-check.ts) and connected to, and undici never resolves anything itself:
 * a name whose answer changes between two lookups cannot redirect the connection. Redirects are
 * followed only with --follow, each hop resolved and checked like the first. Body, header block
 * and total time are capped; the User-Agent names meshprobe.
 */
import { eachTarget } from '../per-target.ts';
import type { Socket } from 'node:net';
import { Client } from 'undici';
import { ErrorCode, MeshprobeError } from '../../../shared/model/errors.ts';
import { computeStats, roundMs } from '../../../shared/model/stats.ts';
import { NAME, VERSION } from '../../../shared/model/version.ts';
import { isIp, TARGET_ADDRESS } from '../../../shared/net/ip-address.ts';
import type { HttpAnswer } from '../../../shared/measurements/http/http-answer.ts';
import { MAX_HTTP_HEADERS } from '../../../shared/measurements/http/http-answer.ts';
import { httpParams, MAX_HEADER_BYTES, MAX_REDIRECTS, type HttpParams } from '../../../shared/measurements/http/http-params.ts';
import { connectRefusal } from '../../runtime/connect-check.ts';
import { pinnedConnect, type PinnedTimes, type TlsDetails } from '../../runtime/pinned-connect.ts';
import type { ProbeRunner, RunnerOptions } from '../probe-runner.ts';

/** The User-Agent of every request: honest about what is asking. */
export const USER_AGENT = `${NAME}/${VERSION} (network probe; +https://github.com/meshprobe/meshprobe)`;

const round = (ms: number): number => Math.max(0, Math.round(ms * 1e6) / 1e6);

/** A refusal by the policy: an error event with MP_ERR_POLICY and no connection. */
class Refused extends MeshprobeError {
  constructor(message: string) {
    super(ErrorCode.PolicyRefused, message);
  }
}

/** One request's outcome: the answer's data. */
async function fetchOnce(url: URL, address: string, dnsMs: number, t0: number, p: HttpParams, signal: AbortSignal): Promise<HttpAnswer> {
  const https = url.protocol === 'https:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (https ? 443 : 80));
  let times: PinnedTimes | undefined;
  let tls: TlsDetails | undefined;
  let socket: Socket | undefined;
  const client = new Client(url.origin, {
    connect: (_opts, cb) => {
      pinnedConnect({ address, port, signal, ...(https ? { tls: { serverName: host, alpn: p.http2 ? ['h2', 'http/1.1'] : ['http/1.1'], insecure: p.insecure } } : {}) }).then(
        (c) => {
          times = c.times;
          tls = c.tls;
          socket = c.socket;
          cb(null, c.socket);
        },
        (err: Error) => cb(err, null),
      );
    },
    allowH2: p.http2,
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: p.timeoutMs,
    bodyTimeout: p.timeoutMs,
    pipelining: 1,
  });
  try {
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: '*/*' };
    for (const [k, v] of p.headers) headers[k.toLowerCase()] = v;
    const res = await client.request({ path: `${url.pathname}${url.search}`, method: p.method, headers, signal });
    const firstByte = performance.now();
    // undici enforces maxHeaderSize over HTTP/1.1 only; over HTTP/2 Node bounds the block at its
    // own 64 KiB (SETTINGS_MAX_HEADER_LIST_SIZE), and the cap is applied here, the same for both.
    if (headerBytes(res.headers) > MAX_HEADER_BYTES) {
      res.body.destroy();
      throw Object.assign(new Error('response headers too large'), { code: 'UND_ERR_HEADERS_OVERFLOW' });
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = p.maxBody - bytes;
      if (chunk.length > room) {
        if (room > 0) chunks.push(chunk.subarray(0, room));
        bytes = p.maxBody;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      bytes += chunk.length;
    }
    if (truncated) res.body.destroy();
    const end = performance.now();
    const t = times!;
    const ready = t.secured ?? t.connected;
    const raw = res.headers;
    const list: [string, string][] = [];
    for (const [k, v] of Object.entries(raw)) {
      for (const one of Array.isArray(v) ? v : [v ?? '']) if (list.length < MAX_HTTP_HEADERS) list.push([k.slice(0, 256), String(one).slice(0, 2048)]);
    }
    const location = typeof raw['location'] === 'string' && res.statusCode >= 300 && res.statusCode < 400 ? safeUrl(raw['location'], url) : undefined;
    const h2 = tls?.alpn === 'h2';
    return {
      url: url.href.slice(0, 2048),
      method: p.method,
      httpVersion: h2 ? '2' : '1.1',
      status: res.statusCode,
      statusText: STATUS_TEXT[res.statusCode] ?? '',
      headers: list,
      remoteAddress: socket?.remoteAddress?.replace(/^::ffff:/, '') ?? address,
      remotePort: socket?.remotePort ?? port,
      timings: {
        dnsMs: round(dnsMs),
        // From the end of the lookup, as curl's time_connect − time_namelookup: the phases add up to the total.
        connectMs: round(t.connected - (t0 + dnsMs)),
        tlsMs: t.secured !== undefined ? round(t.secured - t.connected) : null,
        firstByteMs: round(firstByte - ready),
        downloadMs: round(end - firstByte),
        totalMs: round(end - t0),
      },
      ...(tls ? { tls } : {}),
      body: { bytes, truncated, text: Buffer.concat(chunks).toString('utf8').slice(0, 65_536) },
      ...(location ? { location } : {}),
    };
  } finally {
    client.destroy().catch(() => {});
  }
}

/** Size of a header block as HTTP/1.1 sends it (`Name: value` and CRLF per field). */
function headerBytes(headers: Record<string, string | string[] | undefined>): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) for (const one of Array.isArray(v) ? v : [v ?? '']) n += k.length + String(one).length + 4;
  return n;
}

function safeUrl(location: string, base: URL): string | undefined {
  try {
    return new URL(location, base).href.slice(0, 2048);
  } catch {
    return undefined;
  }
}

/** The words of the common status codes (HTTP/2 sends none; HTTP/1.1's own are not kept by undici). */
const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 206: 'Partial Content', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other',
  304: 'Not Modified', 307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** A one-line reason for what undici or the socket said. */
function reason(err: unknown, where: string, p: HttpParams): MeshprobeError | unknown {
  const code = (err as { code?: string } | null)?.code;
  const name = (err as { name?: string } | null)?.name;
  if (err instanceof MeshprobeError) return err;
  if (name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new MeshprobeError(ErrorCode.BadRequest, `no complete response from ${where} within ${p.timeoutMs / 1000} s`);
  if (code === 'UND_ERR_HEADERS_OVERFLOW') return new MeshprobeError(ErrorCode.BadRequest, `${where} sent response headers larger than ${MAX_HEADER_BYTES} bytes`);
  if (code === 'ECONNREFUSED') return new MeshprobeError(ErrorCode.BadRequest, `connection refused by ${where}`);
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new MeshprobeError(ErrorCode.BadRequest, `${where} closed the connection`);
  if (code === 'CERT_REFUSED') return new MeshprobeError(ErrorCode.BadRequest, (err as Error).message);
  return err;
}

/** One URL: start, one answer per hop, summary. */
async function one(spec: Parameters<ProbeRunner['run']>[0], target: string, o: RunnerOptions): Promise<void> {
  const p = httpParams(spec);
  const scope = { agent: o.agent, target };
  if (spec.http3) throw new MeshprobeError(ErrorCode.BadRequest, 'this agent cannot speak HTTP/3 (Node has no QUIC in its stable API); ask without --http3 for HTTP/1.1 or --http2');
  const started = performance.now();
  const signal = AbortSignal.any([o.signal, AbortSignal.timeout(p.timeoutMs)]);
  /** Each host:port resolved once per run: a redirect back to it reuses the checked address. */
  const known = new Map<string, string>(p.resolve);
  const totals: number[] = [];
  let url = new URL(target);
  let sent = 0;
  let firstAddress = '';
  for (let hop = 0; hop <= (p.follow ? MAX_REDIRECTS : 0); hop++) {
    const https = url.protocol === 'https:';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (https ? 443 : 80));
    const key = `${host.toLowerCase()}:${port}`;
    const t0 = performance.now();
    let address = known.get(key) ?? (isIp(host, TARGET_ADDRESS) ? host : undefined);
    if (address === undefined) address = (await o.resolver.resolve(host, spec.ipVersion)).address;
    known.set(key, address);
    const dnsMs = performance.now() - t0;
    const what = hop === 0 ? host : `the redirect to ${host}`;
    const refusal = connectRefusal(o.connectPolicy, address, port, what);
    if (refusal) throw new Refused(refusal);
    if (hop === 0) {
      firstAddress = address;
      o.emit({
        type: 'start', ...scope, measurement: 'http', address, family: address.includes(':') ? 6 : 4, protocol: 'tcp',
        params: { method: p.method, port, maxBody: p.maxBody, ...(p.http2 ? { http2: true } : {}), ...(p.follow ? { follow: true } : {}) },
      });
    }
    sent++;
    let a: HttpAnswer;
    try {
      a = await fetchOnce(url, address, dnsMs, t0, p, signal);
    } catch (err) {
      if (o.signal.aborted) throw err;
      throw reason(signal.aborted ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : err, `${host}:${port}`, p);
    }
    totals.push(a.timings.totalMs);
    o.emit({ type: 'answer', ...scope, measurement: 'http', seq: totals.length, data: a });
    if (!p.follow || !a.location) break;
    const next = new URL(a.location);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') break;
    url = next;
  }
  o.emit({ type: 'summary', ...scope, measurement: 'http', address: firstAddress, durationMs: roundMs(performance.now() - started), ...computeStats(sent, totals) });
}

/** http's runner: every URL concurrently; a failure of one is its error event. */
export const runHttp: ProbeRunner['run'] = (spec, o) => eachTarget(spec, o, (target) => one(spec, target, o));
