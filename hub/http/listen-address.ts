/**
 * Parsing of listen addresses (`MESHPROBE_LISTEN`, `--listen`): `host:port`, `[v6]:port`, or a
 * bare port (which keeps the safe default host, loopback).
 */
import { isIP } from 'node:net';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The hub's default: loopback only, port 7464 (P-I-N-G on a phone keypad). */
export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 7464 };

/** Parses `host:port`, `[::1]:port`, `:port` or `port`. Throws MeshprobeError(BadRequest) with a fix-it message. */
export function parseListen(text: string): ListenAddress {
  const s = text.trim();
  const fail = (why: string): never => {
    throw new MeshprobeError(ErrorCode.BadRequest, `listen address "${text}" ${why} (expected host:port, e.g. 127.0.0.1:7464 or [::1]:7464)`);
  };
  let host = DEFAULT_LISTEN.host;
  let portText: string;
  if (/^\d+$/.test(s)) {
    portText = s;
  } else if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(s);
    if (!m) return fail('is malformed');
    host = m[1]!;
    portText = m[2]!;
    if (isIP(host) !== 6) return fail('has a bracketed host that is not an IPv6 address');
  } else {
    const colon = s.lastIndexOf(':');
    if (colon === -1) return fail('has no port');
    if (s.indexOf(':') !== colon) return fail('needs brackets around an IPv6 host');
    host = s.slice(0, colon) || DEFAULT_LISTEN.host;
    portText = s.slice(colon + 1);
  }
  if (!/^\d+$/.test(portText)) return fail('has a port that is not a number');
  const port = Number(portText);
  if (port > 65_535) return fail('has a port above 65535');
  return { host, port };
}

/** The URL clients use to reach a server bound to `host:port` (wildcards map to loopback). */
export function urlFor(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}
