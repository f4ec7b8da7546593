/**
 * A monitor's time series for one agent (issue 18: "charts per monitor and agent"): loss % and
 * the p50 and p95 round-trip times over the last hours, from GET /v1/monitors/ID/samples, drawn
 * with uPlot (about 20 KB brotli: the first visit stays under the 150 KB budget). The figure
 * says in words what it shows (samples, last loss, last p50/p95) for screen readers and tests,
 * and `data-points` counts the values uPlot drew.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { MonitorSamplesResponse } from '../../shared/model/monitor-types.ts';
import { api } from '../api.ts';
import { html, ms } from '../html.ts';

/** The range the chart shows, as the samples route takes it. */
const RANGE = '-6h';
const HEIGHT = 180;
/** How often an open chart fetches again. */
const REFRESH_MS = 30_000;

export function MonitorChart(props: { monitor: number; agent: string; name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const [data, setData] = useState<MonitorSamplesResponse | undefined>(undefined);
  const [error, setError] = useState('');

  useEffect(() => {
    let live = true;
    const load = () =>
      api<MonitorSamplesResponse>(`/v1/monitors/${props.monitor}/samples?agent=${encodeURIComponent(props.agent)}&from=${RANGE}`)
        .then((d) => live && (setData(d), setError('')))
        .catch((e) => live && setError((e as Error).message));
    void load();
    const t = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(t);
    };
  }, [props.monitor, props.agent]);

  useEffect(() => {
    const el = box.current;
    if (!el || !data) return;
    const rows = data.samples.filter((s) => s.agent === props.agent);
    const series: uPlot.AlignedData = [
      rows.map((s) => Date.parse(s.t) / 1000),
      rows.map((s) => s.p50Ms),
      rows.map((s) => s.p95Ms),
      rows.map((s) => s.lossPct),
    ];
    const css = getComputedStyle(document.documentElement);
    const v = (name: string) => css.getPropertyValue(name).trim();
    const fg = v('--muted');
    const grid = { stroke: v('--line'), width: 1 };
    const width = () => Math.max(240, el.clientWidth);
    plot.current?.destroy();
    const u = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        cursor: { drag: { x: false, y: false } },
        // The whole range asked for, whatever the samples cover (one early sample would
        // otherwise stretch the axis over years).
        scales: { x: { time: true, range: () => [Date.parse(data.from) / 1000, Date.parse(data.to) / 1000] }, ms: { range: (_u, _min, max) => [0, niceMax(max)] }, pct: { range: [0, 100] } },
        axes: [
          { stroke: fg, grid, ticks: grid },
          { scale: 'ms', stroke: fg, grid, ticks: grid, size: 76, values: (_u, vals) => vals.map((x) => `${ms(x)} ms`) },
          { scale: 'pct', side: 1, stroke: fg, grid: { show: false }, ticks: grid, size: 50, values: (_u, vals) => vals.map((x) => `${x}%`) },
        ],
        series: [
          {},
          { label: 'p50', scale: 'ms', stroke: v('--accent'), width: 1.5, value: (_u, x) => msText(x) },
          { label: 'p95', scale: 'ms', stroke: v('--muted'), width: 1, dash: [4, 3], value: (_u, x) => msText(x) },
          { label: 'loss', scale: 'pct', stroke: v('--err'), width: 1, fill: `${v('--err')}33`, value: (_u, x) => (x === null ? '–' : `${x.toFixed(1)}%`) },
        ],
        hooks: {
          draw: [
            (p) => {
              // The values drawn: non-null points of every series inside the x range shown.
              let n = 0;
              for (let i = 1; i < p.data.length; i++) for (const y of p.data[i]!) if (y !== null && y !== undefined) n++;
              el.dataset['points'] = String(n);
            },
          ],
        },
      },
      series,
      el,
    );
    plot.current = u;
    const onResize = () => u.setSize({ width: width(), height: HEIGHT });
    addEventListener('resize', onResize);
    return () => removeEventListener('resize', onResize);
  }, [data, props.agent]);

  useEffect(() => () => plot.current?.destroy(), []);

  const rows = data?.samples.filter((s) => s.agent === props.agent) ?? [];
  const last = rows.at(-1);
  const caption = !data
    ? 'loading…'
    : rows.length === 0
      ? `no samples in the last ${RANGE.slice(1)} yet`
      : `${rows.length} ${rows.length === 1 ? 'sample' : 'samples'} of ${data.stepMs / 60_000} min; last: loss ${last?.lossPct === null || last?.lossPct === undefined ? '–' : `${last.lossPct.toFixed(1)}%`}, p50 ${ms(last?.p50Ms)} ms, p95 ${ms(last?.p95Ms)} ms`;
  return html`<figure class="chart" data-monitor=${props.monitor} data-agent=${props.agent}>
    <figcaption><strong>${props.name}</strong> from ${props.agent}, last ${RANGE.slice(1)}: ${caption}</figcaption>
    ${error ? html`<p class="error">${error}</p>` : null}
    <div class="chart-plot" ref=${box}></div>
  </figure>`;
}

/** A round upper bound for the ms axis: 1, 2 or 5 times a power of ten above `max` (1 ms with no data). */
function niceMax(max: number | null): number {
  if (max === null || !Number.isFinite(max) || max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max * 1.1) return m * p;
  return 10 * p;
}

function msText(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${ms(x)} ms`;
}
