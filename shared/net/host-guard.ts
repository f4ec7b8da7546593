/**
 * The Host and Origin check of every HTTP endpoint of a hub (`/v1/*`, `/mcp`): the defence
 * against DNS rebinding and cross-site requests from a browser. A hostile page may make the
 * visitor's browser send requests to a hub on loopback or the LAN; DNS rebinding then gives
 * them the page's own name in `Host`, and a cross-site form or fetch carries the page's
 * `Origin`. So a request is refused when its Host is not an allowed name, or when it carries
 * an Origin (browsers send one on every cross-site and every non-GET request) that is neither
 * listed nor on an allowed host; `Origin: null` (sandboxed frames, file: pages) is refused too.
 * Requests without Origin (curl, the hub client, agents) pass whatever their content type.
 * Pure: runs anywhere (hub, MCP server, workerd).
 */
import { isIp } from './ip-address.ts';

/** Options of {@link HostGuard}. */
export interface HostGuardOptions {
  /**
   * Host names (no port) accepted in the Host header; `*` accepts any Host (an operator who
   * checks it in a reverse proxy). Default: localhost, 127.0.0.1, ::1.
   */
  allowedHosts?: readonly string[];
  /** Origins (`scheme://host[:port]`) accepted besides those whose host is an allowed host. */
  allowedOrigins?: readonly string[];
  /**
   * Also accept any IP address literal as Host. DNS rebinding needs a name the attacker
   * controls, so a Host that is an address cannot come from it, and hubs reached by address
   * (LAN, remote agents and CLIs given `http://10.0.0.5:7464`) keep working. Default false.
   */
  allowAddressHosts?: boolean;
  /** The URL clients use (MESHPROBE_MCP_PUBLIC_URL): its host name is allowed too. */
  publicUrl?: string | undefined;
  /** Names the settings in refusals, e.g. `MESHPROBE_ALLOWED_HOSTS`. */
  hostsSetting?: string;
  originsSetting?: string;
}

/** Host names every guard accepts unless told `*`. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

export class HostGuard {
  /** undefined: any Host. */
  readonly #hosts: Set<string> | undefined;
  readonly #addresses: boolean;
  readonly #origins: Set<string>;
  readonly #hostsSetting: string;
  readonly #originsSetting: string;

  constructor(o: HostGuardOptions = {}) {
    const hosts = o.allowedHosts ?? DEFAULT_ALLOWED_HOSTS;
    if (hosts.includes('*')) this.#hosts = undefined;
    else {
      this.#hosts = new Set(hosts.map(bare));
      if (o.publicUrl) this.#hosts.add(bare(new URL(o.publicUrl).hostname));
    }
    this.#addresses = o.allowAddressHosts ?? false;
    this.#origins = new Set((o.allowedOrigins ?? []).map((x) => x.replace(/\/+$/, '').toLowerCase()));
    this.#hostsSetting = o.hostsSetting ?? 'allowedHosts';
    this.#originsSetting = o.originsSetting ?? 'allowedOrigins';
  }

  /**
   * Undefined when the request may proceed, else a one-line reason naming the setting that
   * would allow it. `host` and `origin` are the raw header values (undefined when absent).
   */
  check(host: string | undefined, origin: string | undefined): string | undefined {
    if (this.#hosts) {
      const name = hostnameOf(host);
      if (name === undefined || !(this.#hosts.has(name) || (this.#addresses && isIp(name)))) {
        return `Host '${clip(host ?? '')}' is not allowed here (DNS rebinding protection; see ${this.#hostsSetting})`;
      }
    }
    if (origin === undefined) return undefined;
    if (origin === 'null') return "Origin 'null' is not allowed here (cross-site request protection)";
    if (this.#origins.has(origin.replace(/\/+$/, '').toLowerCase())) return undefined;
    let originHost: string | undefined;
    try {
      originHost = bare(new URL(origin).hostname);
    } catch {
      originHost = undefined;
    }
    if (originHost !== undefined && this.#hosts?.has(originHost)) return undefined;
    return `Origin '${clip(origin)}' is not allowed here (cross-site request protection; see ${this.#originsSetting})`;
  }
}

function bare(host: string): string {
  return host.toLowerCase().replace(/^\[|\]$/g, '');
}

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return bare(new URL(`http://${host}`).hostname);
  } catch {
    return undefined;
  }
}

/** Header values are untrusted: keep the refusal one short line. */
function clip(s: string): string {
  const t = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return t.length > 100 ? `${t.slice(0, 100)}…` : t;
}

/**
 * Whether a request comes from a user on this machine: a loopback peer that is not relaying
 * someone else's request. Proxies on this machine (the MCP endpoint, nginx) connect from
 * loopback on behalf of remote clients and say so with `Forwarded` / `X-Forwarded-For` /
 * `X-Real-IP`; such requests are not local. Used to decide who may be told local details
 * such as where the admin token file is.
 */
export function isLocalClient(remoteAddress: string | undefined, headers: Record<string, string | string[] | undefined>): boolean {
  if (!remoteAddress || !isLoopbackAddress(remoteAddress)) return false;
  return headers.forwarded === undefined && headers['x-forwarded-for'] === undefined && headers['x-real-ip'] === undefined;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped 127.x. */
export function isLoopbackAddress(ip: string): boolean {
  return ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.');
}

/** The `Forwarded` value a relay on this machine sends to the hub (RFC 7239 obfuscated node). */
export const LOCAL_RELAY_FORWARDED = 'for=_meshprobe-relay';
