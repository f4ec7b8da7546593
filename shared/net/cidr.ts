/**
 * IPv4 and IPv6 addresses and CIDR prefixes: parsing, normalisation, size and expansion.
 * Pure and runtime-neutral (no node:net): the grammar, the sweep and the renderers all use it,
 * in Node and in workerd. Address text itself (parse, RFC 5952 format) lives in ip-address.ts;
 * its names are re-exported here so importers of cidr.ts keep one import line.
 */
import { Limits } from '../model/limits.ts';
import { addressBits, formatIp, isIp, parseIp, type IpAddress } from './ip-address.ts';

export { addressBits, formatIp, isIp, normalizeIp, parseIp, type IpAddress } from './ip-address.ts';

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
