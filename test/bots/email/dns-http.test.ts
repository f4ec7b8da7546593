/**
 * dns and http by email: nodemailer → the SMTP gateway → a real hub with two in-process agents →
 * the threaded reply at a sink smtp-server on loopback. The text part has the dig / curl lines
 * per agent and one summary line per agent; the HTML part the agent × answer and agent × timing
 * tables on top.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo, Server } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { startSmtpGateway, type SmtpGateway } from '../../../bots/email/smtp-gateway.ts';
import { startDnsHttpFixture, type DnsHttpFixture } from '../../helpers/dns-http-fixture.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';

const FROM = 'cli@meshprobe.test';

let f: DnsHttpFixture;
let hub: TestHub;
let sink: SMTPServer;
let gateway: SmtpGateway;
const received: ParsedMail[] = [];

before(async () => {
  f = await startDnsHttpFixture();
  hub = await startTestHub({ agents: f.agents });
  const hubToken = (await hub.hub.tokens.issue({ sub: 'service:email', scopes: ['measure', 'delegate'], ttlS: 3600 })).token;
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
  const sinkPort = ((sink as unknown as { server: Server }).server.address() as AddressInfo).port;
  gateway = await startSmtpGateway({
    listen: '127.0.0.1:0',
    relay: `smtp://127.0.0.1:${sinkPort}`,
    from: FROM,
    hubUrl: hub.url,
    hubToken,
    maxMessageBytes: 64 * 1024,
    rateLimit: { burst: 100 },
    budgetMs: 15_000,
    log: () => {},
  });
});
after(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await hub?.close();
  await f?.close();
});

/** Mails `body` to the gateway and returns the reply threaded to it. */
async function ask(id: string, body: string): Promise<ParsedMail> {
  const messageId = `<${id}@example.org>`;
  const client = createTransport({ host: '127.0.0.1', port: gateway.port, secure: false, ignoreTLS: true });
  await client.sendMail({ from: 'Alice <alice@example.org>', to: FROM, subject: 'probe', messageId, text: `${body}\n` });
  const end = Date.now() + 15_000;
  for (;;) {
    const r = received.find((m) => m.inReplyTo === messageId);
    if (r) return r;
    assert.ok(Date.now() < end, `a reply to ${messageId}`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

test('dns by email from two agents: dig lines per agent and one summary line each; the HTML has the agent × answer table', async () => {
  const r = await ask('dns-1', 'dns -s local,second www.example.test');
  const text = r.text ?? '';
  for (const agent of ['local', 'second']) {
    assert.match(text, new RegExp(`^\\[${agent}\\] www\\.example\\.test\\.\\s+60\\s+IN\\s+A\\s+127\\.0\\.0\\.7$`, 'm'), text);
    assert.match(text, new RegExp(`^${agent} +www\\.example\\.test +127\\.0\\.0\\.7 +[0-9.]+ ms$`, 'm'), text);
  }
  const html = String(r.html);
  assert.match(html, /<th[^>]*>agent<\/th><th[^>]*>name<\/th><th[^>]*>answer<\/th>/);
  for (const agent of ['local', 'second']) assert.match(html, new RegExp(`<td[^>]*>${agent}</td><td[^>]*>www\\.example\\.test</td><td[^>]*>127\\.0\\.0\\.7</td>`));
  // The server asked is in the ';;' line, not shown as if it were the name's address.
  assert.doesNotMatch(html, /www\.example\.test<\/b> \(127\.0\.0\.1\)/);
});

test('http by email from two agents: curl lines and one timing line per agent; the HTML has the agent × timing table', async () => {
  const r = await ask('http-1', `http -s local,second ${f.httpsUrl}`);
  const text = r.text ?? '';
  for (const agent of ['local', 'second']) {
    assert.match(text, new RegExp(`^\\[${agent}\\] HTTP/1\\.1 200 OK `, 'm'), text);
    assert.match(text, new RegExp(`^${agent} +https://web\\.test:${f.tls.port}/ +200( +[0-9.]+){5}$`, 'm'), text);
  }
  const html = String(r.html);
  assert.match(html, /<th[^>]*>first byte<\/th>/);
  for (const agent of ['local', 'second']) assert.match(html, new RegExp(`<td[^>]*>${agent}</td><td[^>]*>https://web\\.test:${f.tls.port}/</td><td[^>]*>200</td>`));
  assert.match(html, /tls TLSv1\.3 /);
});

test('help dns by email answers the usage', async () => {
  const r = await ask('help-1', 'help dns');
  assert.match(r.text ?? '', /usage: dns /);
});
