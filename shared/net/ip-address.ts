/**
 * IPv4 and IPv6 address text: the one strict parser and the one RFC 5952 formatter of the
 * project. Pure and runtime-neutral (no node:net, no imports), so the packet codec, the target
 * policy and the CIDR/sweep code share it without pulling in each other's dependencies.
 * Addresses are carried as bigint so one code path serves both families; {@link ipFromBytes}
 * and {@link ipToBytes} convert to and from the wire form.
 */

/** A parsed IP address. */
export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned integer (32 or 128 bits). */
  value: bigint;
}

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
    if (all?.length !== 8) return undefined;
    groups = all;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** Options of {@link parseIp}: the forms beyond a bare literal that a caller accepts. */
export interface ParseIpOptions {
  /** Accept a literal in brackets (`[::1]`, as in `[v6]:port` and URLs) and drop them. Default false. */
  brackets?: boolean;
  /**
   * Accept an IPv6 zone index (`fe80::1%eth0`) and drop it: the zone picks a link, not an
   * address, so the policy judges the address alone. Never on IPv4. Default false.
   */
  zone?: boolean;
}

/**
 * How a measurement target or a resolver's answer may write an address: brackets and an IPv6
 * zone allowed (and dropped). The target policy, the hub's gates and the agent's guard read hosts
 * this way; the grammar, the sweep and the packet codecs take strict literals.
 */
export const TARGET_ADDRESS: ParseIpOptions = Object.freeze({ brackets: true, zone: true });

const ZONE = /^[0-9A-Za-z_.-]+$/;

/**
 * Parses an IPv4 or IPv6 literal: the one address parser of the project. Strict by default
 * (no zone index, no brackets); surrounding whitespace is ignored. Forms such as `127.1`,
 * `0x7f.1`, `2130706433` or `010.0.0.1` are not literals (some tools read them as octal or
 * shorthand); they are hostnames, and the agent checks what the resolver makes of them.
 * Undefined when `s` is not a literal.
 */
export function parseIp(s: string, o: ParseIpOptions = {}): IpAddress | undefined {
  let t = s.trim();
  if (o.brackets && t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const pct = t.indexOf('%');
  if (pct !== -1) {
    // A zone only follows an IPv6 address, and names something (`fe80::1%` is a typo).
    if (!o.zone || !t.includes(':') || !ZONE.test(t.slice(pct + 1))) return undefined;
    t = t.slice(0, pct);
  }
  if (t.includes(':')) {
    const v = parseV6(t);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(t);
  return v === undefined ? undefined : { family: 4, value: v };
}

/** True when `s` is an IPv4 or IPv6 literal that {@link parseIp} accepts with the same options. */
export function isIp(s: string, o: ParseIpOptions = {}): boolean {
  return parseIp(s, o) !== undefined;
}

/**
 * Why `s` is not a strict literal, in one line naming the problem (a hex or shorthand IPv4
 * form, a leading zero, an octet over 255, a zone, brackets), for refusals that quote it.
 * Undefined when `s` is a literal.
 */
export function ipProblem(s: string): string | undefined {
  const t = s.trim();
  if (parseIp(t)) return undefined;
  if (t.startsWith('[') || t.endsWith(']')) return `'${t}' has brackets; they go around an IPv6 address before a port`;
  if (t.includes('%')) return `'${t}' has a zone index (%…); it is not part of an address`;
  if (!t.includes(':') && /^[0-9a-fA-FxX.]+$/.test(t) && /[0-9]/.test(t)) {
    const parts = t.split('.');
    if (/0x/i.test(t)) return `'${t}' is a hex IPv4 form; write a dotted quad such as 127.0.0.1`;
    if (parts.every((p) => /^[0-9]+$/.test(p))) {
      if (parts.length !== 4) return `'${t}' is a shorthand IPv4 form; write all four octets, e.g. 127.0.0.1`;
      if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return `'${t}' has an octet with a leading zero (octal to some tools)`;
      return `'${t}' has an octet over 255`;
    }
  }
  return `'${t}' is not an IPv4 or IPv6 address`;
}

/** Options of {@link formatIp}. */
export interface FormatIpOptions {
  /**
   * Write an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) with its dotted tail, as RFC 5952 §5
   * recommends and every tool prints it. Default true; false writes plain hex groups
   * (`::ffff:c000:201`), which the target policy's formatter has always done.
   */
  dottedMappedV4?: boolean;
}

/** Formats an address: dotted quad, or RFC 5952 canonical IPv6 (lower case, longest zero run as `::`). */
export function formatIp(family: 4 | 6, value: bigint, o: FormatIpOptions = {}): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((sh) => String((value >> sh) & 0xffn)).join('.');
  }
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  if ((o.dottedMappedV4 ?? true) && g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
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

/**
 * A run of consecutive addresses `first`..`last` (same family, first ≤ last), compactly: the part
 * both share is written once. IPv4 elides the first three octets when only the last differs
 * (`198.18.3.1-2`); IPv6 elides all but the last group when only the last 16 bits differ
 * (`2001:db8:3::1-2`, `2001:db8::fe-ff`), as does an IPv4-mapped address with its dotted tail
 * (`::ffff:192.0.2.1-9`). Otherwise, or when the canonical first address ends in `::`
 * (`2001:db8::-1` would read as a typo), both are written in full. One address is itself.
 */
export function formatIpRange(first: IpAddress, last: IpAddress): string {
  const a = formatIp(first.family, first.value);
  const b = formatIp(last.family, last.value);
  if (first.family !== last.family) return `${a}-${b}`;
  if (first.value === last.value) return a;
  if (first.family === 4 || a.includes('.')) {
    // IPv4, or the dotted tail of an IPv4-mapped IPv6 address: the last octet.
    if (first.value >> 8n === last.value >> 8n && b.includes('.')) return `${a}-${b.slice(b.lastIndexOf('.') + 1)}`;
    return `${a}-${b}`;
  }
  if (first.value >> 16n === last.value >> 16n && !a.endsWith(':') && !b.endsWith(':')) {
    return `${a}-${(last.value & 0xffffn).toString(16)}`;
  }
  return `${a}-${b}`;
}

/** Canonical text of an address literal (`2001:DB8:0::1` → `2001:db8::1`); undefined when not one. */
export function normalizeIp(s: string): string | undefined {
  const a = parseIp(s);
  return a && formatIp(a.family, a.value);
}

/** The address in 4 or 16 bytes (network order), the family deciding. Throws RangeError otherwise. */
export function ipFromBytes(b: Uint8Array): IpAddress {
  if (b.length !== 4 && b.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, not ${b.length}`);
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return { family: b.length === 4 ? 4 : 6, value: v };
}

/** The address as 4 (IPv4) or 16 (IPv6) bytes in network order. */
export function ipToBytes(ip: IpAddress): Uint8Array {
  const out = new Uint8Array(ip.family === 4 ? 4 : 16);
  let v = ip.value;
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
