/**
 * Listen addresses, the one parser for every server the product starts: the hub
 * (`MESHPROBE_LISTEN`, `--listen`), the MCP endpoint (`MESHPROBE_MCP_LISTEN`), the SMTP gateway
 * (`MESHPROBE_SMTP_LISTEN`), the Telegram webhook (`TELEGRAM_WEBHOOK_LISTEN`) and the agent's
 * `/metrics` (`--metrics-listen`). Forms: `host:port`, `[v6]:port`, `:port` or a bare port (which
 * keep the safe default host, loopback); port 0 asks the system for a free one. Pure and
 * runtime-neutral (the IPv6 check is ip-address.ts's parser, not node:net).
 */
import { ErrorCode, MeshprobeError } from '../model/errors.ts';
import { parseIp } from './ip-address.ts';

/** Where a server listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** The hub's default: loopback only, port 7464 (P-I-N-G on a phone keypad). */
export const DEFAULT_LISTEN: ListenAddress = { host: '127.0.0.1', port: 7464 };

/** Options of {@link parseListen} and {@link checkListen}. */
export interface ListenOptions {
  /** The host when the text names none (`:port`, `port`). Default 127.0.0.1: never all interfaces by accident. */
  defaultHost?: string;
  /** What the text is, for the message: `MESHPROBE_SMTP_LISTEN`. Default `listen address`. */
  setting?: string;
  /** A good example for the message. Default `127.0.0.1:7464`. */
  example?: string;
}

/** The answer of {@link checkListen}: the address, or the problem in a few words (`port 70000 is above 65535`). */
export type ListenCheck = { ok: true; address: ListenAddress } | { ok: false; problem: string };

/** Reads `host:port`, `[v6]:port`, `:port` or `port`; never throws. */
export function checkListen(text: string, o: ListenOptions = {}): ListenCheck {
  const s = text.trim();
  const no = (problem: string): ListenCheck => ({ ok: false, problem });
  let host = o.defaultHost ?? DEFAULT_LISTEN.host;
  let portText: string;
  if (s === '') return no('it is empty');
  if (/\s/.test(s)) return no('it contains whitespace');
  if (/^[0-9]+$/.test(s)) {
    portText = s;
  } else if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\]:([^:]*)$/.exec(s);
    if (!m) return no('brackets must hold an IPv6 address followed by :port, e.g. [::1]:7464');
    // A link-local bind needs its zone (`[fe80::1%eth0]:7464`), as node:net accepts it.
    if (parseIp(m[1]!, { zone: true })?.family !== 6) return no(`[${m[1]}] is not an IPv6 address`);
    host = m[1]!;
    portText = m[2]!;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon === -1) return no('it has no port');
    if (s.indexOf(':') !== colon) return no('an IPv6 host needs brackets, e.g. [::1]:7464');
    host = s.slice(0, colon) || host;
    portText = s.slice(colon + 1);
  }
  if (!/^[0-9]+$/.test(portText)) return no(`port '${portText}' is not a number`);
  const port = Number(portText);
  if (port > 65_535) return no(`port ${portText} is above 65535`);
  return { ok: true, address: { host, port } };
}

/**
 * Parses `host:port`, `[::1]:port`, `:port` or `port`. Throws MeshprobeError(BadRequest) with a
 * one-line fix-it message naming the setting, the text and the problem.
 */
export function parseListen(text: string, o: ListenOptions = {}): ListenAddress {
  const r = checkListen(text, o);
  if (r.ok) return r.address;
  const example = o.example ?? '127.0.0.1:7464';
  const v6 = `[::1]:${example.slice(example.lastIndexOf(':') + 1)}`;
  throw new MeshprobeError(ErrorCode.BadRequest, `${o.setting ?? 'listen address'} "${text}" is malformed: ${r.problem} (expected host:port, e.g. ${example} or ${v6})`);
}

/** The URL clients use to reach a server bound to `host:port` (wildcards map to loopback). */
export function urlFor(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
