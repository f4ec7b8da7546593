/**
 * The monitor routes (issue 13 item 2, docs/api.md "Monitors"): `GET/POST /v1/monitors`,
 * `GET/PATCH/DELETE /v1/monitors/{id}` (an id or a name of the caller's), and
 * `GET /v1/monitors/{id}/samples?agent=&from=&to=&step=`. JSON in and out; the work is the
 * hub's MonitorApi (hub/core/monitor-service.ts), whose error codes map to statuses here.
 */
import { monitorRefusal } from '../monitor-refusal.ts';
import { formatDuration, parseDurationMs } from '../../../shared/model/duration.ts';
import { ErrorCode, HttpError, } from '../../../shared/model/errors.ts';
import { parseMonitorCreate, parseMonitorPatch } from '../../../shared/model/monitor-api.ts';
import type { MonitorApi } from '../../core/monitor-api.ts';
import { readJson, sendJson } from '../http-io.ts';
import type { HubRoute, RouteContext } from '../route.ts';

/** Runs `f` against the hub's MonitorApi, turning its refusals into the hub's HTTP errors. */
function call<T>(ctx: RouteContext, f: (api: MonitorApi) => T): T {
  const api = ctx.hub.monitors;
  if (!api) throw new HttpError(503, ErrorCode.Store, 'this hub runs without a monitor store');
  try {
    return f(api);
  } catch (err) {
    throw monitorRefusal(err);
  }
}

export const monitorsRoute: HubRoute = {
  name: 'monitors',
  methods: ['GET', 'POST'],
  path: '/v1/monitors',
  async handle(ctx) {
    if (ctx.req.method === 'POST') {
      const parsed = parseMonitorCreate(await readJson(ctx.req, ctx.hub.maxBodyBytes));
      if (!parsed.ok) throw new HttpError(400, ErrorCode.BadRequest, parsed.message);
      const view = call(ctx, (api) => api.create(ctx.principal, parsed.request));
      sendJson(ctx.res, 201, view, { location: `/v1/monitors/${view.id}` });
      return;
    }
    sendJson(ctx.res, 200, { monitors: call(ctx, (api) => api.list(ctx.principal)) });
  },
};

export const monitorRoute: HubRoute = {
  name: 'monitor',
  methods: ['GET', 'PATCH', 'DELETE'],
  path: '/v1/monitors/:id',
  async handle(ctx) {
    const ref = ctx.params['id']!;
    if (ctx.req.method === 'PATCH') {
      const parsed = parseMonitorPatch(await readJson(ctx.req, ctx.hub.maxBodyBytes));
      if (!parsed.ok) throw new HttpError(400, ErrorCode.BadRequest, parsed.message);
      sendJson(ctx.res, 200, call(ctx, (api) => api.update(ctx.principal, ref, parsed.patch)));
      return;
    }
    if (ctx.req.method === 'DELETE') {
      sendJson(ctx.res, 200, { removed: call(ctx, (api) => api.remove(ctx.principal, ref)) });
      return;
    }
    const range = ctx.url.searchParams.get('range');
    const rangeMs = range === null ? undefined : durationParam('range', range);
    sendJson(ctx.res, 200, call(ctx, (api) => api.show(ctx.principal, ref, rangeMs)));
  },
};

export const monitorSamplesRoute: HubRoute = {
  name: 'monitor-samples',
  methods: ['GET'],
  path: '/v1/monitors/:id/samples',
  async handle(ctx) {
    const q = ctx.url.searchParams;
    const now = Date.now();
    const agent = q.get('agent') ?? undefined;
    const from = q.get('from');
    const to = q.get('to');
    const step = q.get('step');
    const query = {
      ...(agent ? { agent } : {}),
      ...(from !== null ? { from: parseTime('from', from, now) } : {}),
      ...(to !== null ? { to: parseTime('to', to, now) } : {}),
      ...(step !== null ? { stepMs: durationParam('step', step) } : {}),
    };
    sendJson(ctx.res, 200, call(ctx, (api) => api.samples(ctx.principal, ctx.params['id']!, query)));
  },
};

/** Every monitor route, for the hub's route table. */
export const monitorRoutes: readonly HubRoute[] = [monitorsRoute, monitorRoute, monitorSamplesRoute];

function durationParam(name: string, text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new HttpError(400, ErrorCode.BadRequest, `${name}: ${text} is not a duration (seconds, or a number with ms, s, m, h or d, e.g. ${formatDuration(3 * 86_400_000)})`);
  return ms;
}

/**
 * A point in time as the samples query takes it: ISO 8601 (`2026-12-01T00:00:00Z`), ms since the
 * epoch (`1764547200000`), `now`, or relative to now (`-3d`, `-90m`).
 */
export function parseTime(name: string, text: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (t.startsWith('-')) {
    const ms = parseDurationMs(t.slice(1));
    if (ms !== undefined) return now - ms;
  } else if (/^\d{10,16}$/.test(t)) {
    return Number(t);
  } else if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new HttpError(400, ErrorCode.BadRequest, `${name}: ${text} is not a time (ISO 8601, ms since the epoch, now, or relative as -3d)`);
}
