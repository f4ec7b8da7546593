/**
 * The Node SMTP gateway over real SMTP both ways: nodemailer (and a raw socket, for the
 * dialogue) → the gateway → a real hub with a local agent → the reply through nodemailer to a
 * sink smtp-server this test runs on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { createHub } from '../../../hub/http/server.ts';
import type { Hub } from '../../../hub/http/server.ts';
import { startSmtpGateway } from '../../../bots/email/smtp-gateway.ts';
import type { SmtpGateway } from '../../../bots/email/smtp-gateway.ts';
import { smtpGatewayOptionsFromEnv } from '../../../bots/email/main.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/email');
const FROM = 'cli@meshprobe.test';
const MAX = 64 * 1024;

interface Received {
  envelopeTo: string[];
  mail: ParsedMail;
}

let hub: Hub;
const principals: { subject: string; via: string | undefined }[] = [];
let dataDir: string;
let sink: SMTPServer;
let sinkPort: number;
let gateway: SmtpGateway;
let hubToken = '';
const received: Received[] = [];
const logs: string[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-smtp-gw-'));
  hub = await createHub({ listen: '127.0.0.1:0', dataDir, agents: [new LocalAgent({ name: 'a' }), new LocalAgent({ name: 'b' })],
    // Who the hub measured for: the sender, via the gateway's service token (delegate scope).
    observer: { streamOpened: (o) => void principals.push({ subject: o.principal.subject, via: o.principal.via }) },
  });
  hubToken = (await hub.tokens.issue({ sub: 'service:email', scopes: ['measure', 'delegate'], ttlS: 3600 })).token;
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, cb) {
      simpleParser(stream).then((mail) => {
        received.push({ envelopeTo: session.envelope.rcptTo.map((r) => r.address), mail });
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  sinkPort = ((sink as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  gateway = await startSmtpGateway({
    listen: '127.0.0.1:0',
    relay: `smtp://127.0.0.1:${sinkPort}`,
    from: FROM,
    hubUrl: hub.url,
    hubToken,
    maxMessageBytes: MAX,
    rateLimit: { burst: 100 },
    budgetMs: 15_000,
    log: (line) => logs.push(line),
  });
});

after(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await hub?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function client() {
  return createTransport({ host: '127.0.0.1', port: gateway.port, secure: false, ignoreTLS: true });
}

async function replyTo(messageId: string, ms = 10_000): Promise<Received | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const r = received.find((x) => x.mail.inReplyTo === messageId);
    if (r || Date.now() > end) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
}

async function logLine(re: RegExp, ms = 5000): Promise<string | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const l = logs.find((x) => re.test(x));
    if (l || Date.now() > end) return l;
    await new Promise((res) => setTimeout(res, 25));
  }
}

test('a command sent with nodemailer is answered over SMTP at the sink, threaded, text + HTML', async () => {
  const messageId = '<smtp-ping-1@example.org>';
  const info = await client().sendMail({
    from: 'Alice <alice@example.org>',
    to: FROM,
    subject: 'latency',
    messageId,
    text: 'Hello,\n\nping -s a,b -c 2 -i 0.2 127.0.0.1 ::1\n\n-- \nAlice',
  });
  assert.match(info.response, /^250 /);
  const r = await replyTo(messageId);
  assert.ok(r, `a reply reached the sink; gateway log: ${logs.join(' | ')}`);
  assert.deepEqual(r.envelopeTo, ['alice@example.org']);
  assert.match(r.mail.subject ?? '', /^Re: latency — ping .* from 2 agents: [\d.–]+ ms, 0% loss$/, 'the subject carries the result');
  assert.equal(r.mail.from?.value[0]?.address, FROM);
  assert.match(String(r.mail.references), /smtp-ping-1@example\.org/);
  assert.equal(r.mail.headers.get('auto-submitted'), 'auto-replied');
  assert.match(r.mail.text ?? '', /matrix/);
  assert.match(String(r.mail.html), /meshprobe-matrix/);
  assert.match(String(r.mail.html), /<tr><th[^>]*>b<\/th>(<td[^>]*background:#[0-9a-f]{6}[^>]*>✓ [\d.]+ ms<\/td>){2}<\/tr>/);
  assert.deepEqual(principals.at(-1), { subject: 'email:alice@example.org', via: 'service:email' }, 'the hub limits this sender apart');
});

test('an HTML-only Outlook message is read through its text (mailparser path)', async () => {
  const raw = readFileSync(join(fixtures, 'outlook-html-only.eml'));
  await client().sendMail({ envelope: { from: 'carla@corp.example', to: [FROM] }, raw });
  const r = await replyTo('<AM9PR07MB7201C0FFEE1234@AM9PR07MB7201.eurprd07.prod.outlook.example>');
  assert.ok(r, 'a reply reached the sink');
  assert.match(r.mail.subject ?? '', /^Re: AW: ping example\.com — /);
  assert.match(String(r.mail.html), /<b>traceroute -s fra1 -m 20 example\.com<\/b>/);
});

test('an oversize message is refused in the SMTP dialogue: SIZE advertised, 552 at MAIL FROM and after DATA', async () => {
  // The dialogue by hand, to see the EHLO keywords and the MAIL FROM answer.
  const lines = await smtpDialogue(gateway.port, ['EHLO tester.example', `MAIL FROM:<alice@example.org> SIZE=${MAX + 1}`, 'QUIT']);
  assert.ok(lines.some((l) => l === `250-SIZE ${MAX}` || l === `250 SIZE ${MAX}`), lines.join('\n'));
  assert.ok(lines.some((l) => /^552 /.test(l)), lines.join('\n'));
  // A client that does not declare the size is stopped after DATA.
  const messageId = '<smtp-big-1@example.org>';
  await assert.rejects(
    client().sendMail({ from: 'alice@example.org', to: FROM, subject: 'big', messageId, text: 'ping 127.0.0.1\n' + 'x'.repeat(MAX * 2) }),
    (err: { responseCode?: number }) => err.responseCode === 552,
  );
  assert.equal(await replyTo(messageId, 300), undefined);
});

for (const [fixture, envelopeFrom, reason] of [
  ['auto-reply', 'alice@example.org', /Auto-Submitted/],
  ['mailing-list', 'netops-bounces@lists.example.org', /List-Id/],
  ['bounce', '', /Auto-Submitted|empty return path/],
] as const) {
  test(`the ${fixture} fixture is accepted but never answered`, async () => {
    const raw = readFileSync(join(fixtures, `${fixture}.eml`));
    const mail = await simpleParser(raw);
    const info = await client().sendMail({ envelope: { from: envelopeFrom, to: [FROM] }, raw });
    assert.match(info.response, /^250 /);
    const line = await logLine(new RegExp(`email from ${envelopeFrom || '<>'}: not answered`));
    assert.ok(line, logs.join(' | '));
    assert.match(line, reason);
    assert.equal(await replyTo(mail.messageId!, 200), undefined);
  });
}

test('recipients other than ours are refused with 550 (not an open relay)', async () => {
  await assert.rejects(client().sendMail({ from: 'alice@example.org', to: 'someone@elsewhere.example', subject: 'x', text: 'ping 127.0.0.1' }), (err: { responseCode?: number }) => err.responseCode === 550);
});

test('a sender outside the allow-list is refused with 550 at MAIL FROM', async () => {
  const gw = await startSmtpGateway({ listen: '127.0.0.1:0', relay: `smtp://127.0.0.1:${sinkPort}`, from: FROM, hubUrl: hub.url, hubToken, allowList: ['example.org'] });
  try {
    const lines = await smtpDialogue(gw.port, ['EHLO t.example', 'MAIL FROM:<mallory@evil.example>', 'MAIL FROM:<alice@example.org>', 'QUIT']);
    assert.ok(lines.some((l) => /^550 .*mallory@evil\.example is not allowed/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^250 Accepted/.test(l)), lines.join('\n'));
  } finally {
    await gw.close();
  }
});

test('mail from rotating forged senders gets at most the gateway\'s reply budget, the rest none (logged)', async () => {
  const gwLogs: string[] = [];
  const gw = await startSmtpGateway({ listen: '127.0.0.1:0', relay: `smtp://127.0.0.1:${sinkPort}`, from: FROM, hubUrl: hub.url, hubToken, replyBudget: { repliesPerMinute: 3 }, log: (l) => gwLogs.push(l) });
  try {
    const c = createTransport({ host: '127.0.0.1', port: gw.port, secure: false, ignoreTLS: true });
    const ids = Array.from({ length: 8 }, (_, i) => `<smtp-forged-${i}@example.org>`);
    for (const [i, messageId] of ids.entries()) await c.sendMail({ from: `victim${i}@example.org`, to: FROM, subject: 'v', messageId, text: 'version' });
    const end = Date.now() + 10_000;
    while (gwLogs.length < ids.length && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    const answered = (await Promise.all(ids.map((id) => replyTo(id, 500)))).filter(Boolean);
    assert.equal(answered.length, 3, gwLogs.join(' | '));
    assert.equal(gwLogs.filter((l) => /not answered: the gateway's reply budget of 3 replies per minute is spent/.test(l)).length, 5, gwLogs.join(' | '));
  } finally {
    await gw.close();
  }
});

test('dmarc=fail in an Authentication-Results of the configured authserv-id gets no answer; another authserv-id is ignored', async () => {
  const gwLogs: string[] = [];
  const gw = await startSmtpGateway({ listen: '127.0.0.1:0', relay: `smtp://127.0.0.1:${sinkPort}`, from: FROM, hubUrl: hub.url, hubToken, authservId: 'mx.meshprobe.test', log: (l) => gwLogs.push(l) });
  try {
    const c = createTransport({ host: '127.0.0.1', port: gw.port, secure: false, ignoreTLS: true });
    const ours = '<smtp-dmarc-ours@example.org>';
    const theirs = '<smtp-dmarc-theirs@example.org>';
    await c.sendMail({ from: 'ceo@example.org', to: FROM, subject: 'v', messageId: ours, text: 'version',
      headers: { 'Authentication-Results': 'mx.meshprobe.test (Postfix 3.8); spf=fail smtp.mailfrom=example.org; dmarc=fail (p=reject) header.from=example.org' } });
    await c.sendMail({ from: 'someone@example.org', to: FROM, subject: 'v', messageId: theirs, text: 'version',
      headers: { 'Authentication-Results': 'mx.forged.example; dmarc=fail header.from=example.org' } });
    assert.ok(await replyTo(theirs), `a header of another authserv-id is not trusted: answered; log: ${gwLogs.join(' | ')}`);
    const end = Date.now() + 5000;
    while (!gwLogs.some((l) => l.includes('ceo@example.org')) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    assert.ok(gwLogs.some((l) => /email from ceo@example\.org: not answered: dmarc=fail in the Authentication-Results of mx\.meshprobe\.test/.test(l)), gwLogs.join(' | '));
    assert.equal(await replyTo(ours, 200), undefined);
  } finally {
    await gw.close();
  }
});

test('mail from the gateway\'s own address is never answered', async () => {
  const messageId = '<smtp-self-1@meshprobe.test>';
  await client().sendMail({ envelope: { from: 'someone@example.org', to: [FROM] }, from: FROM, to: FROM, subject: 'Re: v', messageId, text: 'version' });
  const line = await logLine(/not answered: mail from the gateway's own address cli@meshprobe\.test/);
  assert.ok(line, logs.join(' | '));
  assert.equal(await replyTo(messageId, 200), undefined);
});

test('settings come from the environment with clear reasons when incomplete', () => {
  assert.equal(smtpGatewayOptionsFromEnv({}), undefined);
  assert.throws(() => smtpGatewayOptionsFromEnv({ MESHPROBE_SMTP_LISTEN: '127.0.0.1:2525' }), /MESHPROBE_SMTP_RELAY/);
  assert.throws(() => smtpGatewayOptionsFromEnv({ MESHPROBE_SMTP_LISTEN: ':2525', MESHPROBE_SMTP_RELAY: 'smtp://127.0.0.1:25' }), /MESHPROBE_EMAIL_FROM/);
  const o = smtpGatewayOptionsFromEnv(
    { MESHPROBE_SMTP_LISTEN: '127.0.0.1:2525', MESHPROBE_SMTP_RELAY: 'smtp://127.0.0.1:25', MESHPROBE_EMAIL_FROM: FROM, MESHPROBE_EMAIL_ALLOW: 'a@x.org, y.org' },
    { hubUrl: 'http://127.0.0.1:7464', hubToken: 'tok' },
  );
  assert.deepEqual(o, { listen: '127.0.0.1:2525', relay: 'smtp://127.0.0.1:25', from: FROM, hubUrl: 'http://127.0.0.1:7464', hubToken: 'tok', allowList: ['a@x.org', 'y.org'] });
  const base = { MESHPROBE_SMTP_LISTEN: '127.0.0.1:2525', MESHPROBE_SMTP_RELAY: 'smtp://127.0.0.1:25', MESHPROBE_EMAIL_FROM: FROM };
  const budgeted = smtpGatewayOptionsFromEnv({ ...base, MESHPROBE_EMAIL_REPLIES_PER_MINUTE: '7', MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE: '65536', MESHPROBE_EMAIL_AUTHSERV_ID: 'mx.example.net' });
  assert.deepEqual(budgeted?.replyBudget, { repliesPerMinute: 7, bytesPerMinute: 65_536 });
  assert.equal(budgeted?.authservId, 'mx.example.net');
  assert.throws(() => smtpGatewayOptionsFromEnv({ ...base, MESHPROBE_EMAIL_REPLIES_PER_MINUTE: 'lots' }), /MESHPROBE_EMAIL_REPLIES_PER_MINUTE must be a whole number ≥ 1, got "lots"/);
});

test('bad gateway options fail fast with one line', async () => {
  await assert.rejects(startSmtpGateway({ relay: 'http://x', from: FROM, hubUrl: hub.url, listen: '127.0.0.1:0' }), /must start with smtp:\/\//);
  await assert.rejects(startSmtpGateway({ relay: 'smtp://127.0.0.1:25', from: 'nobody', hubUrl: hub.url, listen: '127.0.0.1:0' }), /not an email address/);
  await assert.rejects(startSmtpGateway({ relay: 'smtp://127.0.0.1:25', from: FROM, hubUrl: hub.url, listen: 'nonsense' }), /malformed/);
});

/** Sends each command after the previous answer (multi-line answers complete) and returns every line. */
function smtpDialogue(port: number, commands: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const lines: string[] = [];
    let buf = '';
    const queue = [...commands];
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        lines.push(line);
        // A reply is complete at "NNN " (space, not dash).
        if (/^\d{3} /.test(line)) {
          const next = queue.shift();
          if (next !== undefined) socket.write(next + '\r\n');
        }
      }
    });
    socket.on('close', () => resolve(lines));
    socket.on('error', reject);
  });
}
