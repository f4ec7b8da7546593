/**
 * The target check of the types that measure hosts (names and addresses, not prefixes).
 */
import { parseCidr } from '../net/cidr.ts';
import { parseIp } from '../net/ip-address.ts';
import type { SpecProblem } from './measurement-type-def.ts';

/** Rough shape check of a host target; the resolver gives the final word. */
const HOSTLIKE = /^[\p{L}\p{N}._:\-[\]%]+$/u;

/** Why `t` cannot be a host target, or undefined. */
export function hostTargetProblem(t: string, ipVersion: 4 | 6 | undefined): SpecProblem | undefined {
  if (t.includes('/')) {
    if (parseCidr(t).ok) return { field: 'targets', message: `${t} is a prefix; use probe to sweep it` };
    return { field: 'targets', message: `'${t}' is not a host name or address` };
  }
  if (!HOSTLIKE.test(t) || t.startsWith('.') || t.length > 253) return { field: 'targets', message: `'${t}' is not a host name or address` };
  const ip = parseIp(t);
  if (ip && ipVersion && ip.family !== ipVersion) {
    return { field: 'ipVersion', message: `ipVersion ${ipVersion} given but ${t} is an IPv${ip.family} address` };
  }
  // host:port and [v6]:port are accepted (shared/net/host-port.ts); anything else with a colon must be IPv6.
  if (!ip && t.includes(':') && !/^[^:]+:[0-9]{1,5}$/.test(t) && !/^\[[^\]]+\](:[0-9]{1,5})?$/.test(t)) {
    return { field: 'targets', message: `'${t}' is not a valid IPv6 address` };
  }
  return undefined;
}
