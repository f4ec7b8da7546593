// `npm start` carries monitor alerts to the chat and the mailbox that created the monitor
// (issue 13 item 10): the launcher wires the hub's alert seam to the Telegram bot's API and to the
// SMTP gateway's relay. A monitor is added from Telegram and another by mail, a protocol-speaking
// agent reports minute rows (the evaluator works on stored rows), and each owner is told once when
// the rule starts holding and once when it clears, the mail marked Auto-Submitted.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { Histogram } from '../../shared/model/histogram.ts';
import type { MinuteRow } from '../../shared/model/monitor-types.ts';
import { startBotApiServer } from '../helpers/bot-api-server.ts';
import { startMain, type MainProcess } from '../helpers/launcher-process.ts';
import { MonitorAgent } from '../helpers/monitor-agent.ts';
import { privateChat } from '../bots/telegram/bot-harness.ts';

const FROM = 'cli@meshprobe.test';

function row(m: number, t: number, sent: number, rtts: number[]): MinuteRow {
  const h = new Histogram();
  for (const r of rtts) h.add(r);
  return { m, t, sent, recv: rtts.length, sum: rtts.reduce((a, b) => a + b, 0), hist: h.pairs(), ...(rtts.length ? { min: Math.min(...rtts), max: Math.max(...rtts), last: rtts.at(-1)! } : {}), lastAt: t + 1000, addr: '127.0.0.1' };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number, said: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; the launcher said:\n${said()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('npm start tells the Telegram chat and the mail address of a monitor once when a rule holds and once when it clears', async (t) => {
  const api = await startBotApiServer();
  const mails: ParsedMail[] = [];
  const sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => (mails.push(m), cb()), cb);
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const sinkPort = ((sink as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  let main: MainProcess | undefined;
  let agent: MonitorAgent | undefined;
  t.after(async () => {
    await agent?.close();
    await main?.stop();
    await api.close();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  });
  const launched = await startMain({
    TELEGRAM_BOT_TOKEN: api.token,
    TELEGRAM_API_ROOT: api.apiRoot,
    MESHPROBE_SMTP_LISTEN: '127.0.0.1:0',
    MESHPROBE_SMTP_RELAY: `smtp://127.0.0.1:${sinkPort}`,
    MESHPROBE_EMAIL_FROM: FROM,
    // Rules evaluated five times a second and no gap between messages: the test waits for
    // messages, not for minutes. Windows are whole minutes of stored rows, as in production.
    MESHPROBE_ALERT_EVERY: '200ms',
    MESHPROBE_ALERT_MIN_GAP: '0',
    MESHPROBE_HUB: '',
    MESHPROBE_HUB_TOKEN: '',
    TELEGRAM_WEBHOOK_URL: '',
  });
  main = launched;
  const said = () => launched.stdout() + launched.stderr();
  const smtpPort = Number((await until('the SMTP gateway', () => /email: SMTP gateway on 127\.0\.0\.1:(\d+)/.exec(launched.stdout()) ?? undefined, 20_000, said))[1]);
  await until('the Telegram bot', () => /Telegram: @\w+/.exec(launched.stdout()) ?? undefined, 20_000, said);

  const admin = (await readFile(join(launched.dataDir, 'admin.token'), 'utf8')).trim();
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(launched.url + path, { method, headers: { authorization: `Bearer ${admin}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return (await res.json()) as any;
  };
  const minted = await call('POST', '/v1/tokens', { sub: 'agent:mon1', scope: 'agent' });
  agent = await MonitorAgent.connect(launched.url, minted.token, 'mon1');

  // One monitor from Telegram (alerts to this chat), one by mail (alerts to the sender).
  const { user, chat } = privateChat();
  api.sendText(chat, user, "/monitor add tg@127.0.0.1 -s mon1 --alert 'loss>50% for 2m'");
  await createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
    from: 'ops@example.org',
    to: FROM,
    subject: 'watch',
    text: "monitor add mail@127.0.0.2 -s mon1 --alert 'loss>50% for 2m'",
  });
  let list: any[] = [];
  const deadline = Date.now() + 20_000;
  while (list.length < 2 && Date.now() < deadline) {
    list = (await call('GET', '/v1/monitors')).monitors;
    if (list.length < 2) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(list.length, 2, `both monitors were added: ${JSON.stringify(list)}\n${said()}`);
  const tg = list.find((m) => m.name === 'tg')!;
  const mail = list.find((m) => m.name === 'mail')!;
  assert.equal(tg.owner, `telegram:${user.id}`);
  assert.equal(mail.owner, 'email:ops@example.org');
  await agent.assigned([tg.id, mail.id], 10_000);

  // The current minute (its probes in the past): 10 sent, none answered. A 2-minute window keeps
  // it in view whichever side of a minute boundary the evaluator runs.
  const t0 = Math.floor(Date.now() / 60_000) * 60_000;
  await agent.reportAcked(1, [row(tg.id, t0, 10, []), row(mail.id, t0, 10, [])]);

  const alertsIn = (state: RegExp) => api.botMessages(chat.id).filter((m) => state.test(m.text));
  const fired = await api.waitUntil(() => alertsIn(/^ALERT /)[0], 10_000, 'the ALERT message in the chat');
  assert.equal(fired.text, 'ALERT tg (127.0.0.1): loss>50% for 2m holds on mon1 loss 100%');
  const alertMails = (state: string) => mails.filter((m) => m.subject?.startsWith(`[meshprobe] ${state} `));
  const firedMail = await until('the ALERT mail', () => alertMails('ALERT')[0], 10_000, said);
  assert.equal(firedMail.subject, '[meshprobe] ALERT mail (127.0.0.2): loss>50% for 2m holds on mon1 loss 100%');
  assert.equal(firedMail.headers.get('auto-submitted'), 'auto-generated', 'never answered by an auto-responder');
  assert.deepEqual(firedMail.to && !Array.isArray(firedMail.to) ? firedMail.to.value.map((a) => a.address) : [], ['ops@example.org']);
  assert.equal(firedMail.from?.value[0]?.address, FROM);
  assert.match(firedMail.text ?? '', /see it with: monitor show mail/);

  // The same minute sent again, grown: 100 sent, 90 answered, so 10% lost over the window.
  await agent.reportAcked(2, [row(tg.id, t0, 100, Array(90).fill(0.05)), row(mail.id, t0, 100, Array(90).fill(0.05))]);
  const resolved = await api.waitUntil(() => alertsIn(/^RESOLVED /)[0], 10_000, 'the RESOLVED message in the chat');
  assert.equal(resolved.text, 'RESOLVED tg (127.0.0.1): loss>50% for 2m no longer holds (mon1 loss 10%)');
  await until('the RESOLVED mail', () => alertMails('RESOLVED')[0], 10_000, said);

  // Many more evaluations: nothing is told twice.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(alertsIn(/^ALERT /).length, 1);
  assert.equal(alertsIn(/^RESOLVED /).length, 1);
  assert.equal(alertMails('ALERT').length, 1);
  assert.equal(alertMails('RESOLVED').length, 1);
  assert.equal(mails.filter((m) => m.headers.get('auto-submitted') === 'auto-generated').length, 2, 'the alerts, and only they, are auto-generated');
});
