/**
 * The Email Worker inside workerd (miniflare), replying through miniflare's real
 * `message.reply` (which validates threading and records the reply as an .eml file), asking a
 * real hub on 127.0.0.1 with two real local agents named a and b.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { build } from 'esbuild';
import { Log, LogLevel, Miniflare } from 'miniflare';
import PostalMime from 'postal-mime';
import type { Email } from 'postal-mime';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { createHub } from '../../hub/http/server.ts';
import type { Hub } from '../../hub/http/server.ts';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/email');
const MAX_BYTES = 256 * 1024;

/** Keeps what miniflare logs: the reply's .eml path is in "Email handler replied …". */
class CapturingLog extends Log {
  readonly lines: string[] = [];
  constructor() {
    super(LogLevel.INFO);
  }
  protected override log(message: string): void {
    this.lines.push(stripVTControlCharacters(message));
  }
}

let hub: Hub;
const principals: { subject: string; via: string | undefined }[] = [];
let mf: Miniflare;
let dataDir: string;
const log = new CapturingLog();
let workerOutput = '';
let script = '';
let token = '';
const captureStdio = (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
  stdout.on('data', (d: Buffer) => (workerOutput += d.toString()));
  stderr.on('data', (d: Buffer) => (workerOutput += d.toString()));
};

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-email-worker-'));
  hub = await createHub({ listen: '127.0.0.1:0', dataDir, agents: [new LocalAgent({ name: 'a' }), new LocalAgent({ name: 'b' })],
    // Who the hub measured for: the sender, via the gateway's service token (delegate scope).
    observer: { streamOpened: (o) => void principals.push({ subject: o.principal.subject, via: o.principal.via }) },
  });
  // The hub wants a bearer token; the Worker carries one as its HUB_TOKEN secret.
  token = (await hub.tokens.issue({ sub: 'service:email', scopes: ['measure', 'delegate'], ttlS: 3600 })).token;
  // Bundled the way wrangler would: one ES module, cloudflare:* left to workerd.
  const bundle = await build({
    entryPoints: [join(root, 'email-worker/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'silent',
  });
  script = bundle.outputFiles[0]!.text;
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(toml)![1]!;
  mf = new Miniflare(workerOptions({ HUB_URL: hub.url, HUB_TOKEN: token, MAX_MESSAGE_BYTES: String(MAX_BYTES), TIME_BUDGET_SECONDS: '20', RATE_BURST: '100' }));
  await mf.ready;
});

after(async () => {
  await mf?.dispose();
  await hub?.close();
  await rm(dataDir, { recursive: true, force: true });
});

let compatibilityDate: string;

/** The Worker's miniflare options with these bindings: the same bundle and wrangler.toml's compatibility date every time. */
function workerOptions(bindings: Record<string, string>) {
  return { modules: true as const, script, compatibilityDate, unsafeTriggerHandlers: true, log, handleRuntimeStdio: captureStdio, bindings };
}

/** Delivers a raw message to the Worker's email() handler the way `wrangler dev` does. */
async function deliver(raw: string | Uint8Array, from: string, to = 'cli@meshprobe.example'): Promise<{ status: number; body: string }> {
  const res = await mf.dispatchFetch(`http://localhost/cdn-cgi/handler/email?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, {
    method: 'POST',
    body: raw,
  });
  return { status: res.status, body: await res.text() };
}

/** The reply to `messageId`, read from the .eml miniflare recorded; undefined when none. */
async function replyTo(messageId: string): Promise<{ raw: string; mail: Email } | undefined> {
  const paths = log.lines.flatMap((l) => (l.includes('Email handler replied to sender') ? [l.slice(l.lastIndexOf('\n') + 1).trim()] : []));
  for (const p of paths) {
    const raw = await readFile(p, 'utf8');
    const mail = await PostalMime.parse(raw);
    if (mail.inReplyTo === messageId) return { raw, mail };
  }
  return undefined;
}

function message(o: { id: string; from?: string; subject?: string; body: string; headers?: string[] }): string {
  return [
    `From: Tester <${o.from ?? 'tester@example.org'}>`,
    'To: cli@meshprobe.example',
    `Subject: ${o.subject ?? 'measurement'}`,
    `Message-ID: ${o.id}`,
    'Date: Sat, 21 Nov 2026 22:00:00 +0000',
    'MIME-Version: 1.0',
    ...(o.headers ?? []),
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    '',
  ].join('\r\n');
}

test('ping -s a,b 127.0.0.1 ::1 → a threaded reply with text, HTML and the agents × targets matrix', async () => {
  const id = '<ping-matrix-1@example.org>';
  const r = await deliver(message({ id, body: 'Hi,\r\n\r\nping -s a,b -c 2 -i 0.2 127.0.0.1 ::1\r\n\r\n-- \r\nTester' }), 'tester@example.org');
  assert.equal(r.status, 200, r.body);
  const reply = await replyTo(id);
  assert.ok(reply, `a reply was recorded; worker said: ${workerOutput.slice(-500)}`);
  const { mail, raw } = reply;
  assert.equal(mail.inReplyTo, id);
  assert.match(mail.references ?? '', /<ping-matrix-1@example\.org>/);
  // The subject carries the result, so an inbox on a phone shows the answer.
  assert.match(mail.subject ?? '', /^Re: measurement — ping 127\.0\.0\.1 ::1 from 2 agents: [\d.–]+ ms, 0% loss$/);
  assert.match(raw, /^Auto-Submitted: auto-replied/m);
  assert.match(raw, /multipart\/alternative/);
  assert.ok(mail.text && mail.html, 'text and HTML parts');
  // Text: the shared renderer's matrix; HTML: the coloured table with a row per agent.
  assert.match(mail.text, /matrix/);
  assert.match(mail.text, /^a\s+[\d.]+ ms/m);
  assert.match(mail.text, /^b\s+[\d.]+ ms/m);
  const matrix = mail.html.slice(mail.html.indexOf('meshprobe-matrix'));
  assert.match(matrix, /<th[^>]*>127\.0\.0\.1<\/th><th[^>]*>::1<\/th>/);
  assert.match(matrix, /<tr><th[^>]*>a<\/th>(<td[^>]*background:#[0-9a-f]{6}[^>]*>✓ [\d.]+ ms<\/td>){2}<\/tr>/);
  assert.match(matrix, /<tr><th[^>]*>b<\/th>(<td[^>]*background:#[0-9a-f]{6}[^>]*>✓ [\d.]+ ms<\/td>){2}<\/tr>/);
  assert.deepEqual(principals.at(-1), { subject: 'email:tester@example.org', via: 'service:email' }, 'the hub limits this sender apart');
});

test('traceroute -s a 127.0.0.1 → a threaded reply with the hop table', async (t) => {
  const id = '<trace-1@example.org>';
  const r = await deliver(message({ id, subject: 'trace', body: 'traceroute -s a 127.0.0.1' }), 'tester@example.org');
  assert.equal(r.status, 200, r.body);
  const reply = await replyTo(id);
  assert.ok(reply, 'a reply was recorded');
  assert.equal(reply.mail.inReplyTo, id);
  assert.ok(reply.mail.text && reply.mail.html, 'text and HTML parts');
  if (/traceroute is not supported yet/.test(reply.mail.text)) {
    t.skip('the agent has no traceroute yet (the reply carries the hub\'s error); hop table checked with fixtures in test/shared/render/html-renderer.test.ts');
    return;
  }
  assert.match(reply.mail.html, /<th[^>]*>hop<\/th>/);
  assert.match(reply.mail.html, /<td[^>]*>1<\/td><td[^>]*>127\.0\.0\.1/);
  assert.match(reply.mail.text, /127\.0\.0\.1/);
});

test('help in the subject of an otherwise empty message answers the grammar', async () => {
  const id = '<help-1@example.org>';
  const r = await deliver(message({ id, subject: 'Re: help ping', body: '-- \r\nsig' }), 'tester@example.org');
  assert.equal(r.status, 200, r.body);
  const reply = await replyTo(id);
  assert.ok(reply);
  assert.match(reply.mail.text!, /^usage: ping/m);
  assert.equal(reply.mail.subject, 'Re: help ping');
});

test('a message over the size limit is rejected with setReject, before any reply', async () => {
  const id = '<big-1@example.org>';
  const big = message({ id, body: 'ping 127.0.0.1\r\n' + ('x'.repeat(998) + '\r\n').repeat(Math.ceil((MAX_BYTES + 1024) / 1000)) });
  const r = await deliver(big, 'tester@example.org');
  assert.equal(r.status, 400);
  assert.match(r.body, /Worker rejected email with the following reason: message too large: \d+ bytes, the limit is 262144/);
  assert.equal(await replyTo(id), undefined);
});

test('a 30 MB message is refused and never answered', async () => {
  const id = '<huge-1@example.org>';
  const huge = message({ id, body: 'ping 127.0.0.1\r\n' + ('y'.repeat(998) + '\r\n').repeat(30 * 1024) });
  assert.ok(huge.length > 30 * 1000 * 1000);
  const r = await deliver(huge, 'tester@example.org');
  // Email Routing (and miniflare, mirroring it) stops anything over 25 MiB before the Worker runs;
  // below that our own limit applies (previous test).
  assert.equal(r.status, 400);
  assert.equal(await replyTo(id), undefined);
});

for (const [fixture, reason] of [['auto-reply', /Auto-Submitted: auto-replied/], ['mailing-list', /List-Id/]] as const) {
  test(`the ${fixture} fixture gets no answer`, async () => {
    const raw = readFileSync(join(fixtures, `${fixture}.eml`));
    const mail = await PostalMime.parse(raw);
    const before = workerOutput.length;
    const r = await deliver(raw, mail.from!.address!, 'cli@meshprobe.example');
    assert.equal(r.status, 200, r.body);
    assert.equal(await replyTo(mail.messageId!), undefined);
    // The Worker decided not to answer (rather than miniflare refusing its attempt).
    await waitFor(() => workerOutput.slice(before).includes('"ignored"'));
    assert.match(workerOutput.slice(before), reason);
  });
}

test('a measurement longer than TIME_BUDGET_SECONDS is cut and the reply holds what arrived', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: hub.url, HUB_TOKEN: token, TIME_BUDGET_SECONDS: '1' }));
  const id = '<budget-1@example.org>';
  const started = Date.now();
  const r = await deliver(message({ id, body: 'ping -s a -c 10 -i 0.4 127.0.0.1' }), 'tester@example.org');
  assert.equal(r.status, 200, r.body);
  assert.ok(Date.now() - started < 3500, 'cut near 1 s, not after the 3.6 s the ping would take');
  const reply = await replyTo(id);
  assert.ok(reply);
  assert.match(reply.mail.text!, /stopped after 1 s: partial results/);
  assert.match(reply.mail.text!, /icmp_seq=1 /);
  assert.doesNotMatch(reply.mail.text!, /icmp_seq=10 /);
});

test('a hub that cannot be reached still gets the sender a one-line reason', async () => {
  // Same Worker, other HUB_URL: a closed port on loopback.
  const id = '<nohub-1@example.org>';
  await mf.setOptions(workerOptions({ HUB_URL: 'http://127.0.0.1:9', MAX_MESSAGE_BYTES: String(MAX_BYTES) }));
  const r = await deliver(message({ id, body: 'ping -c 1 127.0.0.1' }), 'tester@example.org');
  assert.equal(r.status, 200, r.body);
  const reply = await replyTo(id);
  assert.ok(reply);
  assert.match(reply.mail.text!, /cannot reach the hub.*\(MP_ERR_HUB\)/);
  assert.equal(reply.mail.text!.trim().split('\n').length, 1);
});

test('a HUB_URL that is not a URL gets the sender a one-line "misconfigured" reply, not silence', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: 'not a url', MAX_MESSAGE_BYTES: String(MAX_BYTES) }));
  const id = '<badurl-1@example.org>';
  assert.equal((await deliver(message({ id, body: 'ping -c 1 127.0.0.1' }), 'tester@example.org')).status, 200);
  const reply = await replyTo(id);
  assert.ok(reply, 'a reply was sent');
  assert.match(reply.mail.text!, /^the gateway is misconfigured: hub URL is not a URL: not a url/);
  assert.equal(reply.mail.text!.trim().split('\n').length, 1);
});

test('senders outside ALLOW_FROM are rejected; a flooding sender gets one notice, then silence', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: hub.url, HUB_TOKEN: token, ALLOW_FROM: 'example.org', RATE_BURST: '1', RATE_REFILL_SECONDS: '3600' }));
  const stranger = await deliver(message({ id: '<stranger-1@evil.example>', from: 'mallory@evil.example', body: 'version' }), 'mallory@evil.example');
  assert.equal(stranger.status, 400);
  assert.match(stranger.body, /sender mallory@evil\.example is not allowed/);

  const ids = ['<flood-1@example.org>', '<flood-2@example.org>', '<flood-3@example.org>'];
  for (const id of ids) assert.equal((await deliver(message({ id, from: 'flood@example.org', body: 'version' }), 'flood@example.org')).status, 200);
  const [first, second, third] = await Promise.all(ids.map((id) => replyTo(id)));
  assert.match(first!.mail.text!, /^meshprobe \S+ \(API \d+\)/);
  assert.match(second!.mail.text!, /^Too many commands from flood@example\.org; try again in \d+ s/);
  assert.equal(third, undefined);
});

test('without HUB_TOKEN the sender gets the hub\'s one-line refusal, not silence', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: hub.url }));
  const id = '<notoken-1@example.org>';
  assert.equal((await deliver(message({ id, body: 'ping -c 1 127.0.0.1' }), 'tester@example.org')).status, 200);
  const reply = await replyTo(id);
  assert.ok(reply);
  assert.match(reply.mail.text!, /\(MP_ERR_UNAUTHORIZED\)$/m);
  assert.equal(reply.mail.text!.trim().split('\n').length, 1);
});

test('mail from rotating forged senders gets at most REPLIES_PER_MINUTE answers, the rest none (logged)', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: hub.url, HUB_TOKEN: token, RATE_BURST: '100', REPLIES_PER_MINUTE: '3' }));
  const before = workerOutput.length;
  const ids = Array.from({ length: 8 }, (_, i) => `<forged-${i}@example.org>`);
  for (const [i, id] of ids.entries()) {
    const sender = `victim${i}@example.org`;
    assert.equal((await deliver(message({ id, from: sender, body: 'version' }), sender)).status, 200);
  }
  const replies = (await Promise.all(ids.map((id) => replyTo(id)))).filter(Boolean);
  assert.equal(replies.length, 3, 'the budget, not one per forged sender');
  await waitFor(() => (workerOutput.slice(before).match(/reply budget of 3 replies per minute/g) ?? []).length === 5);
  assert.equal((workerOutput.slice(before).match(/reply budget of 3 replies per minute is spent/g) ?? []).length, 5, workerOutput.slice(before));
});

test('dmarc=fail in an Authentication-Results of AUTHSERV_ID gets no answer; one of another authserv-id is ignored', async () => {
  await mf.setOptions(workerOptions({ HUB_URL: hub.url, HUB_TOKEN: token, RATE_BURST: '100', AUTHSERV_ID: 'mx.cloudflare.net' }));
  const before = workerOutput.length;
  const ours = '<dmarc-ours@example.org>';
  const theirs = '<dmarc-theirs@example.org>';
  const failing = ['Authentication-Results: mx.cloudflare.net;', '\tdkim=none (no signature);', '\tdmarc=fail (p=reject sp=reject) header.from=example.org'].join('\r\n');
  assert.equal((await deliver(message({ id: ours, from: 'ceo@example.org', body: 'version', headers: [failing] }), 'ceo@example.org')).status, 200);
  const forgedHeader = 'Authentication-Results: mx.forged.example; dmarc=fail header.from=example.org';
  assert.equal((await deliver(message({ id: theirs, from: 'someone@example.org', body: 'version', headers: [forgedHeader] }), 'someone@example.org')).status, 200);
  assert.ok(await replyTo(theirs), 'a header of another authserv-id is not trusted: answered');
  await waitFor(() => workerOutput.slice(before).includes('dmarc=fail'));
  assert.match(workerOutput.slice(before), /"ignored".*dmarc=fail in the Authentication-Results of mx\.cloudflare\.net/);
  assert.equal(await replyTo(ours), undefined);
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
