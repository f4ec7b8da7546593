/** http's defaults and its parameters with them filled in. */
import type { MeasurementSpec } from '../../model/spec.ts';

/** Defaults of the fields only http reads. */
export const HttpDefaults = {
  /** Bytes of the body kept (10 KiB). */
  maxBody: 10_240,
} as const;

/** Total time of one request (lookup to last byte) unless -W says otherwise, ms. */
export const HTTP_TIMEOUT_MS = 10_000;
/** Largest response header block accepted, bytes. */
export const MAX_HEADER_BYTES = 16_384;
/** Most redirects followed with --follow. */
export const MAX_REDIRECTS = 5;

/** http parameters with defaults filled in. */
export interface HttpParams {
  method: 'GET' | 'HEAD' | 'OPTIONS';
  headers: [string, string][];
  http2: boolean;
  insecure: boolean;
  maxBody: number;
  follow: boolean;
  timeoutMs: number;
  /** `HOST:PORT` (lower-case host) → address, from --resolve. */
  resolve: Map<string, string>;
}

/** Splits `Name: value`; undefined when it is not a header line. */
export function splitHeader(line: string): [string, string] | undefined {
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}):[ \t]*([^\r\n]*)$/.exec(line);
  return m ? [m[1]!, m[2]!.trim()] : undefined;
}

/** Splits curl's `HOST:PORT:ADDR` (ADDR may be bracketed); undefined when it is not one. */
export function splitResolve(entry: string): { host: string; port: number; address: string } | undefined {
  const m = /^(\[[^\]]+\]|[^:[\]]+):([0-9]{1,5}):(\[[^\]]+\]|[^[\]]+)$/.exec(entry);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, '').toLowerCase(), port, address: m[3]!.replace(/^\[|\]$/g, '') };
}

/** Fills in http defaults: GET, HTTP/1.1, 10 KiB of body, 10 s in all, redirects not followed. */
export function httpParams(spec: MeasurementSpec): HttpParams {
  const resolve = new Map<string, string>();
  for (const r of spec.resolve ?? []) {
    const x = splitResolve(r);
    if (x) resolve.set(`${x.host}:${x.port}`, x.address);
  }
  return {
    method: spec.method ?? 'GET',
    headers: (spec.headers ?? []).flatMap((h): [string, string][] => {
      const kv = splitHeader(h);
      return kv ? [kv] : [];
    }),
    http2: spec.http2 ?? false,
    insecure: spec.insecure ?? false,
    maxBody: spec.maxBody ?? HttpDefaults.maxBody,
    follow: spec.follow ?? false,
    timeoutMs: spec.timeoutMs ?? HTTP_TIMEOUT_MS,
    resolve,
  };
}
