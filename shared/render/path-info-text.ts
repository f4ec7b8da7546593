/**
 * Text of `ipinfo` and `route` answers (issue 16), compact enough for a phone: every line at most
 * ~36 monospace columns except where an AS path or an IPv6 address is longer than that.
 */
import type { AddressInfo } from '../net/address-info.ts';

/** One route of the hub's BGP table, as GET /v1/routes streams it (`type: 'route'`). */
export interface BgpRouteLine {
  prefix: string;
  originAs: number | null;
  /** Space-separated; an AS_SET as `{a,b}`. */
  asPath: string;
  nextHop: string | null;
  /** The collector's peer that had it, and its AS. */
  peer: string;
  peerAs: number;
  /** RFC 8050 path identifier; 0 without add-path. */
  pathId: number;
  /** ISO 8601. */
  originatedAt: string;
}

/** The answer of GET /v1/ipinfo/ADDR. */
export interface IpinfoAnswer {
  address: string;
  info?: AddressInfo;
  /** The sources consulted, in order. */
  sources: string[];
}

/** The last line of GET /v1/routes (`type: 'done'`). */
export interface RoutesDone {
  count: number;
  /** More routes matched than the limit. */
  truncated: boolean;
  /** The table answered from; absent when none is loaded. */
  table?: { routes: number; prefixes: number; peers: number; dumpedAt: number | null };
}

/** `ipinfo`'s answer as text. */
export function formatIpinfo(a: IpinfoAnswer): string {
  const i = a.info;
  const lines = [a.address];
  if (!i) return `${a.address}\n  nothing known (sources: ${a.sources.join(', ') || 'none'})\n`;
  if (i.label) lines.push(`  range   ${i.label}`);
  if (i.asn !== undefined) lines.push(`  AS      AS${i.asn}${i.asName ? ` ${i.asName}` : ''}`);
  if (i.prefix) lines.push(`  BGP     ${i.prefix}${i.originAsn !== undefined ? ` AS${i.originAsn}` : ''}`);
  const place = [i.city, i.country].filter(Boolean).join(', ');
  if (place) lines.push(`  place   ${place}`);
  if (i.lat !== undefined && i.lon !== undefined) lines.push(`  coords  ${i.lat.toFixed(4)},${i.lon.toFixed(4)}`);
  return lines.join('\n') + '\n';
}

/** `3d`, `5h`, `12m`, `40s`: how long ago `iso` was, from `nowMs`. */
export function age(iso: string, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '?';
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}

/** One route in three short lines: prefix and origin; path; next hop, peer, age. */
export function formatRoute(r: BgpRouteLine, nowMs: number): string {
  const origin = r.originAs !== null ? ` AS${r.originAs}` : '';
  const id = r.pathId ? ` #${r.pathId}` : '';
  return `${r.prefix}${origin}${id}\n  path ${r.asPath || '(empty)'}\n  via ${r.nextHop ?? '?'} AS${r.peerAs} ${age(r.originatedAt, nowMs)}\n`;
}

/** A whole `route` answer; `done` says what was left out. */
export function formatRoutes(routes: readonly BgpRouteLine[], done: RoutesDone | undefined, nowMs: number): string {
  if (done && !done.table) return 'route: no BGP table is loaded on this hub (MESHPROBE_MRT)\n';
  if (!routes.length) return 'no route\n';
  const body = routes.map((r) => formatRoute(r, nowMs)).join('');
  const more = done?.truncated ? `(first ${routes.length}; --limit N for more)\n` : '';
  return body + more;
}
