/**
 * The web UI's figures (issue 18 "Performance"), in a real headless Chromium against a real hub
 * with a local agent on loopback:
 * - first visit: bytes transferred for the page, script and stylesheet (compressed, as sent);
 * - first result line: from the Enter key to the first reply line on screen, against the RTT
 *   that reply reports (goal ≤ RTT + 150 ms), median of `--runs` pings;
 * - a live /16 sweep (65,536 host events drawn as they arrive): long tasks (> 50 ms) on the
 *   browser's performance timeline while it runs.
 *
 *   node bench/web-ui.ts [--json] [--runs 5] [--prefix 127.1.0.0/16]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { LocalAgent } from '../agent/runtime/local-agent.ts';
import { createHub } from '../hub/http/server.ts';
import { chromiumPath } from '../test/helpers/browser.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, runs: { type: 'string' }, prefix: { type: 'string' } } });
const runs = Number(values.runs ?? 5);
const prefix = values.prefix ?? '127.1.0.0/16';

const dataDir = await mkdtemp(join(tmpdir(), 'mp-bench-web-'));
const hub = await createHub({ listen: '127.0.0.1:0', dataDir, agents: [new LocalAgent({ name: 'local' })], web: { guest: true, guestRatePerS: 1000 } });
const browser = await chromium.launch({ executablePath: chromiumPath()!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
try {
  const page = await (await browser.newContext()).newPage();
  // Long tasks from the first paint on.
  await page.addInitScript(() => {
    const g = globalThis as any;
    g.__long = [];
    new g.PerformanceObserver((list: any) => {
      for (const e of list.getEntries()) g.__long.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(hub.url);
  const transfer = await page.evaluate(() => {
    const p = (globalThis as any).performance;
    const nav = p.getEntriesByType('navigation')[0];
    const res = p.getEntriesByType('resource');
    return { html: nav.encodedBodySize, assets: res.map((r: any) => ({ name: new URL(r.name).pathname, bytes: r.encodedBodySize })) };
  });
  const firstVisitBytes = transfer.html + transfer.assets.reduce((n: number, a: { bytes: number }) => n + a.bytes, 0);
  await page.click('#signin-guest');
  await page.waitForSelector('#cmd');

  // First result line: the time from the Enter keydown to the reply line in the DOM, taken in the page.
  const firstLine: { afterEnterMs: number; rttMs: number }[] = [];
  for (let i = 0; i < runs; i++) {
    await page.fill('#cmd', 'ping -c 1 127.0.0.1');
    await page.evaluate(() => {
      const g = globalThis as any;
      g.__enter = undefined;
      g.__first = undefined;
      g.document.getElementById('cmd').addEventListener('keydown', (e: any) => e.key === 'Enter' && (g.__enter = g.performance.now()), { once: true, capture: true });
      const obs = new g.MutationObserver(() => {
        const pre = g.document.querySelector('article.run pre.output');
        if (g.__first === undefined && pre && /icmp_seq=1 /.test(pre.textContent)) {
          g.__first = g.performance.now();
          obs.disconnect();
        }
      });
      obs.observe(g.document.querySelector('.runs'), { childList: true, subtree: true, characterData: true });
    });
    await page.press('#cmd', 'Enter');
    await page.waitForFunction(() => (globalThis as any).__first !== undefined);
    const afterEnterMs = await page.evaluate(() => (globalThis as any).__first - (globalThis as any).__enter);
    const rtt = /time=([\d.]+) ms/.exec((await page.locator('article.run >> nth=0 >> pre.output').textContent()) ?? '');
    firstLine.push({ afterEnterMs, rttMs: rtt ? Number(rtt[1]) : 0 });
    await page.waitForFunction(() => (globalThis as any).document.querySelector('article.run')?.getAttribute('data-done') === 'true');
  }
  const sorted = firstLine.map((x) => x.afterEnterMs - x.rttMs).sort((a, b) => a - b);
  const medianOverRttMs = sorted[Math.floor(sorted.length / 2)]!;

  // A live /16: long tasks while it streams and draws.
  const t0 = await page.evaluate(() => (globalThis as any).performance.now());
  await page.fill('#cmd', `probe --rate 20000 ${prefix}`);
  await page.press('#cmd', 'Enter');
  await page.waitForFunction(() => (globalThis as any).document.querySelector('article.run')?.getAttribute('data-done') === 'true', undefined, { timeout: 120_000 });
  const t1 = await page.evaluate(() => (globalThis as any).performance.now());
  const long = (await page.evaluate(() => (globalThis as any).__long)) as { start: number; ms: number }[];
  const during = long.filter((l) => l.start >= t0 && l.start <= t1);
  const up = await page.locator('canvas.sweep-canvas').first().getAttribute('data-up');
  const result = {
    firstVisitBytes,
    transfer,
    firstLine,
    medianOverRttMs,
    sweep: { prefix, wallMs: t1 - t0, hostsUp: Number(up), longTasks: during.length, longestMs: during.reduce((m, l) => Math.max(m, l.ms), 0) },
  };
  if (values.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`first visit: ${firstVisitBytes} bytes compressed (${transfer.assets.map((a: { name: string; bytes: number }) => `${a.name} ${a.bytes}`).join(', ')}, html ${transfer.html})\n`);
    process.stdout.write(`first result line: median ${medianOverRttMs.toFixed(1)} ms after Enter beyond the RTT (${firstLine.map((x) => x.afterEnterMs.toFixed(1)).join(', ')} ms after Enter)\n`);
    process.stdout.write(`live ${prefix}: ${result.sweep.hostsUp} up in ${(result.sweep.wallMs / 1000).toFixed(1)} s, ${during.length} long tasks, longest ${result.sweep.longestMs.toFixed(0)} ms${during.map((l) => ` [+${(l.start - t0).toFixed(0)} ms: ${l.ms.toFixed(0)} ms]`).join("")}\n`);
  }
} finally {
  await browser.close();
  await hub.close();
  await rm(dataDir, { recursive: true, force: true });
}
