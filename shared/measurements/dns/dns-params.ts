/**
 * dns's defaults and its parameters with them filled in: the record type, the transport and its
 * port, the per-query timeout, the root servers of a trace.
 */
import { CommonDefaults } from '../../model/limits.ts';
import type { MeasurementSpec } from '../../model/spec.ts';

/** Defaults of the fields only dns reads (none are numbers: see {@link dnsParams}). */
export const DnsDefaults = {} as const;

/** The port of each transport (RFC 1035, RFC 7858; DoH rides HTTPS). */
export const DNS_PORTS = { udp: 53, tcp: 53, dot: 853, doh: 443 } as const;

/** Most delegation steps a trace follows before it gives up (dig's own bound is similar). */
export const MAX_TRACE_STEPS = 16;

/**
 * The IPv4 root server addresses (IANA's root hints, named a–m.root-servers.net); a lab passes
 * its own with `--roots` or MESHPROBE_DNS_ROOTS.
 */
export const ROOT_HINTS: readonly string[] = [
  '198.41.0.4', '170.247.170.2', '192.33.4.12', '199.7.91.13', '192.203.230.10', '192.5.5.241', '192.112.36.4',
  '198.97.190.53', '192.36.148.17', '192.58.128.30', '193.0.14.129', '199.7.83.42', '202.12.27.33',
];

/** dns parameters with defaults filled in. */
export interface DnsParams {
  queryType: string;
  transport: 'udp' | 'tcp' | 'dot' | 'doh';
  /** Per query (each UDP try, each TCP exchange), ms. */
  timeoutMs: number;
  trace: boolean;
  dnssec: boolean;
  insecure: boolean;
}

/** Fills in dns defaults: A (PTR for an address), UDP (DoH when a URL is given), 2 s per query. */
export function dnsParams(spec: MeasurementSpec, target: string): DnsParams {
  const looksLikeAddress = /^[0-9.]+$/.test(target) || target.includes(':');
  return {
    queryType: spec.queryType ?? (looksLikeAddress ? 'PTR' : 'A'),
    transport: spec.transport ?? (spec.dohUrl ? 'doh' : 'udp'),
    timeoutMs: spec.timeoutMs ?? CommonDefaults.timeoutMs,
    trace: spec.trace ?? false,
    dnssec: spec.dnssec ?? false,
    insecure: spec.insecure ?? false,
  };
}

/** The reverse-lookup name of an IP address (in-addr.arpa / ip6.arpa), or undefined for a name. */
export function reverseName(address: string): string | undefined {
  if (/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  if (!address.includes(':')) return undefined;
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  if (h.length + t.length > 8 || (tail === undefined && h.length !== 8)) return undefined;
  const groups = [...h, ...Array(tail !== undefined ? 8 - h.length - t.length : 0).fill('0'), ...t];
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return `${groups.map((g) => g.padStart(4, '0')).join('').toLowerCase().split('').reverse().join('.')}.ip6.arpa`;
}
