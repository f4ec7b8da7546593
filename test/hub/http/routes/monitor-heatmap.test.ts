/**
 * GET /v1/monitors/{id}/heatmap.png on a real hub: the PNG it answers decodes and shows the
 * samples it was given, the query is checked with one-line reasons, the monitor API's refusals
 * keep their status, and the route needs a token like every /v1 route.
 *
 * The monitor API here is a table of fixed samples standing in for the hub's monitor service
 * (hub/core/monitor-service.ts, another branch): what is under test is the route and the picture.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { ErrorCode, MeshprobeError } from '../../../../shared/model/errors.ts';
import type { MonitorDetail, MonitorSamplesResponse } from '../../../../shared/model/monitor-types.ts';
import { heatmapQuery, monitorHeatmapRoute, type HeatmapSource } from '../../../../hub/http/routes/monitor-heatmap.ts';
import { withTestHub } from '../../../helpers/test-hub.ts';

const HOUR = 3_600_000;

function detail(id: number, name: string): MonitorDetail {
  return {
    id, name, type: 'ping', target: '127.0.0.1', probe: '127.0.0.1', intervalMs: 1000, traceMs: null, from: [], alerts: [], paused: false,
    owner: 'test', createdAt: '', updatedAt: '', agents: ['lax1', 'fra1'], stats: [], rangeMs: 86_400_000, routeChanges: [], addressChanges: [], alerting: [],
    heatmap: `/v1/monitors/${id}/heatmap.png`,
  };
}

/** Monitors 1 (`uplink`) and 2 (`dns`), owned by `test`; every hour of the asked window has 1 ms round trips. */
function source(calls: unknown[]): HeatmapSource {
  const monitors = [detail(1, 'uplink'), detail(2, 'dns')];
  const find = (who: { subject: string }, ref: string) => {
    const m = monitors.find((x) => String(x.id) === ref || x.name === ref);
    if (!m || who.subject !== 'test') throw new MeshprobeError(ErrorCode.NotFound, `no monitor ${ref} (see monitor list)`);
    return m;
  };
  return {
    show: (who, ref) => find(who, ref),
    samples(who, ref, q): MonitorSamplesResponse {
      const m = find(who, ref);
      calls.push({ ref, ...q });
      const samples = [];
      for (let t = q.from!; t < q.to!; t += q.stepMs!) {
        for (const agent of q.agent ? [q.agent] : ['lax1', 'fra1']) {
          samples.push({ t: new Date(t).toISOString(), agent, sent: 60, received: 60, lossPct: 0, minMs: 1, maxMs: 1, avgMs: 1, p50Ms: 1, p95Ms: 1, p99Ms: 1, hist: [[1, 60] as [number, number]] });
        }
      }
      return { monitor: m.id, from: new Date(q.from!).toISOString(), to: new Date(q.to!).toISOString(), stepMs: q.stepMs!, samples };
    },
  };
}

test('heatmap query: hourly columns up to 3 days, daily beyond, ranges and series bounded', () => {
  const now = Date.UTC(2026, 0, 10, 12, 30);
  const q = (s: string) => heatmapQuery(new URLSearchParams(s), now);
  assert.deepEqual({ ...q(''), from: undefined }, { agents: [], compare: [], rangeMs: 86_400_000, stepMs: HOUR, from: undefined, to: Date.UTC(2026, 0, 10, 13) });
  assert.equal(q('range=3d').stepMs, HOUR);
  assert.equal(q('range=4d').stepMs, 86_400_000);
  assert.equal((q('range=4d').to - q('range=4d').from) / 86_400_000, 4);
  assert.throws(() => q('range=soon'), /range: soon is not a duration/);
  assert.throws(() => q('range=401d'), /range: at most 400d/);
  assert.throws(() => q('agent=a,b,c,d'), /at most 3 series/);
  assert.throws(() => q('agent=a,b&compare=x'), /one agent/);
  assert.throws(() => q('compare=x,y,z'), /at most 3 series/);
  assert.deepEqual(q('agent=a&agent=b').agents, ['a', 'b']);
});

test('GET heatmap.png answers a PNG of the samples, per agent when asked', async () => {
  const calls: any[] = [];
  await withTestHub({ routes: [monitorHeatmapRoute(source(calls))] }, async (t) => {
    const token = await t.token(['measure'], 'test');
    const res = await fetch(`${t.url}/v1/monitors/uplink/heatmap.png?range=6h`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    assert.ok(png.width > 100 && png.height > 60);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].stepMs, HOUR);
    assert.equal((calls[0].to - calls[0].from) / HOUR, 6);
    assert.equal(calls[0].agent, undefined, 'all agents merged by default');

    calls.length = 0;
    const two = await fetch(`${t.url}/v1/monitors/1/heatmap.png?agent=lax1,fra1&range=2d`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(two.status, 200);
    assert.deepEqual(calls.map((c) => c.agent), ['lax1', 'fra1']);

    calls.length = 0;
    const cmp = await fetch(`${t.url}/v1/monitors/1/heatmap.png?compare=dns&agent=lax1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(cmp.status, 200);
    assert.deepEqual(calls.map((c) => [c.ref, c.agent]), [['1', 'lax1'], ['2', 'lax1']]);
  });
});

test('refusals: a bad query is 400, an unknown or foreign monitor 404, no token 401', async () => {
  await withTestHub({ routes: [monitorHeatmapRoute(source([]))] }, async (t) => {
    const mine = await t.token(['measure'], 'test');
    const other = await t.token(['measure'], 'someone-else');
    const get = async (path: string, token?: string) => {
      const res = await fetch(`${t.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    };
    const badRange = await get('/v1/monitors/1/heatmap.png?range=forever', mine);
    assert.equal(badRange.status, 400);
    assert.match(badRange.body.error.message, /^range: forever is not a duration/);
    const tooMany = await get('/v1/monitors/1/heatmap.png?agent=a,b,c,d', mine);
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /at most 3 series/);
    const missing = await get('/v1/monitors/99/heatmap.png', mine);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'MP_ERR_NOT_FOUND');
    assert.equal((await get('/v1/monitors/1/heatmap.png', other)).status, 404);
    assert.equal((await get('/v1/monitors/1/heatmap.png')).status, 401);
  });
});
