// `npm start` runs monitors on its embedded agent: one added over REST is probed by the local
// agent and its first sample shows in `GET /v1/monitors/ID` within two intervals (plus the
// agent's first report, sent ~100 ms after its first reply). The launcher wraps the local agent
// (metrics, target guard): this proves the wrappers hand its monitors through.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { startMain } from '../helpers/launcher-process.ts';
import type { MonitorDetail, MonitorView } from '../../shared/model/monitor-types.ts';

test('npm start: a monitor added over REST is measured by the embedded agent, first sample within two intervals', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const main = await startMain();
  try {
    const token = (await readFile(join(main.dataDir, 'admin.token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = await fetch(`${main.url}/v1/monitors`, { method: 'POST', headers, body: JSON.stringify({ target: 'lo@127.0.0.1', interval: '500ms' }) });
    assert.equal(res.status, 201, await res.clone().text());
    const created = (await res.json()) as MonitorView;
    assert.deepEqual(created.agents, ['local']);
    const added = performance.now();
    let detail: MonitorDetail | undefined;
    // Polled, not slept: the bound is asserted on the time it took (two 500 ms intervals, the
    // agent's first report ~100 ms after its first reply, and a loaded machine's slack).
    while (performance.now() - added < 10_000) {
      detail = (await (await fetch(`${main.url}/v1/monitors/${created.id}`, { headers })).json()) as MonitorDetail;
      if ((detail.stats[0]?.received ?? 0) > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const took = performance.now() - added;
    const s = detail?.stats.find((x) => x.agent === 'local');
    assert.ok(s && s.received > 0, `no sample from the embedded agent after ${Math.round(took)} ms: ${JSON.stringify(detail?.stats)}`);
    assert.equal(s.address, '127.0.0.1');
    assert.ok(s.minMs !== null && s.minMs > 0 && s.minMs < 50, `a loopback round trip: ${s.minMs} ms`);
    t.diagnostic(`first sample visible after ${Math.round(took)} ms (interval 500 ms)`);
  } finally {
    await main.stop();
  }
});
