/**
 * IPv4 and IPv6 CIDR prefixes: the one prefix parser of the project, and size, containment
 * and expansion. Pure and runtime-neutral (no node:net): the grammar, the sweep, the renderers,
 * the target policy and the hub's and agent's allowed ranges all use it, in Node and in workerd,
 * so a prefix one layer accepts is the prefix every other layer checks. Address text itself
 * (parse, RFC 5952 format) lives in ip-address.ts.
 */
import { Limits } from '../model/limits.ts';
import { addressBits, formatIp, ipProblem, parseIp, type IpAddress } from './ip-address.ts';

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

/** Options of {@link parseCidr}. */
export interface ParseCidrOptions {
  /**
   * Accept a bare address as its host prefix (`10.0.0.1` → `10.0.0.1/32`), as allow-lists
   * (`--allow`, MESHPROBE_AGENT_RANGES) do. Default false: a sweep target must say its length,
   * and a bare address is refused with the `/32` (`/128`) to write.
   */
  bareAddress?: boolean;
}

const fail = (message: string): CidrResult => ({ ok: false, message });

/**
 * Parses `ADDRESS/LENGTH`: strict address literals (see ip-address.ts), a length without
 * leading zeros, surrounding whitespace ignored. Host bits are cleared (`127.1.0.5/24` →
 * `127.1.0.0/24`, flagged `hostBitsSet`) as fping -g does, rather than refused. Brackets, zone
 * indexes and inner whitespace are refused: none has a meaning in a range. Never throws; a
 * refusal is one line naming the problem.
 */
export function parseCidr(input: string, o: ParseCidrOptions = {}): CidrResult {
  const s = input.trim();
  if (/\s/.test(s)) return fail(`'${s}' contains whitespace; write a prefix as one word, e.g. 192.0.2.0/24`);
  if (/[[\]]/.test(s)) return fail(`'${s}' has brackets; they go around an IPv6 address before a port, not in a prefix`);
  if (s.includes('%')) return fail(`'${s}' has a zone index; a zone names a link, not a range of addresses`);
  const slash = s.indexOf('/');
  if (slash < 0) {
    const a = parseIp(s);
    if (a && o.bareAddress) return { ok: true, prefix: makePrefix(a, addressBits(a.family)) };
    if (a) return fail(`${s} is an address, not a prefix; write ${s}/${addressBits(a.family)} for one host`);
    return fail(`'${s}' is not a CIDR prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/120)`);
  }
  const addrText = s.slice(0, slash);
  const lenText = s.slice(slash + 1);
  const addr = parseIp(addrText);
  if (!addr) return fail(ipProblem(addrText)!);
  const width = addressBits(addr.family);
  if (/^0[0-9]+$/.test(lenText)) return fail(`'/${lenText}' has a leading zero; write /${Number(lenText)}`);
  if (!/^[0-9]{1,3}$/.test(lenText) || Number(lenText) > width) {
    return fail(`'/${lenText}' is not a prefix length (0–${width} for IPv${addr.family})`);
  }
  return { ok: true, prefix: makePrefix(addr, Number(lenText)) };
}

function makePrefix(addr: IpAddress, bits: number): Prefix {
  const base = addr.value & mask(addr.family, bits);
  return { family: addr.family, base, bits, text: `${formatIp(addr.family, base)}/${bits}`, hostBitsSet: base !== addr.value };
}

/** The network address of a prefix, as an address (for classifying or formatting it). */
export function prefixAddress(p: Prefix): IpAddress {
  return { family: p.family, value: p.base };
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

/** True when two prefixes share at least one address. Aligned prefixes nest or are disjoint. */
export function prefixesOverlap(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  return a.bits <= b.bits ? prefixContains(a, prefixAddress(b)) : prefixContains(b, prefixAddress(a));
}

/** True when all of `inner` lies inside `outer`. */
export function prefixCovers(outer: Prefix, inner: Prefix): boolean {
  return outer.family === inner.family && outer.bits <= inner.bits && prefixContains(outer, prefixAddress(inner));
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
