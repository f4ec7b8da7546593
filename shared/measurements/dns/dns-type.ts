/**
 * dns: one question to a DNS server over UDP, TCP, DoT or DoH, or an iterative resolution from
 * the roots (`--trace`), dig-style (issue 15).
 */
import { from, helpOpt, json, limit, v4, v6, verbose } from '../../command/common-options.ts';
import { CommonDefaults, DNS_QUERY_TYPES } from '../../model/limits.ts';
import type { MeasurementSpec } from '../../model/spec.ts';
import { splitHostPort } from '../../net/host-port.ts';
import { isIp, TARGET_ADDRESS } from '../../net/ip-address.ts';
import { hostTargetProblem } from '../host-target.ts';
import type { MeasurementTypeDef, SpecProblem } from '../measurement-type-def.ts';
import { DnsAnswer } from './dns-answer.ts';
import { DnsDefaults, DNS_PORTS, MAX_TRACE_STEPS } from './dns-params.ts';

/** Why `server` (`ADDR[:PORT]` or `NAME[:PORT]`) cannot be a server, or undefined. */
export function serverProblem(field: string, server: string, addressOnly: boolean): SpecProblem | undefined {
  const { host, port } = splitHostPort(server);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return { field, message: `${field}: port ${port} is not a port number (1–65535)` };
  if (addressOnly && !isIp(host, TARGET_ADDRESS)) return { field, message: `${field}: '${server}' is not an address (ADDR or ADDR:PORT)` };
  const p = hostTargetProblem(host, undefined);
  return p ? { field, message: `${field}: '${server}' is not an address or host name` } : undefined;
}

/** Why `url` cannot be a DoH URL, or undefined. */
function dohUrlProblem(url: string): SpecProblem | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { field: 'dohUrl', message: `dohUrl: '${url}' is not a URL` };
  }
  if (u.protocol !== 'https:') return { field: 'dohUrl', message: 'dohUrl must be an https:// URL (RFC 8484)' };
  if (u.username || u.password) return { field: 'dohUrl', message: 'dohUrl must not carry a user name or password' };
  return undefined;
}

/** Checks of the dns-only fields, once per request (targetProblem is called per target). */
function dnsSpecProblem(spec: MeasurementSpec): SpecProblem | undefined {
  if (spec.server !== undefined) {
    const p = serverProblem('server', spec.server, false);
    if (p) return p;
  }
  if (spec.dohUrl !== undefined) {
    const p = dohUrlProblem(spec.dohUrl);
    if (p) return p;
    if (spec.transport !== undefined && spec.transport !== 'doh') return { field: 'dohUrl', message: `dohUrl needs transport doh, not ${spec.transport}` };
  }
  for (const r of spec.roots ?? []) {
    const p = serverProblem('roots', r, true);
    if (p) return p;
  }
  if (spec.roots !== undefined && !spec.trace) return { field: 'roots', message: 'roots apply to a trace only (--trace)' };
  if (spec.trace && (spec.transport === 'dot' || spec.transport === 'doh')) return { field: 'trace', message: 'a trace asks the servers of each zone over udp or tcp, not dot or doh' };
  if (spec.trace && spec.server !== undefined) return { field: 'trace', message: 'a trace starts at the root servers (--roots), not at --server' };
  return undefined;
}

/** Why `t` cannot be the name asked (or, for a reverse lookup, the address), or undefined. */
function dnsTargetProblem(t: string, spec: MeasurementSpec): SpecProblem | undefined {
  const p = dnsSpecProblem(spec);
  if (p) return p;
  if (t === '.') return undefined;
  const name = t.replace(/\.$/, '');
  if (isIp(name, TARGET_ADDRESS)) return undefined;
  if (spec.queryType === 'PTR' && /^[0-9.:]+$/.test(name)) return { field: 'targets', message: `'${t}' is not an IP address` };
  if (!/^[A-Za-z0-9_*\-.\p{L}\p{N}]+$/u.test(name) || name.startsWith('.') || name.includes('..') || name.length > 253) {
    return { field: 'targets', message: `'${t}' is not a domain name` };
  }
  return undefined;
}

/** The hosts a dns run connects to (the name asked is never contacted): the server, the DoH host, the roots. */
function dnsConnectsTo(_t: string, spec: MeasurementSpec): string[] {
  const hosts: string[] = [];
  if (spec.server !== undefined) hosts.push(splitHostPort(spec.server).host);
  if (spec.dohUrl !== undefined) {
    try {
      hosts.push(new URL(spec.dohUrl).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // refused by targetProblem already
    }
  }
  for (const r of spec.roots ?? []) hosts.push(splitHostPort(r).host);
  return hosts;
}

/** The dns measurement type. */
export const dnsType: MeasurementTypeDef<'dns', typeof DnsDefaults> = {
  name: 'dns',
  defaults: DnsDefaults,
  exclusiveFields: ['queryType', 'server', 'transport', 'dohUrl', 'trace', 'roots', 'dnssec'],
  view: 'stream',
  eventKinds: ['answer'],
  answer: DnsAnswer,
  connectsTo: dnsConnectsTo,
  targetProblem: dnsTargetProblem,
  // A query and its retry; a trace asks one server per delegation, one after the other.
  packetsPerSecond: (spec) => (spec.trace ? MAX_TRACE_STEPS : 2),
  command: {
    verb: 'query DNS',
    missing: 'name',
    aliases: ['dig'],
    usage: 'dns [-s NODE]… [--type T] [--server ADDR[:PORT]] [--proto udp|tcp|dot|doh] [--doh-url URL] [--trace [--roots ADDR,…]] [--dnssec] [--insecure] [-W SECONDS] [-4|-6] [-v] NAME… | -x ADDR',
    summary: 'ask a DNS server (UDP, TCP, DoT, DoH) or trace the delegations from the roots',
    options: [
      from,
      limit,
      { long: 'type', short: 't', kind: 'text', arg: 'T', field: 'queryType', noun: 'type', choices: DNS_QUERY_TYPES, help: `${DNS_QUERY_TYPES.join(' ')} (default A)` },
      { long: 'reverse', short: 'x', kind: 'flag', sets: { field: 'queryType', value: 'PTR' }, noun: 'reverse', help: 'reverse lookup: the PTR of the address given' },
      { long: 'server', kind: 'text', arg: 'ADDR[:PORT]', field: 'server', noun: 'server', help: "server to ask (default: the agent's own); DoT checks a name's certificate" },
      { long: 'proto', kind: 'text', arg: 'udp|tcp|dot|doh', field: 'transport', noun: 'transport', choices: ['udp', 'tcp', 'dot', 'doh'], help: `udp (default; TCP if truncated), tcp, dot (port ${DNS_PORTS.dot}) or doh` },
      { long: 'doh-url', kind: 'text', arg: 'URL', field: 'dohUrl', noun: 'DoH URL', help: 'the DoH endpoint, https://HOST/dns-query (implies --proto doh)' },
      { long: 'trace', kind: 'flag', field: 'trace', noun: 'trace', help: 'resolve from the root servers, one step per delegation (dig +trace)' },
      { long: 'roots', kind: 'text', arg: 'ADDR[:PORT],…', field: 'roots', noun: 'roots', repeat: true, commas: true, help: "root servers of --trace (default: the agent's, else IANA's root hints)" },
      { long: 'dnssec', kind: 'flag', field: 'dnssec', noun: 'dnssec', help: 'set the DO bit: DNSSEC records, ad when validated upstream' },
      { long: 'insecure', kind: 'flag', field: 'insecure', noun: 'insecure', help: "DoT/DoH: do not verify the server's certificate" },
      { long: 'timeout', short: 'W', kind: 'seconds', arg: 'SECONDS', field: 'timeoutMs', noun: 'timeout', help: `seconds to wait for each answer (default ${CommonDefaults.timeoutMs / 1000})` },
      v4,
      v6,
      verbose('all sections, as dig prints them'),
      json,
      helpOpt,
    ],
    examples: ['dns example.com', 'dns --type MX -s lax1 example.com', 'dns -x 127.0.0.1', 'dns --proto dot --server 127.0.0.1:853 example.com', 'dns --trace --roots 127.0.0.1:5300 example.com'],
  },
  tool: {
    title: 'DNS query',
    description:
      'What does DNS answer for a name, from where the agents are? Asks a DNS server over UDP (TCP on truncation), TCP, ' +
      'DoT or DoH from meshprobe agents and returns the rcode, flags, answer/authority/additional records, the server ' +
      `that answered and the time; with trace, every delegation from the root servers (at most ${MAX_TRACE_STEPS} steps).`,
    instruction: 'for what DNS answers and how fast',
    referral: 'to check DNS use dns',
    input: (f, c) => ({
      targets: f.targets.describe('The names to ask about (for queryType PTR: IP addresses).'),
      from: c.from,
      limit: c.limit,
      queryType: f.queryType.describe('Record type (default A; PTR for an address).'),
      server: f.server.describe("Server to ask, ADDR[:PORT] or a name (default: the agent's resolver)."),
      transport: f.transport.describe('udp (default), tcp, dot or doh.'),
      dohUrl: f.dohUrl.describe('DoH endpoint URL (https).'),
      trace: f.trace.describe('true: resolve iteratively from the roots, every step reported.'),
      roots: f.roots.describe('Root servers of a trace, ADDR[:PORT] each.'),
      dnssec: f.dnssec.describe('true: set the DO bit.'),
      insecure: f.insecure.describe("true: DoT/DoH without verifying the server's certificate."),
      timeoutMs: c.timeoutMs,
      ipVersion: c.ipVersion,
    }),
  },
  chat: { menu: 'dns [-s NODE] [--type T] NAME — ask DNS' },
};
