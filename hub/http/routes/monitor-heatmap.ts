/**
 * `GET /v1/monitors/{id}/heatmap.png?agent=&range=&compare=` (issue 13 item 8, docs/monitors.md
 * "Heatmap"): the monitor's heatmap (shared/render/heatmap.ts) as a PNG. Hours across for ranges
 * up to 3 days, days beyond; `range` defaults to 24 h, at most 400 days.
 *
 * - no `agent`: every agent of the monitor merged into one series;
 * - `agent=lax1`: that agent; `agent=lax1,fra1[,sin1]`: those agents compared (red, green, blue);
 * - `compare=other[,third]`: other monitors (ids or names of the caller's) compared with this one,
 *   each over `agent` (one agent, or all merged).
 *
 * Everything goes through the hub's MonitorApi (`show` for the title, `samples` for the counts),
 * so scopes and ownership are those of reading a monitor.
 */
import { monitorRefusal } from '../monitor-refusal.ts';
import { deflateSync } from 'node:zlib';
import { formatDuration, parseDurationMs } from '../../../shared/model/duration.ts';
import { ErrorCode, HttpError, } from '../../../shared/model/errors.ts';
import { bucketOf, type HistogramPairs, OVERFLOW_BUCKET } from '../../../shared/model/histogram.ts';
import type { MonitorSample } from '../../../shared/model/monitor-types.ts';
import { heatmapBitmap, type HeatmapSeries, MAX_HEATMAP_SERIES } from '../../../shared/render/heatmap.ts';
import { encodePng } from '../../../shared/render/png.ts';
import type { MonitorApi } from '../../core/monitor-api.ts';
import type { Principal } from '../../core/principal.ts';
import type { HubRoute } from '../route.ts';

/** What the heatmap needs of the hub's monitors. */
export type HeatmapSource = Pick<MonitorApi, 'show' | 'samples'>;

export const HEATMAP_DEFAULT_RANGE_MS = 86_400_000;
export const HEATMAP_MAX_RANGE_MS = 400 * 86_400_000;
/** Up to this range a column is an hour; beyond, a day. */
export const HEATMAP_HOURLY_UP_TO_MS = 3 * 86_400_000;

function bad(message: string): HttpError {
  return new HttpError(400, ErrorCode.BadRequest, message);
}

/** A comma list of a query parameter, items trimmed, empty ones dropped. */
function listParam(q: URLSearchParams, name: string): string[] {
  return q.getAll(name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** The samples API's buckets ([upper bound ms | null, count]) back on the fine grid. */
function toPairs(hist: MonitorSample['hist']): HistogramPairs {
  return hist.map(([bound, count]) => [bound === null ? OVERFLOW_BUCKET : bucketOf(bound), count]);
}

function steps(samples: readonly MonitorSample[]): HeatmapSeries['steps'] {
  return samples.map((s) => ({ t: Date.parse(s.t), sent: s.sent, received: s.received, hist: toPairs(s.hist) }));
}

/** The picture's parameters from the query string, with a one-line reason for a bad one. */
export function heatmapQuery(q: URLSearchParams, now: number): { agents: string[]; compare: string[]; rangeMs: number; stepMs: number; from: number; to: number } {
  const rangeText = q.get('range');
  const rangeMs = rangeText === null ? HEATMAP_DEFAULT_RANGE_MS : parseDurationMs(rangeText);
  if (rangeMs === undefined) throw bad(`range: ${rangeText} is not a duration (seconds, or a number with ms, s, m, h or d, e.g. 3d)`);
  if (rangeMs > HEATMAP_MAX_RANGE_MS) throw bad(`range: at most ${formatDuration(HEATMAP_MAX_RANGE_MS)}, not ${formatDuration(rangeMs)}`);
  const agents = listParam(q, 'agent');
  const compare = listParam(q, 'compare');
  if (compare.length > 0 && agents.length > 1) throw bad('compare: other monitors are compared over one agent (or all merged), not several agents');
  const series = Math.max(1, agents.length) * (1 + compare.length);
  if (series > MAX_HEATMAP_SERIES) throw bad(`a heatmap compares at most ${MAX_HEATMAP_SERIES} series (monitors or agents), not ${series}`);
  const stepMs = rangeMs <= HEATMAP_HOURLY_UP_TO_MS ? 3_600_000 : 86_400_000;
  const to = Math.ceil((now + 1) / stepMs) * stepMs;
  const from = to - Math.max(1, Math.ceil(rangeMs / stepMs)) * stepMs;
  return { agents, compare, rangeMs, stepMs, from, to };
}

/** Renders the PNG of monitor `ref` for `who`; MonitorApi failures propagate as they are. */
export function renderMonitorHeatmap(source: HeatmapSource, who: Principal, ref: string, q: URLSearchParams, now: number): Uint8Array {
  const p = heatmapQuery(q, now);
  const main = source.show(who, ref, p.rangeMs);
  const window = { from: p.from, to: p.to, stepMs: p.stepMs };
  const series: HeatmapSeries[] = [];
  let title: string;
  const span = `last ${formatDuration(p.rangeMs)} to ${new Date(p.to).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (p.compare.length > 0) {
    const agent = p.agents[0];
    for (const r of [ref, ...p.compare]) {
      const m = r === ref ? main : source.show(who, r, p.rangeMs);
      const got = source.samples(who, String(m.id), { ...window, ...(agent ? { agent } : {}) });
      series.push({ label: m.name, steps: steps(got.samples) });
    }
    title = `${series.map((s) => s.label).join(' vs ')} from ${agent ?? 'all agents'}, ${span}`;
  } else if (p.agents.length > 1) {
    for (const agent of p.agents) series.push({ label: agent, steps: steps(source.samples(who, String(main.id), { ...window, agent }).samples) });
    title = `${main.name} (${main.probe}) from ${p.agents.join(' vs ')}, ${span}`;
  } else {
    const agent = p.agents[0];
    const got = source.samples(who, String(main.id), { ...window, ...(agent ? { agent } : {}) });
    const label = agent ?? (main.agents.length === 1 ? main.agents[0]! : `${main.agents.length} agents`);
    series.push({ label, steps: steps(got.samples) });
    title = `${main.name} (${main.probe}) from ${label}, ${span}`;
  }
  const { bitmap } = heatmapBitmap({ title, from: p.from, to: p.to, stepMs: p.stepMs, series });
  return encodePng(bitmap, { deflate: (raw) => deflateSync(raw) });
}

/**
 * The route. `source` is the hub's MonitorApi; when omitted the route uses the one the hub puts in
 * its context (`hub.monitors`), and answers 503 on a hub without monitors.
 */
export function monitorHeatmapRoute(source?: HeatmapSource): HubRoute {
  return {
    name: 'monitor-heatmap',
    methods: ['GET'],
    path: '/v1/monitors/:id/heatmap.png',
    async handle(ctx) {
      const api = source ?? ctx.hub.monitors;
      if (!api) throw new HttpError(503, ErrorCode.Store, 'this hub runs without a monitor store');
      let png: Uint8Array;
      try {
        png = renderMonitorHeatmap(api, ctx.principal, ctx.params['id']!, ctx.url.searchParams, Date.now());
      } catch (err) {
        throw monitorRefusal(err);
      }
      ctx.res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.byteLength), 'cache-control': 'no-store' });
      ctx.res.end(png);
    },
  };
}
