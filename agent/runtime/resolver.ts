/**
 * Name resolution for probes. With `servers` (e.g. ['127.0.0.1:5353']) it asks those DNS servers
 * directly — that is how tests and labs keep names off the real DNS; otherwise it uses the
 * system resolver (dns.lookup: /etc/hosts, nsswitch). IP literals never touch DNS.
 */
import { lookup, Resolver as DnsResolver, reverse as systemReverse } from 'node:dns/promises';
import { ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { isIp, parseIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';

export interface ResolverOptions {
  /** DNS servers as 'ip' or 'ip:port' ('[v6]:port'); default: the system resolver. */
  servers?: string[];
  /** Per-query timeout in ms when `servers` is given. Default 2000. */
  timeoutMs?: number;
}

export interface Resolved {
  address: string;
  family: 4 | 6;
}

// getaddrinfo's wording, which iputils ping prints ("ping: x: Name or service not known").
function reason(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return 'Name or service not known';
    case 'ENODATA':
      return 'No address associated with hostname';
    case 'ETIMEOUT':
    case 'ECONNREFUSED':
    case 'ESERVFAIL':
    case 'EAI_AGAIN':
      return 'Temporary failure in name resolution';
    case 'EBADNAME':
      return 'Invalid name';
    default:
      return err instanceof Error ? err.message.split('\n')[0]! : String(err);
  }
}

export class Resolver {
  readonly #dns: DnsResolver | undefined;

  constructor(o: ResolverOptions = {}) {
    if (o.servers && o.servers.length > 0) {
      // Two tries, short timeout: a loopback test server answers at once, and a wrong server should fail fast.
      this.#dns = new DnsResolver({ timeout: o.timeoutMs ?? 2000, tries: 2 });
      try {
        this.#dns.setServers(o.servers);
      } catch (err) {
        throw new MeshprobeError(ErrorCode.BadRequest, `bad DNS server list ${o.servers.join(',')}: ${reason(err)}`, { cause: err });
      }
    }
  }

  /**
   * Resolves `host` to one address, of `family` when given (A first, then AAAA, otherwise).
   * Throws MeshprobeError(MP_ERR_RESOLVE, "cannot resolve NAME: …").
   */
  async resolve(host: string, family?: 4 | 6): Promise<Resolved> {
    // The literal forms the target guard accepts (brackets, an IPv6 zone), read by the same parser.
    const literal = parseIp(host, TARGET_ADDRESS)?.family;
    if (literal) {
      const address = host.startsWith('[') ? host.slice(1, -1) : host;
      if (family && literal !== family) {
        throw new MeshprobeError(ErrorCode.ResolveFailed, `cannot resolve ${host}: it is an IPv${literal} address, IPv${family} was asked for`);
      }
      return { address, family: literal };
    }
    if (!host || host.length > 253 || /[\s/]/.test(host)) {
      throw new MeshprobeError(ErrorCode.ResolveFailed, `cannot resolve ${host}: Invalid name`);
    }
    try {
      if (this.#dns) return await this.#viaServers(host, family);
      const r = await lookup(host, { family: family ?? 0 });
      return { address: r.address, family: r.family as 4 | 6 };
    } catch (err) {
      if (err instanceof MeshprobeError) throw err;
      throw new MeshprobeError(ErrorCode.ResolveFailed, `cannot resolve ${host}: ${reason(err)}`, { cause: err });
    }
  }

  async #viaServers(host: string, family?: 4 | 6): Promise<Resolved> {
    const dns = this.#dns!;
    const order: (4 | 6)[] = family ? [family] : [4, 6];
    let first: unknown;
    for (const f of order) {
      try {
        const list = f === 4 ? await dns.resolve4(host) : await dns.resolve6(host);
        if (list.length > 0) return { address: list[0]!, family: f };
      } catch (err) {
        first ??= err;
        // NXDOMAIN will not get better with the other family.
        if ((err as { code?: string }).code === 'ENOTFOUND') break;
      }
    }
    throw first ?? Object.assign(new Error('no address'), { code: 'ENODATA' });
  }

  /** The first PTR name of `address`, or undefined when there is none or the lookup fails. */
  async reverse(address: string): Promise<string | undefined> {
    if (!isIp(address, TARGET_ADDRESS)) return undefined;
    try {
      const names = this.#dns ? await this.#dns.reverse(address) : await systemReverse(address);
      return names[0]?.replace(/\.$/, '') || undefined;
    } catch {
      return undefined;
    }
  }
}
