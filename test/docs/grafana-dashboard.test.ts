/**
 * docs/grafana/meshprobe-monitors.json queries only what the hub exports: every metric a panel's
 * `expr` or a variable's query names is one of the sample names of the monitor exposition
 * (hub/http/monitor-metrics.ts exportedSampleNames), so renaming a metric breaks this test and not
 * someone's dashboard.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { exportedSampleNames } from '../../hub/http/monitor-metrics.ts';

const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana/meshprobe-monitors.json', import.meta.url), 'utf8'));

/** Every PromQL text in the dashboard: panel target `expr`s and the variables' queries. */
function queries(): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  for (const p of dashboard.panels) for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, text: t.expr });
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type === 'query') out.push({ where: `variable ${v.name}`, text: q });
  }
  return out;
}

/** Metric names in PromQL: identifiers followed by a label matcher `{` or a range `[`, and any meshprobe_/meshping_ word. */
function metricNames(promql: string): string[] {
  const names = new Set<string>();
  // Strip strings (label values, `$variables`) so their contents are not taken for names.
  const bare = promql.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const m of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)) names.add(m[1]!);
  for (const m of bare.matchAll(/\b(?:meshprobe|meshping)_[a-zA-Z0-9_:]*/g)) names.add(m[0]);
  return [...names];
}

test('every query of the Grafana dashboard names only metrics the hub exports', () => {
  const exported = new Set(exportedSampleNames());
  const all = queries();
  assert.ok(all.length >= 6, 'panels and variables were found');
  for (const { where, text } of all) {
    const names = metricNames(text);
    assert.ok(names.length > 0, `${where} names a metric`);
    for (const n of names) assert.ok(exported.has(n), `${where}: ${n} is not exported by the hub (${text})`);
  }
});

test('the dashboard has the heatmap, loss and p95 per agent panels the issue asks for', () => {
  const exprs = dashboard.panels.map((p: any) => `${p.type}: ${p.targets.map((t: any) => t.expr).join(' ; ')}`);
  assert.ok(exprs.some((e: string) => e.startsWith('heatmap:') && e.includes('meshprobe_monitor_rtt_seconds_bucket')));
  assert.ok(exprs.some((e: string) => e.includes('meshprobe_monitor_lost_total') && e.includes('by (agent)')));
  assert.ok(exprs.some((e: string) => e.includes('histogram_quantile(0.95') && e.includes('by (agent, le)')));
});

test('the checker sees a metric the hub does not export', () => {
  assert.deepEqual(metricNames('rate(meshprobe_monitor_rtt_ms_bucket{agent=~"$agent"}[5m])'), ['meshprobe_monitor_rtt_ms_bucket']);
  assert.ok(!new Set(exportedSampleNames()).has('meshprobe_monitor_rtt_ms_bucket'));
  assert.deepEqual(metricNames('sum by (le) (up{job="x"})'), ['up']);
});
