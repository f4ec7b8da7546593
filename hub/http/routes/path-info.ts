/**
 * `GET /v1/ipinfo/:address` (what the hub's enrichment knows of an address) and `GET /v1/routes`
 * (the BGP table: `?address=`, `?prefix=`, `?origin=`, `?neighbor=`, `?path=`, `&limit=`; NDJSON
 * `route` lines, then `done`). Issue 16; docs/api.md.
 */
import { ErrorCode, HttpError } from '../../../shared/model/errors.ts';
import { parseIpinfo, parseRoute, type RouteQuery } from '../../../shared/command/path-commands.ts';
import { GrammarError } from '../../../shared/model/errors.ts';
import { ndjsonLine } from '../../../shared/wire/ndjson.ts';
import type { IpinfoAnswer, RoutesDone } from '../../../shared/render/path-info-text.ts';
import { sendJson, sendText } from '../http-io.ts';
import type { HubContext, HubRoute } from '../route.ts';

function grammar<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof GrammarError) throw new HttpError(400, ErrorCode.BadRequest, err.message);
    throw err;
  }
}

/** What the hub knows of `address` (the enricher, waiting up to 3 s for online sources). */
export async function ipinfoAnswer(hub: HubContext, address: string): Promise<IpinfoAnswer> {
  const p = hub.paths;
  const info = p ? await p.lookup(address) : undefined;
  return { address, ...(info ? { info } : {}), sources: p?.sources ?? [] };
}

/** The routes matching `query` and the closing line. */
export function routesAnswer(hub: HubContext, query: RouteQuery, limit: number): { routes: object[]; done: RoutesDone } {
  const bgp = hub.paths?.bgp;
  const status = bgp?.status;
  if (!bgp || !status) return { routes: [], done: { count: 0, truncated: false } };
  // One more than asked tells whether there were more.
  const n = limit + 1;
  const all =
    query.by === 'address' ? bgp.lookupAddress(query.address)
    : query.by === 'prefix' ? bgp.lookupPrefix(query.prefix)
    : query.by === 'origin' ? bgp.byOrigin(query.asn, n)
    : query.by === 'neighbor' ? bgp.byNeighbor(query.asn, n)
    : bgp.byPath(query.asns, n);
  const routes = all.slice(0, limit);
  return {
    routes,
    done: { count: routes.length, truncated: all.length > limit, table: { routes: status.routes, prefixes: status.prefixes, peers: status.peers, dumpedAt: status.dumpedAt } },
  };
}

export const ipinfoRoute: HubRoute = {
  name: 'ipinfo',
  methods: ['GET'],
  path: '/v1/ipinfo/:address',
  async handle(ctx) {
    const address = grammar(() => parseIpinfo([ctx.params['address'] ?? '']));
    sendJson(ctx.res, 200, await ipinfoAnswer(ctx.hub, address));
  },
};

export const routesRoute: HubRoute = {
  name: 'routes',
  methods: ['GET'],
  path: '/v1/routes',
  async handle(ctx) {
    const q = ctx.url.searchParams;
    const argv: Record<string, unknown> = {};
    const positionals: string[] = [];
    for (const k of ['origin', 'neighbor', 'path', 'limit']) if (q.has(k)) argv[k] = q.get(k);
    for (const k of ['address', 'prefix']) if (q.has(k)) positionals.push(q.get(k)!);
    const { query, limit } = grammar(() => parseRoute(argv, positionals));
    if (query.by === 'prefix' && q.has('address')) throw new HttpError(400, ErrorCode.BadRequest, 'route: address= takes an address; use prefix= for a prefix');
    const { routes, done } = routesAnswer(ctx.hub, query, limit);
    sendText(ctx.res, 200, routes.map((r) => ndjsonLine({ type: 'route', ...r })).join('') + ndjsonLine({ type: 'done', ...done }), { 'content-type': 'application/x-ndjson; charset=utf-8' });
  },
};
