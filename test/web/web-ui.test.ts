// The web UI end to end in a real headless Chromium (Debian's chromium, through playwright-core)
// against a real hub with a real local agent on loopback: sign-in through a local OpenID
// Connect provider (oidc-provider) and a stand-in for GitHub's OAuth endpoints, then ping,
// traceroute and a /24 sweep read from the DOM and the canvas, a monitor added, a share link
// opened without a session, hostile names rendered as text, the CSP header, no console errors,
// no horizontal overflow at 375 px. MESHPROBE_WEB_SCREENSHOTS=DIR saves the docs' screenshots.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import type { AgentInfo, AgentLink, AgentRunOptions } from '../../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../../shared/model/spec.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { browserSkipReason, launchBrowser, watchedPage } from '../helpers/browser.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';
import { startDnsServer } from '../helpers/dns-server.ts';

const skip = browserSkipReason() ?? rawSkipReason() ?? false;
const SHOTS = process.env['MESHPROBE_WEB_SCREENSHOTS'];
const XSS = '<img src=x onerror="window.__xss=1">';

let browser: Browser;
let hub: TestHub;
let idp: Server;
let github: Server;
let issuer = '';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** GitHub's OAuth and REST endpoints as the hub uses them; the authorisation is granted at once and PKCE is checked. */
async function startGithubStandIn(): Promise<string> {
  const codes = new Map<string, string>();
  github = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (v: unknown, status = 200) => (res.writeHead(status, { 'content-type': 'application/json' }), res.end(JSON.stringify(v)));
    if (url.pathname === '/login/oauth/authorize') {
      const code = `code-${codes.size}`;
      codes.set(code, url.searchParams.get('code_challenge') ?? '');
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      res.end();
    } else if (url.pathname === '/login/oauth/access_token') {
      let body = '';
      for await (const c of req) body += c;
      const p = new URLSearchParams(body);
      const challenge = codes.get(p.get('code') ?? '');
      const ok = challenge !== undefined && p.get('client_secret') === 'gh-secret' && createHash('sha256').update(p.get('code_verifier') ?? '').digest('base64url') === challenge;
      json(ok ? { access_token: 'gh-token', token_type: 'bearer' } : { error: 'bad_verification_code' });
    } else if (req.headers.authorization !== 'Bearer gh-token') {
      json({ message: 'Bad credentials' }, 401);
    } else if (url.pathname === '/user') json({ id: 4242, login: 'octo' });
    else if (url.pathname === '/user/emails') json([{ email: 'octo@example.org', primary: true, verified: true }]);
    else if (url.pathname === '/user/orgs') json([{ login: 'acme' }]);
    else json({ message: 'Not Found' }, 404);
  });
  return listen(github);
}

before(async () => {
  if (skip) return;
  idp = createServer();
  issuer = await listen(idp);
  const githubUrl = await startGithubStandIn();
  hub = await startTestHub({
    agents: [new LocalAgent({ name: 'local' })],
    web: {
      guest: true,
      oidc: { issuer, clientId: 'meshprobe', clientSecret: 'oidc-secret', label: 'Test IdP' },
      github: { clientId: 'gh-client', clientSecret: 'gh-secret', webUrl: githubUrl, apiUrl: githubUrl },
      allow: 'domain:example.com=measure read monitor:read monitor:write; github-org:acme',
    },
  });
  // oidc-provider ships no types; the test uses three of its options.
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: new (issuer: string, config: unknown) => { callback(): (req: unknown, res: unknown) => void } };
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'meshprobe', client_secret: 'oidc-secret', redirect_uris: [`${hub.url}/auth/oidc/callback`], grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true }) }),
    pkce: { required: () => true },
  });
  idp.on('request', provider.callback());
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await hub?.close();
  idp?.close();
  github?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Types a command, presses Enter, waits for its run to finish; returns the run's element text. */
async function runCommand(page: Page, command: string): Promise<string> {
  await page.fill('#cmd', command);
  await page.press('#cmd', 'Enter');
  const run = page.locator('article.run').first();
  await run.locator('.cmd', { hasText: command }).waitFor();
  await page.waitForFunction(() => (globalThis as any).document.querySelector('article.run')?.getAttribute('data-done') === 'true', undefined, { timeout: 60_000 });
  return (await run.textContent()) ?? '';
}

test('guest: the page has its CSP, runs ping, traceroute and a /24 sweep from the command box, and shares a result', { skip }, async () => {
  const context = await browser.newContext();
  const { page, problems } = await watchedPage(context);
  const res = await page.goto(hub.url);
  assert.match(res!.headers()['content-security-policy'] ?? '', /script-src 'self'/);
  await page.click('#signin-guest');
  await page.waitForSelector('#cmd');

  const ping = await runCommand(page, 'ping -c 3 -i 0.2 127.0.0.1');
  assert.match(ping, /icmp_seq=3/);
  const stats = await page.locator('article.run >> nth=0 >> .stats').textContent();
  assert.match(stats ?? '', /sent3received3loss0\.0%/);
  assert.equal(await page.locator('article.run >> nth=0 >> svg.spark').count(), 1);
  await shot(page, 'web-ping');

  // Help and refusals are the shared grammar's, in the page.
  await page.fill('#cmd', 'ping -c 0 127.0.0.1');
  await page.press('#cmd', 'Enter');
  assert.match((await page.locator('article.run >> nth=0 >> pre').textContent()) ?? '', /usage: ping/);
  // History on the up arrow.
  await page.press('#cmd', 'ArrowUp');
  assert.equal(await page.inputValue('#cmd'), 'ping -c 0 127.0.0.1');

  await runCommand(page, 'traceroute 127.0.0.1');
  const hops = page.locator('article.run >> nth=0 >> tr.hop');
  assert.ok((await hops.count()) >= 1);
  assert.match((await hops.first().textContent()) ?? '', /127\.0\.0\.1/);
  // The path picture's link appears once the picture is drawn, which may be a frame after the last line.
  await page.locator('article.run >> nth=0 >> a[download="meshprobe-path.png"]').waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('article.run >> nth=0 >> a[download="meshprobe-path.png"]').count(), 1);

  const sweep = await runCommand(page, 'probe 127.1.2.0/24');
  const up = Number(/of 256 hosts up/.test(sweep) ? /(\d+) of 256 hosts up/.exec(sweep)![1] : NaN);
  assert.ok(up >= 254, `hosts up: ${up}`);
  // Browser-side code: the tests are compiled without the DOM library, hence `any`.
  const lit = await page.locator('canvas.sweep-canvas').first().evaluate((el: any) => {
    const cell = Number(el.dataset.cell);
    const cols = Number(el.dataset.columns);
    const px = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    let n = 0;
    for (let i = 0; i < 256; i++) {
      const x = (i % cols) * cell + Math.floor(cell / 2);
      const y = Math.floor(i / cols) * cell + Math.floor(cell / 2);
      const o = (y * el.width + x) * 4;
      if (px[o] === 0x1f && px[o + 1] === 0xa3 && px[o + 2] === 0x4a) n++;
    }
    return n;
  });
  assert.equal(lit, up, 'one lit cell per host that answered');
  // Hovering a cell names its address.
  const box = (await page.locator('canvas.sweep-canvas').first().boundingBox())!;
  await page.mouse.move(box.x + 3, box.y + 3);
  assert.match((await page.locator('.tip').first().textContent()) ?? '', /127\.1\.2\.0/);
  await shot(page, 'web-sweep');

  // Share the ping (the third run from the top) and open it without a session.
  const pingRun = page.locator('article.run', { has: page.locator('.cmd', { hasText: 'ping -c 3' }) });
  await pingRun.locator('.share button').click();
  const link = (await pingRun.locator('a.share-link').getAttribute('href'))!;
  assert.match(link, /\/s\/[A-Za-z0-9_-]{22}$/);
  const fresh = await browser.newContext();
  const other = await watchedPage(fresh);
  await other.page.goto(link);
  await other.page.waitForSelector('article.run[data-done="true"]');
  assert.match((await other.page.locator('article.run').textContent()) ?? '', /icmp_seq=3/);
  assert.equal((await fresh.cookies()).length, 0, 'no session was needed');
  assert.deepEqual([...problems, ...other.problems], []);
  await fresh.close();
  await context.close();
});

/**
 * The samples of the first monitor (one on 127.0.0.1 every 0.5 s is added when there is none)
 * once the local agent has reported it: the hub's own answer, to compare the chart with.
 */
async function reportedSamples(): Promise<{ p50Ms: number | null; lossPct: number | null }[]> {
  const headers = { authorization: `Bearer ${await hub.token(['admin'])}`, 'content-type': 'application/json' };
  let { monitors } = (await (await fetch(`${hub.url}/v1/monitors`, { headers })).json()) as { monitors: { id: number }[] };
  if (monitors.length === 0) {
    const r = await fetch(`${hub.url}/v1/monitors`, { method: 'POST', headers, body: JSON.stringify({ target: '127.0.0.1', interval: '0.5s' }) });
    assert.equal(r.status, 201);
    monitors = [(await r.json()) as { id: number }];
  }
  const samplesUrl = `${hub.url}/v1/monitors/${monitors[0]!.id}/samples?agent=local&from=-6h`;
  let samples: { p50Ms: number | null; lossPct: number | null }[] = [];
  for (let i = 0; i < 60 && samples.length === 0; i++) {
    samples = ((await (await fetch(samplesUrl, { headers })).json()) as { samples: typeof samples }).samples;
    if (samples.length === 0) await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(samples.length > 0, 'the local agent reported the monitor within 30 s');
  return samples;
}

test('OpenID Connect sign-in through a local provider; add a monitor and see its row; mint and revoke an API token', { skip }, async () => {
  const context = await browser.newContext();
  const { page, problems } = await watchedPage(context, hub.url);
  await page.goto(hub.url);
  await page.click('#signin-oidc');
  // oidc-provider's development login and consent pages.
  await page.fill('input[name="login"]', 'ann');
  await page.fill('input[name="password"]', 'any');
  await page.click('button[type="submit"]');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${hub.url}/`);
  await page.waitForSelector('#cmd');
  assert.equal(await page.locator('.who .sub').textContent(), 'oidc:ann');

  await page.click('a[href="#monitors"]');
  await page.fill('.add-monitor input[name="target"]', '127.0.0.1');
  await page.fill('.add-monitor input[name="interval"]', '0.5s');
  await page.click('.add-monitor button[type="submit"]');
  await page.waitForSelector('tr.monitor-row');
  assert.match((await page.locator('tr.monitor-row').first().textContent()) ?? '', /127\.0\.0\.1/);
  // Its chart per agent, once the agent has reported: the samples the hub stores, drawn by uPlot.
  const samples = await reportedSamples();
  await page.reload();
  await page.locator('tr.monitor-row .chart-toggle').first().click();
  await page.waitForFunction(() => Number((globalThis as any).document.querySelector('figure.chart .chart-plot')?.dataset.points ?? 0) > 0);
  const drawn = Number(await page.locator('figure.chart .chart-plot').getAttribute('data-points'));
  const values = samples.reduce((n, s) => n + (s.p50Ms !== null ? 2 : 0) + (s.lossPct !== null ? 1 : 0), 0);
  assert.ok(drawn >= values, `the chart drew ${drawn} values, the samples hold ${values} (p50, p95, loss)`);
  assert.equal(await page.locator('figure.chart canvas').count(), 1);
  assert.match((await page.locator('figure.chart figcaption').textContent()) ?? '', /from local, last 6h: \d+ samples? of 1 min; last: loss \d+\.\d%, p50 [\d.]+ ms, p95 [\d.]+ ms$/);
  const phoneOverflow = await page.evaluate(() => {
    const d = (globalThis as any).document.documentElement;
    return d.scrollWidth - d.clientWidth;
  });
  assert.equal(phoneOverflow, 0, 'the monitors page with a chart open does not scroll sideways');
  // Its heatmap, fetched with the session cookie.
  await page.locator('tr.monitor-row .actions button', { hasText: 'heatmap' }).first().click();
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('figure.heatmap img')?.naturalWidth ?? 0) > 0);
  await shot(page, 'web-monitors');

  await page.click('a[href="#tokens"]');
  await page.fill('.mint input[name="label"]', 'laptop CLI');
  await page.click('.mint button[type="submit"]');
  const token = await page.locator('input.token').inputValue();
  const who = await fetch(`${hub.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(((await who.json()) as { sub: string }).sub, 'oidc:ann');
  await page.locator('tr.token-row button.danger').click();
  await page.locator('tr.token-row .state', { hasText: 'revoked' }).waitFor();
  assert.equal((await fetch(`${hub.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  assert.deepEqual(problems, []);
  await context.close();
});

test('GitHub sign-in through a stand-in for its OAuth endpoints (PKCE checked), allowed by organisation', { skip }, async () => {
  const context = await browser.newContext();
  const { page, problems } = await watchedPage(context);
  await page.goto(hub.url);
  await page.click('#signin-github');
  await page.waitForSelector('#cmd');
  assert.equal(await page.locator('.who .sub').textContent(), 'github:4242');
  const cookie = (await context.cookies()).find((c) => c.name === 'mp_session')!;
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a phone (375 px) sees no horizontal overflow on the run, monitors (a chart open) and tokens pages, in dark mode', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
  const { page, problems } = await watchedPage(context);
  await page.goto(hub.url);
  await page.click('#signin-guest');
  await page.waitForSelector('#cmd');
  await runCommand(page, 'ping -c 2 -i 0.2 127.0.0.1 127.0.0.2');
  await page.waitForSelector('table.matrix');
  const overflow = await page.evaluate(() => {
    const d = (globalThis as any).document.documentElement;
    return d.scrollWidth - d.clientWidth;
  });
  assert.equal(overflow, 0);
  await shot(page, 'web-phone-dark');
  assert.deepEqual(problems, []);
  await context.close();

  // The other pages at 375 px, signed in with a pasted token (guests see only their own
  // monitors, and may add none): monitors, with a chart open, and tokens.
  await reportedSamples();
  const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
  const second = await watchedPage(phone);
  const p2 = second.page;
  const sideways = () =>
    p2.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });
  await p2.goto(hub.url);
  await p2.fill('form.paste input[name="token"]', await hub.token(['admin']));
  await p2.click('form.paste button[type="submit"]');
  await p2.waitForSelector('#cmd');
  await p2.click('a[href="#monitors"]');
  await p2.locator('tr.monitor-row .chart-toggle').first().click();
  await p2.waitForFunction(() => Number((globalThis as any).document.querySelector('figure.chart .chart-plot')?.dataset.points ?? 0) > 0);
  await shot(p2, 'web-phone-monitor-chart');
  assert.equal(await sideways(), 0, 'the monitors page with a chart open fits 375 px');
  await p2.click('a[href="#tokens"]');
  await p2.waitForSelector('table.tokens');
  assert.equal(await sideways(), 0, 'the tokens page fits 375 px');
  assert.deepEqual(second.problems, []);
  await phone.close();
});

/** An agent with a hostile name that answers a trace with a hostile reverse-DNS name. */
class HostileAgent implements AgentLink {
  // Agent names are refused unless [A-Za-z0-9._-] (the registry); its other attributes are free text.
  readonly info: AgentInfo = { name: 'evil', city: XSS, isp: XSS, capabilities: ['icmp', 'ping', 'traceroute'], version: XSS };
  async run(spec: MeasurementSpec, { emit }: AgentRunOptions): Promise<void> {
    const target = spec.targets[0]!;
    emit({ type: 'start', agent: XSS, target, measurement: spec.type, address: '127.0.0.1', family: 4, protocol: 'icmp', params: {} });
    emit({ type: 'hop', agent: XSS, target, ttl: 1, responders: [{ address: '127.0.0.1', name: `${XSS}.example`, rttsMs: [0.1] }], sent: 1, received: 1, lossPct: 0 });
    emit({ type: 'summary', agent: XSS, target, measurement: spec.type, durationMs: 1, sent: 1, received: 1, lossPct: 0, minMs: 0.1, avgMs: 0.1, maxMs: 0.1, mdevMs: 0, p50Ms: 0.1, p90Ms: 0.1, p99Ms: 0.1, reached: true, hops: 1 });
  }
}

test('an XSS payload in an agent\'s attributes, as a DNS answer (a real TXT record) and as a hop name renders as text', { skip }, async () => {
  const dns = await startDnsServer({}, { extra: [{ type: 'TXT', name: 'xss.test', ttl: 300, class: 'IN', data: [XSS] }] });
  const xhub = await startTestHub({ agents: [new HostileAgent(), new LocalAgent({ name: 'resolver', dnsServers: dns.servers })], web: { guest: true } });
  const context = await browser.newContext();
  const { page, problems } = await watchedPage(context);
  try {
    await page.goto(xhub.url);
    await page.click('#signin-guest');
    await page.waitForSelector('#cmd');
    const trace = await runCommand(page, 'traceroute -s evil 127.0.0.1');
    assert.ok(trace.includes(`${XSS}.example`), 'the hop name is shown as text');
    await runCommand(page, 'dns -s resolver --type TXT xss.test');
    const record = (await page.locator('article.run >> nth=0 >> tr.record td.data').first().textContent()) ?? '';
    // In presentation form (quoted, inner quotes escaped), as dig prints it: text, not markup.
    assert.match(record, /^"<img src=x onerror=\\"window\.__xss=1\\">"$/);
    await shot(page, 'web-dns');
    await page.click('a[href="#agents"]');
    await page.locator('tr.agent-row', { hasText: 'onerror' }).waitFor();
    assert.ok(((await page.locator('tr.agent-row', { hasText: 'evil' }).textContent()) ?? '').includes(XSS));
    // Connected since: the hub's connectedAt, not an announced attribute.
    const since = await page.locator('tr.agent-row', { hasText: 'evil' }).locator('td.since time').getAttribute('datetime');
    assert.ok(Math.abs(Date.parse(since ?? '') - Date.now()) < 120_000, `connected since ${since}: when the hub added it`);
    assert.match((await page.locator('tr.agent-row', { hasText: 'evil' }).locator('td.since').textContent()) ?? '', /\(\d+ s ago\)|\(\d+ min ago\)/);
    await shot(page, 'web-agents');
    assert.equal(await page.locator('main img').count(), 0, 'no element was made of the payload');
    assert.equal(await page.evaluate(() => (globalThis as any).__xss), undefined);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await xhub.close();
    await dns.close();
  }
});
