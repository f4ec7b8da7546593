/**
 * Target address policy (design §8): classifies IP addresses into special-purpose ranges and
 * decides whether a deployment may measure them. Pure and runtime-neutral: the parser is ours
 * (no node:net) so the same code runs at the hub, at the agent after DNS resolution, and in workerd.
 *
 * Only strict literals are accepted (dotted quads, RFC 4291 IPv6 text). Forms such as `127.1`
 * or `0x7f000001` are not IP literals here; they are hostnames, and the agent checks whatever the
 * resolver makes of them before any packet is sent. This module parses nothing itself: addresses
 * are read by ip-address.ts (in its TARGET_ADDRESS form: brackets and IPv6 zones allowed) and
 * prefixes by cidr.ts, the parsers the grammar and the sweep use; it adds the ranges.
 */
import { formatIp as formatAddress, parseIp, TARGET_ADDRESS, type IpAddress } from './ip-address.ts';
import { parseCidr, prefixAddress, prefixContains, prefixCovers, prefixesOverlap, type Prefix } from './cidr.ts';

/** What kind of address this is, by IANA special-purpose registries (RFC 6890 and successors). */
export type AddressKind =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'documentation'
  | 'benchmark'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'unique-local';

/** The deployment's target policy: `public` refuses every non-public range; `lan` allows them. */
export type PolicyMode = 'public' | 'lan';

/** A parsed IP address (the shared type of ip-address.ts: family + bigint value). */
export type { IpAddress };

/** The classification of one address. */
export interface AddressClass {
  kind: AddressKind;
  family: 4 | 6;
  /** The registry range that matched, e.g. `127.0.0.0/8`; absent for public addresses. */
  range?: string;
  /** For IPv4-mapped, NAT64 and 6to4 forms: the embedded IPv4 address that decided the kind. */
  embedded?: string;
}

/** The answer of {@link isAllowed}: a refusal always carries a one-line reason naming the range. */
export type PolicyDecision = { ok: true; class: AddressClass } | { ok: false; reason: string; class?: AddressClass };

interface RangeRule {
  cidr: string;
  kind: AddressKind;
  /** Where the embedded IPv4 address sits (byte offset); the embedded address decides the kind. */
  embedsV4At?: number;
}

// Order matters: the first match wins, so narrower ranges come before wider ones.
const V4_RULES: RangeRule[] = [
  { cidr: '0.0.0.0/32', kind: 'unspecified' },
  { cidr: '0.0.0.0/8', kind: 'reserved' },
  { cidr: '10.0.0.0/8', kind: 'private' },
  { cidr: '100.64.0.0/10', kind: 'cgnat' },
  { cidr: '127.0.0.0/8', kind: 'loopback' },
  { cidr: '169.254.0.0/16', kind: 'link-local' },
  { cidr: '172.16.0.0/12', kind: 'private' },
  { cidr: '192.0.0.0/24', kind: 'reserved' },
  { cidr: '192.0.2.0/24', kind: 'documentation' },
  { cidr: '192.31.196.0/24', kind: 'reserved' },
  { cidr: '192.52.193.0/24', kind: 'reserved' },
  { cidr: '192.88.99.0/24', kind: 'reserved' },
  { cidr: '192.168.0.0/16', kind: 'private' },
  { cidr: '192.175.48.0/24', kind: 'reserved' },
  { cidr: '198.18.0.0/15', kind: 'benchmark' },
  { cidr: '198.51.100.0/24', kind: 'documentation' },
  { cidr: '203.0.113.0/24', kind: 'documentation' },
  { cidr: '224.0.0.0/4', kind: 'multicast' },
  { cidr: '255.255.255.255/32', kind: 'reserved' },
  { cidr: '240.0.0.0/4', kind: 'reserved' },
];

const V6_RULES: RangeRule[] = [
  { cidr: '::/128', kind: 'unspecified' },
  { cidr: '::1/128', kind: 'loopback' },
  // A dual-stack socket sends ::ffff:a.b.c.d to a.b.c.d, so the IPv4 address decides.
  { cidr: '::ffff:0:0/96', kind: 'public', embedsV4At: 12 },
  // Deprecated IPv4-compatible form (RFC 4291 §2.5.5.1); never public, but name what it embeds.
  { cidr: '::/96', kind: 'reserved', embedsV4At: 12 },
  // NAT64 well-known prefix: a translator forwards to the embedded IPv4 address.
  { cidr: '64:ff9b::/96', kind: 'public', embedsV4At: 12 },
  { cidr: '64:ff9b:1::/48', kind: 'reserved' },
  { cidr: '100::/64', kind: 'reserved' },
  { cidr: '2001:db8::/32', kind: 'documentation' },
  { cidr: '2001:2::/48', kind: 'benchmark' },
  { cidr: '2001::/23', kind: 'reserved' },
  // 6to4: the relay forwards to the IPv4 address in bytes 2..5.
  { cidr: '2002::/16', kind: 'public', embedsV4At: 2 },
  { cidr: '3fff::/20', kind: 'documentation' },
  { cidr: '5f00::/16', kind: 'reserved' },
  { cidr: 'fc00::/7', kind: 'unique-local' },
  { cidr: 'fe80::/10', kind: 'link-local' },
  { cidr: 'fec0::/10', kind: 'reserved' },
  { cidr: 'ff00::/8', kind: 'multicast' },
];

interface CompiledRule extends RangeRule {
  net: Prefix;
}

/** A built-in range, parsed by the one prefix parser. */
function builtIn(cidr: string): Prefix {
  const r = parseCidr(cidr);
  if (!r.ok) throw new Error(`bad built-in range ${cidr}: ${r.message}`);
  return r.prefix;
}

const compile = (rules: RangeRule[]): CompiledRule[] => rules.map((r) => ({ ...r, net: builtIn(r.cidr) }));

let compiled: { v4: CompiledRule[]; v6: CompiledRule[]; globalUnicastV6: Prefix; mappedV4: Prefix } | undefined;
function rules(): NonNullable<typeof compiled> {
  compiled ??= { v4: compile(V4_RULES), v6: compile(V6_RULES), globalUnicastV6: builtIn(GLOBAL_UNICAST_V6), mappedV4: builtIn('::ffff:0:0/96') };
  return compiled;
}

const GLOBAL_UNICAST_V6 = '2000::/3';

/** The prefixes of an allow-list; a bare address counts as its host prefix, a bad entry as none. */
function allowList(ranges: readonly string[]): Prefix[] {
  return ranges.flatMap((r) => {
    const p = parseCidr(r, { bareAddress: true });
    return p.ok ? [p.prefix] : [];
  });
}

/**
 * Formats an address: dotted quad, or RFC 5952 IPv6 (longest zero run compressed, lower case).
 * IPv4-mapped addresses stay in hex groups (`::ffff:c000:201`), as this formatter always wrote them.
 */
export function formatIp(ip: IpAddress): string {
  return formatAddress(ip.family, ip.value, { dottedMappedV4: false });
}

/**
 * Classifies an address (string literal or parsed). Returns undefined when `address` is not an
 * IP literal. IPv4-mapped, NAT64 and 6to4 addresses take the kind of the IPv4 address they embed.
 */
export function classifyAddress(address: string | IpAddress): AddressClass | undefined {
  const ip = typeof address === 'string' ? parseIp(address, TARGET_ADDRESS) : address;
  if (!ip) return undefined;
  const table = ip.family === 4 ? rules().v4 : rules().v6;
  for (const r of table) {
    if (!prefixContains(r.net, ip)) continue;
    if (r.embedsV4At !== undefined) {
      // embedsV4At counts bytes from the front of the 16; shift the four bytes down to the bottom.
      const v4: IpAddress = { family: 4, value: (ip.value >> BigInt((12 - r.embedsV4At) * 8)) & 0xffffffffn };
      const inner = classifyAddress(v4)!;
      const embedded = formatIp(v4);
      // The deprecated compatible form is never routable, whatever it embeds.
      const kind = inner.kind === 'public' ? r.kind : inner.kind;
      const range = kind === 'public' ? undefined : inner.kind === 'public' ? r.cidr : inner.range;
      return { kind, family: 6, embedded, ...(range ? { range } : {}) };
    }
    return { kind: r.kind, family: ip.family, range: r.cidr };
  }
  if (ip.family === 6 && !prefixContains(rules().globalUnicastV6, ip)) {
    return { kind: 'reserved', family: 6, range: `outside ${GLOBAL_UNICAST_V6}` };
  }
  return { kind: 'public', family: ip.family };
}

const ARTICLE: Record<AddressKind, string> = {
  public: 'a public',
  private: 'a private',
  loopback: 'a loopback',
  'link-local': 'a link-local',
  cgnat: 'a CGNAT (shared)',
  documentation: 'a documentation',
  benchmark: 'a benchmarking',
  multicast: 'a multicast',
  unspecified: 'the unspecified',
  reserved: 'a reserved',
  'unique-local': 'a unique-local',
};

/** Options of {@link isAllowed}. */
export interface PolicyOptions {
  /**
   * CIDR prefixes this agent may measure (per-agent restriction). When given and non-empty,
   * an address outside all of them is refused in either mode. Default: no restriction.
   */
  allowedRanges?: readonly string[];
}

/**
 * Decides whether `address` (an IP literal) may be measured under `mode`. `public` refuses
 * every non-public range; `lan` allows everything. `allowedRanges`, when given, further restricts
 * to those prefixes. Anything that is not an IP literal is refused: resolve first, then ask.
 *
 * @example isAllowed('127.0.0.1', 'public') // { ok: false, reason: '127.0.0.1 is a loopback address (127.0.0.0/8); refused by the public policy' }
 */
export function isAllowed(address: string, mode: PolicyMode, options: PolicyOptions = {}): PolicyDecision {
  const ip = parseIp(address, TARGET_ADDRESS);
  if (!ip) return { ok: false, reason: `${address} is not an IP address; resolve it before checking the policy` };
  const cls = classifyAddress(ip)!;
  const shown = address.trim().replace(/^\[|\]$/g, '');
  if (mode === 'public' && cls.kind !== 'public') {
    return { ok: false, reason: `${shown} is ${describeAddressClass(cls)}; refused by the public policy`, class: cls };
  }
  const ranges = options.allowedRanges ?? [];
  if (ranges.length > 0) {
    const nets = allowList(ranges);
    // An IPv4-mapped address is allowed by an IPv4 range: it reaches the same host.
    const mappedV4 = ip.family === 6 && cls.embedded && prefixContains(rules().mappedV4, ip) ? parseIp(cls.embedded) : undefined;
    const inside = nets.some((n) => prefixContains(n, ip) || (mappedV4 !== undefined && prefixContains(n, mappedV4)));
    if (!inside) {
      return { ok: false, reason: `${shown} is outside this agent's allowed ranges (${ranges.join(', ')})`, class: cls };
    }
  }
  return { ok: true, class: cls };
}

/** Describes a classification for messages: `a loopback address (127.0.0.0/8)`. */
export function describeAddressClass(cls: AddressClass): string {
  const range = cls.range ? ` (${cls.embedded ? `IPv4-embedded ${cls.embedded}, ` : ''}${cls.range})` : '';
  return `${ARTICLE[cls.kind]} address${range}`;
}

/**
 * Decides whether a sweep prefix (`probe` target, e.g. `192.0.2.0/24`) may be measured: in
 * `public` mode it must not overlap any non-public range; with `allowedRanges` it must lie inside
 * one of them.
 */
export function isPrefixAllowed(cidr: string, mode: PolicyMode, options: PolicyOptions = {}): PolicyDecision {
  const parsed = parseCidr(cidr, { bareAddress: true });
  if (!parsed.ok) return { ok: false, reason: parsed.message };
  const net = parsed.prefix;
  const first = classifyAddress(prefixAddress(net))!;
  if (mode === 'public') {
    const table = net.family === 4 ? rules().v4 : rules().v6;
    for (const r of table) {
      if (!prefixesOverlap(r.net, net)) continue;
      // A wide public-looking embedding range (NAT64, 6to4) may still embed private space.
      if (r.kind === 'public' && r.embedsV4At === undefined) continue;
      if (r.kind === 'public' && net.bits < r.net.bits) {
        return { ok: false, reason: `${cidr} overlaps ${r.cidr}, which embeds IPv4 addresses; refused by the public policy`, class: first };
      }
      if (r.kind === 'public') {
        const c = classifyAddress(prefixAddress(net))!;
        if (c.kind !== 'public') return { ok: false, reason: `${cidr} covers ${describeAddressClass(c)}; refused by the public policy`, class: c };
        continue;
      }
      return { ok: false, reason: `${cidr} overlaps ${ARTICLE[r.kind]} range (${r.cidr}); refused by the public policy`, class: first };
    }
    if (net.family === 6 && !prefixesOverlap(rules().globalUnicastV6, net)) {
      return { ok: false, reason: `${cidr} is outside global unicast space (2000::/3); refused by the public policy`, class: first };
    }
  }
  const ranges = options.allowedRanges ?? [];
  if (ranges.length > 0) {
    if (!allowList(ranges).some((n) => prefixCovers(n, net))) {
      return { ok: false, reason: `${cidr} is not inside this agent's allowed ranges (${ranges.join(', ')})`, class: first };
    }
  }
  return { ok: true, class: first };
}

/** Parses a policy mode from configuration text; undefined for anything else. */
export function parsePolicyMode(text: string | undefined): PolicyMode | undefined {
  const t = text?.trim().toLowerCase();
  return t === 'public' || t === 'lan' ? t : undefined;
}
