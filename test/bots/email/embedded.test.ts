/**
 * `npm start` with MESHPROBE_SMTP_LISTEN set runs the SMTP gateway next to the hub (a separate
 * process here, as in production), and the gateway gets through the hub's token check with its
 * own service token: a command mailed in is answered with a real measurement.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { startNode } from '../../helpers/node-process.ts';
import type { NodeProcess } from '../../helpers/node-process.ts';

const FROM = 'cli@meshprobe.test';
let sink: SMTPServer;
let sinkPort: number;
let dataDir: string;
let proc: NodeProcess;
const received: ParsedMail[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-email-embedded-'));
  sink = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => (received.push(m), cb()), cb);
    },
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  sinkPort = ((sink as unknown as { server: import('node:net').Server }).server.address() as AddressInfo).port;
  proc = startNode('bin/start.ts', [], {
    MESHPROBE_LISTEN: '127.0.0.1:0',
    MESHPROBE_DATA_DIR: dataDir,
    MESHPROBE_SMTP_LISTEN: '127.0.0.1:0',
    MESHPROBE_SMTP_RELAY: `smtp://127.0.0.1:${sinkPort}`,
    MESHPROBE_EMAIL_FROM: FROM,
    // The hub requires tokens; the gateway must bring its own.
    MESHPROBE_ALLOW_ANONYMOUS: undefined,
    MESHPROBE_HUB: undefined,
    MESHPROBE_HUB_TOKEN: undefined,
    TELEGRAM_BOT_TOKEN: undefined,
  });
});

after(async () => {
  await proc?.stop();
  await new Promise<void>((resolve) => (sink ? sink.close(() => resolve()) : resolve()));
  await rm(dataDir, { recursive: true, force: true });
});

test('npm start runs the SMTP gateway and it answers through the token-protected hub', async () => {
  const m = await proc.waitFor(/email: SMTP gateway on 127\.0\.0\.1:(\d+) for cli@meshprobe\.test/, 20_000);
  const port = Number(m[1]);
  const messageId = '<embedded-1@example.org>';
  await createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true }).sendMail({
    from: 'alice@example.org',
    to: FROM,
    subject: 'check',
    messageId,
    text: 'ping -c 1 127.0.0.1',
  });
  const end = Date.now() + 10_000;
  let reply: ParsedMail | undefined;
  while (!(reply = received.find((r) => r.inReplyTo === messageId)) && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  assert.ok(reply, `a reply reached the sink; process said: ${proc.lines.slice(-10).join(' | ')}`);
  assert.match(reply.text ?? '', /1 packets transmitted, 1 received/);
  assert.doesNotMatch(reply.text ?? '', /MP_ERR_UNAUTHORIZED/);
});
