/**
 * A monitor's TARGET as people type it (issue 13 item 1): a name (`example.com`), an IPv4 or IPv6
 * literal (`192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`), or `name@address` as meshping's
 * `/api/targets` and `mpcli -a` take it, where the name is a label and the address is what is
 * probed. Pure; the hub's monitor service applies the policy to what comes out.
 */
import { formatIp, parseIp, TARGET_ADDRESS } from '../../shared/net/ip-address.ts';
import { MONITOR_NAME_PATTERN } from '../../shared/model/monitor-types.ts';

/** A parsed target: what agents probe, and the monitor's default name. */
export interface MonitorTarget {
  /** What agents probe: an address literal (normalised, no brackets) or a host name. */
  probe: string;
  /** The default monitor name: the name part, or the literal. */
  defaultName: string;
}

/** The target parsed, or a one-line reason. */
export function parseMonitorTarget(text: string): MonitorTarget | { problem: string } {
  const t = text.trim();
  if (t === '') return { problem: 'target: give a name, an address or name@address' };
  const at = t.indexOf('@');
  if (at !== -1) {
    const label = t.slice(0, at).trim();
    const address = t.slice(at + 1).trim();
    if (label === '') return { problem: `target ${t}: the name before @ is empty (name@address)` };
    const ip = parseIp(address, TARGET_ADDRESS);
    if (!ip) return { problem: `target ${t}: after @ comes an IPv4 or IPv6 address (name@address), not ${address || 'nothing'}` };
    return { probe: formatIp(ip.family, ip.value), defaultName: nameOf(label) };
  }
  const ip = parseIp(t, TARGET_ADDRESS);
  if (ip) {
    const probe = formatIp(ip.family, ip.value);
    // `::1` as a name must start with a digit: `0::1` spells the same address.
    return { probe, defaultName: nameOf(probe.startsWith(':') ? `0${probe}` : probe) };
  }
  return { probe: t.toLowerCase().replace(/\.$/, ''), defaultName: nameOf(t.replace(/\.$/, '')) };
}

/** `label` as a monitor name: characters a name may not have become '-', cut to 63. */
function nameOf(label: string): string {
  const n = label.replace(/[^A-Za-z0-9._:@-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63);
  return MONITOR_NAME_PATTERN.test(n) ? n : 'monitor';
}
