/**
 * `monitor …` by mail over real SMTP both ways: nodemailer → the SMTP gateway → a real hub with
 * its SQLite store → the reply through nodemailer to a sink smtp-server on loopback. add records
 * the sender for alerts; show answers with the heatmap as an inline attachment the HTML shows.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { createHub, type Hub } from '../../../hub/http/server.ts';
import { openSqliteStore } from '../../../hub/store/sqlite-store.ts';
import type { MonitorStore } from '../../../hub/store/monitor-store.ts';
import { startSmtpGateway, type SmtpGateway } from '../../../bots/email/smtp-gateway.ts';

const FROM = 'cli@meshprobe.test';
let hub: Hub;
let store: MonitorStore;
let dataDir: string;
let sink: SMTPServer;
let gateway: SmtpGateway;
const received: ParsedMail[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-smtp-mon-'));
  store = openSqliteStore(dataDir);
  hub = await createHub({ listen: '127.0.0.1:0', dataDir, agents: [], monitors: { store } });
  const hubToken = (await hub.tokens.issue({ sub: 'service:email', scopes: ['measure', 'delegate'], ttlS: 3600 })).token;
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        cb();
      }, cb);
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const sinkPort = ((sink as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  gateway = await startSmtpGateway({ listen: '127.0.0.1:0', relay: `smtp://127.0.0.1:${sinkPort}`, from: FROM, hubUrl: hub.url, hubToken, rateLimit: { burst: 100 }, replyBudget: { repliesPerMinute: 100, bytesPerMinute: 10 * 1024 * 1024 } });
});

after(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await hub?.close();
  await rm(dataDir, { recursive: true, force: true });
});

let n = 0;
/** Mails `body` from bob and resolves with the reply the sink received. */
async function ask(body: string): Promise<ParsedMail> {
  const messageId = `<mon-${++n}-${Date.now()}@example.org>`;
  await createTransport({ host: '127.0.0.1', port: gateway.port, secure: false, ignoreTLS: true }).sendMail({ from: 'bob@example.org', to: FROM, subject: 'monitors', messageId, text: body });
  const end = Date.now() + 10_000;
  for (;;) {
    const r = received.find((m) => m.inReplyTo === messageId);
    if (r) return r;
    if (Date.now() > end) throw new Error(`no reply to ${body}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

test('monitor add → list → show (heatmap attached inline) → rm → list empty, by mail', async () => {
  let r = await ask('monitor add mail@127.0.0.1 --interval 10s');
  assert.match(r.text ?? '', /^added monitor #\d+ mail \(mail@127\.0\.0\.1\): probes 127\.0\.0\.1 every 10s/);
  const record = store.findMonitor('email:bob@example.org', 'mail');
  assert.ok(record, 'owned by the sender the gateway acts for');
  assert.equal(record.notify.email, 'bob@example.org', 'alerts go to the sender');

  r = await ask('monitor list');
  assert.match(r.text ?? '', /^#\d+ mail 127\.0\.0\.1$/m);
  assert.match(String(r.html), /mail \(mail@127\.0\.0\.1\): no agent runs it yet/);

  r = await ask('monitor show mail --range 2h');
  assert.match(r.text ?? '', /^monitor #\d+ mail \(mail@127\.0\.0\.1\)$/m);
  assert.match(r.text ?? '', /over the last 2h/);
  assert.equal(r.attachments.length, 1, 'the heatmap');
  const png = r.attachments[0]!;
  assert.equal(png.contentType, 'image/png');
  assert.deepEqual([...png.content.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.equal(png.cid, 'heatmap@meshprobe');
  // mailparser puts the attachment its cid: names in place as a data: URI, so this is the link working.
  assert.match(String(r.html), /<img src="data:image\/png;base64,iVBORw0KGgo/);

  r = await ask('monitor rm mail');
  assert.match(r.text ?? '', /^removed monitor #\d+ mail/);
  r = await ask('monitor list');
  assert.match(r.text ?? '', /^No monitors/);
});

test('a refused monitor command by mail is one line with its code', async () => {
  const r = await ask('monitor show nosuch');
  assert.match(r.text ?? '', /nosuch.*\(MP_ERR_NOT_FOUND\)/);
});
