/**
 * `ipinfo ADDR` (alias `whois`) and `route PREFIX|ADDR | --origin AS | --neighbor AS | --path 'AS AS'`
 * (issue 16): questions to the hub about addresses and its BGP table, not measurements.
 */
import { parseCidr } from '../net/cidr.ts';
import { isIp, normalizeIp } from '../net/ip-address.ts';
import { GrammarError } from '../model/errors.ts';
import type { CommandSpec, OptionSpec } from './command-spec.ts';
import { helpOpt, json } from './common-options.ts';

/** What `route` asks the BGP table. */
export type RouteQuery =
  | { by: 'address'; address: string }
  | { by: 'prefix'; prefix: string }
  | { by: 'origin'; asn: number }
  | { by: 'neighbor'; asn: number }
  | { by: 'path'; asns: number[] };

/** Routes one answer holds at most by default, and at most when asked. */
export const RouteLimits = { defaultLimit: 100, maxLimit: 10_000, maxPathLength: 16 } as const;

const text = (long: string, arg: string, help: string): OptionSpec => ({ long, kind: 'text', arg, noun: long, help });

/** The `ipinfo` entry of the command table. */
export const IPINFO_COMMAND: CommandSpec = {
  name: 'ipinfo',
  aliases: ['whois'],
  usage: 'ipinfo ADDR',
  summary: 'who owns an address: ASN, network, place, range, BGP prefix',
  options: [json, helpOpt],
  examples: ['ipinfo 198.18.0.1', 'whois 2001:db8::1'],
};

/** The `route` entry of the command table. */
export const ROUTE_COMMAND: CommandSpec = {
  name: 'route',
  aliases: ['bgp'],
  usage: "route PREFIX|ADDR | --origin AS | --neighbor AS | --path 'AS AS…' [--limit N]",
  summary: "the hub's BGP table: by prefix, address, origin, neighbour or AS path",
  options: [
    text('origin', 'AS', 'routes originated by AS'),
    text('neighbor', 'AS', 'routes learnt from AS (the first AS of the path)'),
    text('path', "'AS AS…'", 'routes whose AS path holds these ASNs in a row'),
    { long: 'limit', kind: 'int', arg: 'N', noun: 'limit', help: `at most N routes (default ${RouteLimits.defaultLimit}, at most ${RouteLimits.maxLimit})` },
    json,
    helpOpt,
  ],
  examples: ['route 198.18.0.1', 'route 198.18.0.0/15', 'route --origin AS64500', 'route --neighbor 64496', "route --path '64496 64500'"],
};

function asn(v: string, what: string): number {
  const m = /^(?:AS)?(\d{1,10})$/i.exec(v.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= 4_294_967_295)) throw new GrammarError(`route: ${what} must be an AS number (64500 or AS64500), not '${v}'`);
  return n;
}

/** The address `ipinfo` asks about (canonical text). Throws GrammarError. */
export function parseIpinfo(positionals: string[]): string {
  if (positionals.length !== 1) throw new GrammarError(positionals.length ? `ipinfo: one address, not ${positionals.length}` : 'ipinfo: which address?');
  const a = normalizeIp(positionals[0]!);
  if (!a) throw new GrammarError(`ipinfo: '${positionals[0]}' is not an IPv4 or IPv6 address`);
  return a;
}

/** The query and limit of `route`. Throws GrammarError. */
export function parseRoute(argv: Record<string, unknown>, positionals: string[]): { query: RouteQuery; limit: number } {
  const one = (k: string): string | undefined => {
    const v = argv[k];
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new GrammarError(`route: --${k} once`);
    return String(v);
  };
  const origin = one('origin');
  const neighbor = one('neighbor');
  const path = one('path');
  const asked = [origin, neighbor, path, positionals.length ? 'x' : undefined].filter((x) => x !== undefined).length;
  if (asked !== 1 || positionals.length > 1) throw new GrammarError('route: give one of PREFIX, ADDR, --origin, --neighbor or --path');
  const l = argv['limit'];
  const limit = l === undefined ? RouteLimits.defaultLimit : Number(l);
  if (!Number.isInteger(limit) || limit < 1 || limit > RouteLimits.maxLimit) throw new GrammarError(`route: --limit must be a whole number from 1 to ${RouteLimits.maxLimit}`);
  if (origin !== undefined) return { query: { by: 'origin', asn: asn(origin, '--origin') }, limit };
  if (neighbor !== undefined) return { query: { by: 'neighbor', asn: asn(neighbor, '--neighbor') }, limit };
  if (path !== undefined) {
    const words = path.split(/[\s,]+/).filter(Boolean);
    if (!words.length || words.length > RouteLimits.maxPathLength) throw new GrammarError(`route: --path takes 1 to ${RouteLimits.maxPathLength} AS numbers`);
    return { query: { by: 'path', asns: words.map((w) => asn(w, '--path')) }, limit };
  }
  const p = positionals[0]!;
  if (p.includes('/')) {
    const r = parseCidr(p);
    if (!r.ok) throw new GrammarError(`route: ${r.message}`);
    return { query: { by: 'prefix', prefix: r.prefix.text }, limit };
  }
  if (!isIp(p)) throw new GrammarError(`route: '${p}' is not a prefix or an address`);
  return { query: { by: 'address', address: normalizeIp(p)! }, limit };
}

/** `query` as the query string of GET /v1/routes (docs/api.md). */
export function routeQueryString(query: RouteQuery, limit?: number): string {
  const q = new URLSearchParams();
  switch (query.by) {
    case 'address':
      q.set('address', query.address);
      break;
    case 'prefix':
      q.set('prefix', query.prefix);
      break;
    case 'origin':
      q.set('origin', String(query.asn));
      break;
    case 'neighbor':
      q.set('neighbor', String(query.asn));
      break;
    case 'path':
      q.set('path', query.asns.join(' '));
      break;
  }
  if (limit !== undefined) q.set('limit', String(limit));
  return q.toString();
}
