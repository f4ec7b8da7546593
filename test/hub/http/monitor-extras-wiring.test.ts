/**
 * The monitor extras wired into a real hub with its real monitor service and SQLite store: the
 * monitor families on /metrics (meshping's only with metricsCompat), the heatmap of a monitor
 * created through the REST API, and the alert evaluator the hub runs.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { withTestHub } from '../../helpers/test-hub.ts';
import { parsePromText } from '../../helpers/prom-text.ts';

test('a real hub: monitor families on /metrics, meshping names only with compat', async () => {
  await withTestHub({}, async (t) => {
    const f = parsePromText(await (await fetch(`${t.url}/metrics`)).text());
    assert.equal(f.get('meshprobe_monitor_rtt_seconds')?.type, 'histogram');
    assert.equal(f.get('meshprobe_monitor_route_changes_total')?.type, 'counter');
    assert.ok(!f.has('meshping_sent'));
  });
  await withTestHub({ metricsCompat: 'meshping' }, async (t) => {
    const f = parsePromText(await (await fetch(`${t.url}/metrics`)).text());
    assert.equal(f.get('meshping_sent')?.type, 'counter');
  });
});

test('a real hub: the heatmap of a monitor made through POST /v1/monitors, for its owner only', async () => {
  await withTestHub({ alerts: { everyMs: 0 } }, async (t) => {
    const token = await t.token(['measure'], 'test');
    const made = await fetch(`${t.url}/v1/monitors`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: '127.0.0.1', name: 'lo', alert: ['loss>5% for 5m'] }),
    });
    assert.equal(made.status, 201, await made.clone().text());
    const res = await fetch(`${t.url}/v1/monitors/lo/heatmap.png?range=3h`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const png = PNG.sync.read(Buffer.from(await res.arrayBuffer()));
    assert.ok(png.width > 100);
    const other = await t.token(['measure'], 'someone-else');
    assert.equal((await fetch(`${t.url}/v1/monitors/lo/heatmap.png`, { headers: { authorization: `Bearer ${other}` } })).status, 404);
    // No samples yet: the evaluator has nothing to decide and says nothing.
    await t.hub.alerts.evaluateAll();
  });
});
