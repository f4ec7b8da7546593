/**
 * IPv4 and IPv6 addresses and CIDR prefixes: parsing, normalisation, size and expansion.
 * Pure and runtime-neutral (no node:net): the grammar, the sweep and the renderers all use it,
 * in Node and in workerd. Addresses are carried as bigint so one code path serves both families.
 */
import { Limits } from './spec.ts';

/** A parsed IP address. */
export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned integer (32 or 128 bits). */
  value: bigint;
}

/** A normalised CIDR prefix (host bits cleared). */
export interface Prefix {
  family: 4 | 6;
  /** The network address as an unsigned integer. */
  base: bigint;
  /** Prefix length: 0–32 (v4) or 0–128 (v6). */
  bits: number;
  /** Canonical text, e.g. `127.1.0.0/24` or `2001:db8::/120`. */
  text: string;
  /** True when the input had host bits set (`127.1.0.5/24`); they were cleared. */
  hostBitsSet: boolean;
}

/** Result of {@link parseCidr}: a value, never an exception. */
export type CidrResult = { ok: true; prefix: Prefix } | { ok: false; message: string };

/** Width in bits of an address of `family`. */
export function addressBits(family: 4 | 6): number {
  return family === 4 ? 32 : 128;
}

const V4_OCTET = /^(0|[1-9][0-9]{0,2})$/;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are refused, as inet_pton does: "010" would be octal to some tools.
    if (!V4_OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseV6(s: string): bigint | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string, allowV4Tail: boolean): number[] | undefined => {
    if (part === '') return [];
    const items = part.split(':');
    const out: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      if (allowV4Tail && i === items.length - 1 && it.includes('.')) {
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (V6_GROUP.test(it)) {
        out.push(parseInt(it, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  let groups: number[];
  if (halves.length === 2) {
    const head = groupsOf(halves[0]!, false);
    const tail = groupsOf(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = groupsOf(s, true);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an IPv4 or IPv6 literal (no zone index, no brackets). Undefined when it is not one. */
export function parseIp(s: string): IpAddress | undefined {
  const t = s.trim();
  if (t.includes(':')) {
    const v = parseV6(t);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(t);
  return v === undefined ? undefined : { family: 4, value: v };
}

/** True when `s` is an IPv4 or IPv6 literal. */
export function isIp(s: string): boolean {
  return parseIp(s) !== undefined;
}

/** Formats an address: dotted quad, or RFC 5952 canonical IPv6 (lower case, longest zero run as `::`). */
export function formatIp(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 0xffn)).join('.');
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // IPv4-mapped addresses keep the dotted tail (RFC 5952 §5).
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${formatIp(4, value & 0xffffffffn)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    // RFC 5952 §4.2.2: a single zero group is not compressed; the first longest run wins.
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical text of an address literal (`2001:DB8:0::1` → `2001:db8::1`); undefined when not one. */
export function normalizeIp(s: string): string | undefined {
  const a = parseIp(s);
  return a && formatIp(a.family, a.value);
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = BigInt(addressBits(family));
  const host = width - BigInt(bits);
  return ((1n << width) - 1n) ^ ((1n << host) - 1n);
}

/**
 * Parses `ADDRESS/LENGTH`. Host bits are cleared (`127.1.0.5/24` → `127.1.0.0/24`, flagged
 * `hostBitsSet`) as fping -g does, rather than refused. Never throws.
 */
export function parseCidr(input: string): CidrResult {
  const s = input.trim();
  const slash = s.indexOf('/');
  if (slash < 0) {
    if (isIp(s)) {
      const a = parseIp(s)!;
      return { ok: false, message: `${s} is an address, not a prefix; write ${s}/${addressBits(a.family)} for one host` };
    }
    return { ok: false, message: `'${s}' is not a CIDR prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/120)` };
  }
  const addrText = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  const addr = parseIp(addrText);
  if (!addr) return { ok: false, message: `'${addrText}' is not an IPv4 or IPv6 address` };
  const width = addressBits(addr.family);
  if (!/^[0-9]{1,3}$/.test(lenText) || Number(lenText) > width) {
    return { ok: false, message: `'/${lenText}' is not a prefix length (0–${width} for IPv${addr.family})` };
  }
  const bits = Number(lenText);
  const base = addr.value & mask(addr.family, bits);
  return {
    ok: true,
    prefix: {
      family: addr.family,
      base,
      bits,
      text: `${formatIp(addr.family, base)}/${bits}`,
      hostBitsSet: base !== addr.value,
    },
  };
}

/** Number of addresses in the prefix (bigint: an IPv6 /0 has 2^128). */
export function prefixSize(p: Prefix): bigint {
  return 1n << BigInt(addressBits(p.family) - p.bits);
}

/** The address at `index` (0 = the network address) as text. RangeError outside the prefix. */
export function addressAt(p: Prefix, index: number | bigint): string {
  const i = BigInt(index);
  if (i < 0n || i >= prefixSize(p)) throw new RangeError(`index ${i} is outside ${p.text}`);
  return formatIp(p.family, p.base + i);
}

/** Position of `address` inside the prefix, or -1 when it is not inside (or not an address). */
export function indexInPrefix(p: Prefix, address: string | IpAddress): number {
  const a = typeof address === 'string' ? parseIp(address) : address;
  if (!a || a.family !== p.family) return -1;
  const off = a.value - p.base;
  if (off < 0n || off >= prefixSize(p)) return -1;
  return Number(off);
}

/** True when `address` lies inside the prefix. */
export function prefixContains(p: Prefix, address: string | IpAddress): boolean {
  return indexInPrefix(p, address) >= 0;
}

/** Every address of the prefix, in order, as text. Lazy: callers should check the size first. */
export function* prefixAddresses(p: Prefix): Generator<string> {
  const n = prefixSize(p);
  for (let i = 0n; i < n; i++) yield formatIp(p.family, p.base + i);
}

/** The sweep-size bound per family, from {@link Limits}: the shortest prefix length allowed. */
export function minSweepBits(family: 4 | 6, limits: { minSweepPrefixV4: number; minSweepPrefixV6: number } = Limits): number {
  return family === 4 ? limits.minSweepPrefixV4 : limits.minSweepPrefixV6;
}

/**
 * Checks a prefix against the sweep-size bound. Returns a one-line reason naming the bound,
 * or undefined when the prefix may be swept.
 */
export function checkSweepSize(
  p: Prefix,
  limits: { minSweepPrefixV4: number; minSweepPrefixV6: number } = Limits,
): string | undefined {
  const min = minSweepBits(p.family, limits);
  if (p.bits >= min) return undefined;
  const maxAddrs = 1n << BigInt(addressBits(p.family) - min);
  return `${p.text} has ${prefixSize(p)} addresses; the largest IPv${p.family} sweep is a /${min} (${maxAddrs} addresses)`;
}
