/**
 * The special-range label of an address (issue 16): what a hop or target is when no database can
 * name a network for it. Built on the policy classifier (address-policy.ts, the one table of
 * IANA special-purpose ranges), with the community range DN42 uses inside RFC 1918
 * (172.20.0.0/14), labelled DN42 in preference to RFC1918. DN42's IPv6 space lies inside
 * fc00::/7 and cannot be told apart from other ULA space, so it is labelled ULA.
 */
import { classifyAddress, type AddressKind } from './address-policy.ts';
import { parseCidr, prefixContains, type Prefix } from './cidr.ts';

/** The labels, by the classifier's kind (v4 private space is RFC 1918's). */
const LABEL: Readonly<Record<Exclude<AddressKind, 'public'>, string>> = {
  private: 'RFC1918',
  loopback: 'loopback',
  'link-local': 'link-local',
  cgnat: 'CGNAT',
  documentation: 'documentation',
  benchmark: 'benchmark',
  multicast: 'multicast',
  unspecified: 'unspecified',
  reserved: 'reserved',
  'unique-local': 'ULA',
};

let dn42: Prefix | undefined;

/**
 * The special-range label of `address` (`RFC1918`, `CGNAT`, `link-local`, `documentation`,
 * `DN42`, `ULA`, `loopback`, `benchmark`, `multicast`, `reserved`, `unspecified`), or undefined
 * for a public address or something that is not an address.
 */
export function specialRangeLabel(address: string): string | undefined {
  const c = classifyAddress(address);
  if (!c || c.kind === 'public') return undefined;
  if (c.family === 4 && c.kind === 'private') {
    if (!dn42) {
      const r = parseCidr('172.20.0.0/14');
      if (r.ok) dn42 = r.prefix;
    }
    if (dn42 && prefixContains(dn42, c.embedded ?? address)) return 'DN42';
  }
  return LABEL[c.kind];
}
