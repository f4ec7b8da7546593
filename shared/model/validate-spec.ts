/**
 * The one validation path of a measurement request (issue 11, item 18). The grammar (CLI,
 * /v1/cli, Telegram, email), POST /v1/measurements and the MCP tools all call
 * {@link validateSpec}, so a refusal reads the same everywhere: one line naming the field and
 * the bound. The grammar only adds its `COMMAND: ` prefix and the flag the user typed.
 */
import { checkSweepSize, parseCidr, parseIp } from '../net/cidr.ts';
import { parseSpec, type MeasurementSpec } from './spec.ts';

/** What {@link validateSpec} returns: the spec, or the field at fault and a one-line reason. */
export type SpecValidation =
  | { ok: true; spec: MeasurementSpec }
  | { ok: false; field: string; message: string };

/** Rough shape check of a ping/traceroute target; the resolver gives the final word. */
const HOSTLIKE = /^[\p{L}\p{N}._:\-[\]%]+$/u;

/** Why `t` cannot be a ping/traceroute target, or undefined. */
function hostTargetProblem(t: string, ipVersion: 4 | 6 | undefined): { field: string; message: string } | undefined {
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

/**
 * Validates an untrusted measurement request: the schema (shared/model/spec.ts), then what the
 * schema cannot say alone (a prefix where a host is expected, a host where a prefix is, the
 * sweep-size bound, the address family, a port without a transport). Never throws.
 */
export function validateSpec(input: unknown): SpecValidation {
  const r = parseSpec(input);
  if (!r.ok) return r;
  const spec = r.spec;
  if (spec.type === 'probe') {
    for (const t of spec.targets) {
      const c = parseCidr(t);
      if (!c.ok) return { ok: false, field: 'targets', message: c.message };
      const tooBig = checkSweepSize(c.prefix);
      if (tooBig) return { ok: false, field: 'targets', message: tooBig };
      if (spec.ipVersion && c.prefix.family !== spec.ipVersion) {
        return { ok: false, field: 'ipVersion', message: `ipVersion ${spec.ipVersion} given but ${c.prefix.text} is an IPv${c.prefix.family} prefix` };
      }
    }
  } else {
    for (const t of spec.targets) {
      const p = hostTargetProblem(t, spec.ipVersion);
      if (p) return { ok: false, ...p };
    }
  }
  if (spec.port !== undefined && (spec.protocol ?? 'icmp') === 'icmp') {
    return { ok: false, field: 'port', message: 'port needs protocol tcp or udp' };
  }
  if (spec.deadlineMs !== undefined && spec.type !== 'ping') {
    return { ok: false, field: 'deadlineMs', message: `deadlineMs applies to ping only, not ${spec.type}` };
  }
  return { ok: true, spec };
}
