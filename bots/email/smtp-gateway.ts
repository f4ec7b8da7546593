/**
 * The Node SMTP gateway (issue 7), for those without Cloudflare: smtp-server receives mail
 * (the size limit enforced in the SMTP dialogue: SIZE in EHLO, 552 on MAIL FROM SIZE= and on
 * DATA), mailparser parses, the shared code finds and runs the command through the hub, and
 * nodemailer sends the threaded reply through the configured relay. A hub client like every
 * front-end: it never imports hub or agent code.
 */
import { simpleParser } from 'mailparser';
import type { ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { answerEmail, hubForSender, rateLimitedAnswer, type InlineImage } from '../../shared/email/email-answer.ts';
import { deflateSync } from 'node:zlib';
import { replyDecision, SenderRateLimiter, senderAllowed } from '../../shared/email/email-policy.ts';
import type { HeaderLookup, SenderRateLimiterOptions } from '../../shared/email/email-policy.ts';
import { buildReply } from '../../shared/email/email-reply.ts';
import { ReplyBudget, replySize } from '../../shared/email/email-reply-budget.ts';
import type { ReplyBudgetOptions } from '../../shared/email/email-reply-budget.ts';
import { describeError, ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { HubClient } from '../../shared/wire/hub-client.ts';
import { parseListen } from '../../shared/net/listen-address.ts';

/** Options of {@link startSmtpGateway}. */
export interface SmtpGatewayOptions {
  /** Where to listen, `host:port` or `[v6]:port`; port 0 picks a free one. Default 127.0.0.1:2525. */
  listen?: string;
  /** The relay replies go out through: `smtp://host:port` or `smtps://user:pass@host:465`. Required. */
  relay: string;
  /** Our address: the reply's From, and (by default) the only recipient accepted. Required. */
  from: string;
  /** Display name of replies. Default "meshprobe". */
  fromName?: string;
  /** Recipients accepted in RCPT TO (case-insensitive). Default: just `from`. Others get 550. */
  recipients?: string[];
  /** Base URL of the hub. Required. */
  hubUrl: string;
  /**
   * Bearer token for the hub, scopes `measure delegate`: each command then runs on behalf of
   * `email:<sender>`. Default: none (anonymous).
   */
  hubToken?: string;
  /** Largest message accepted, in bytes (SIZE extension and a 552 on DATA). Default 1 MiB. */
  maxMessageBytes?: number;
  /** Allowed senders (addresses, domains, `.suffix`); refused with 550 at MAIL FROM. Default: everyone. */
  allowList?: string[];
  /** Per-sender rate limit (defaults: burst 5, one more per minute). */
  rateLimit?: SenderRateLimiterOptions;
  /**
   * The gateway's budget of replies and reply bytes per minute, whoever the senders are
   * (defaults: 20 replies, 1 MiB). Beyond it, mail gets no answer (logged).
   */
  replyBudget?: ReplyBudgetOptions;
  /**
   * The authserv-id the receiving MTA writes in Authentication-Results (e.g. your Postfix's
   * milter's). Mail whose header of that id says `dmarc=fail` gets no answer. Default: none
   * (no header is trusted; the reply budget is the defence against forged senders).
   */
  authservId?: string;
  /** Time a measurement may run before the reply goes out with what arrived. Default 60 000 ms. */
  budgetMs?: number;
  /** Highest ping count run for an email. Default 10. */
  maxCount?: number;
  /** TLS key and certificate for STARTTLS. Default: STARTTLS not offered. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** One line per message handled. Default: nowhere. */
  log?: (line: string) => void;
  /** The clock, for the rate limiter. Default Date.now. */
  now?: () => number;
}

/** A running gateway. */
export interface SmtpGateway {
  host: string;
  port: number;
  /**
   * Stops accepting mail and closes, within about `deadlineMs` (default 5 s) whatever the peers do:
   * SMTP clients still connected get `421` and then their sockets are destroyed; measurements in
   * progress are cancelled, and replies still waiting for the relay are given up (logged).
   */
  close(deadlineMs?: number): Promise<void>;
}

/** Starts the gateway; resolves once it listens. Throws MeshprobeError(BadRequest) on bad options. */
export async function startSmtpGateway(options: SmtpGatewayOptions): Promise<SmtpGateway> {
  const listen = parseListen(options.listen ?? '127.0.0.1:2525', { setting: 'SMTP listen address', example: '127.0.0.1:2525' });
  const { from, relay } = checkAddresses(options);
  const log = options.log ?? (() => {});
  const parts: ReplyParts = {
    options,
    from,
    hub: new HubClient({ url: options.hubUrl, ...(options.hubToken ? { token: options.hubToken } : {}) }),
    recipients: new Set((options.recipients ?? [from]).map((r) => r.trim().toLowerCase())),
    limiter: new SenderRateLimiter(options.rateLimit),
    budget: new ReplyBudget(options.replyBudget),
    log,
    now: options.now ?? Date.now,
    // Bounded waits on the relay (nodemailer's defaults are 2 min to connect and 10 min of
    // silence), so that a relay that stalls cannot hold a reply, or the gateway's close, for long.
    transport: createTransport({ url: relay.href, connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 }),
    // Aborted by close(): measurements in progress stop rather than run out their budget.
    closing: new AbortController(),
  };
  const inFlight = new Set<Promise<void>>();
  const server = new SMTPServer(
    smtpServerOptions(options, parts.recipients, (raw, returnPath) => {
      const job = answerMessage(raw, returnPath, parts).catch((err: unknown) => log(`email from ${returnPath || '<>'}: failed: ${describeError(err).message}`));
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job));
    }),
  );
  // Errors of single connections (a client hanging up) must not stop the gateway.
  server.on('error', (err: Error) => log(`smtp: ${err.message}`));
  const net = (server as unknown as { server: import('node:net').Server }).server;
  // Every client socket, so that close() can destroy those that outlast their 421.
  const sockets = new Set<import('node:net').Socket>();
  net.on('connection', (socket: import('node:net').Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    net.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      net.off('error', reject);
      resolve();
    });
  });
  const address = net.address() as import('node:net').AddressInfo;
  return {
    host: listen.host,
    port: address.port,
    close: (deadlineMs = 5000) => closeGateway({ server, sockets, inFlight, parts }, deadlineMs),
  };
}

/** The From address and the relay URL, checked. */
function checkAddresses(options: SmtpGatewayOptions): { from: string; relay: URL } {
  const from = options.from?.trim();
  if (!from?.includes('@')) throw new MeshprobeError(ErrorCode.BadRequest, `the gateway's From address "${options.from ?? ''}" is not an email address (set MESHPROBE_EMAIL_FROM)`);
  let relay: URL;
  try {
    relay = new URL(options.relay);
  } catch {
    throw new MeshprobeError(ErrorCode.BadRequest, `the relay "${options.relay}" is not a URL (expected smtp://host:port)`);
  }
  if (relay.protocol !== 'smtp:' && relay.protocol !== 'smtps:') {
    throw new MeshprobeError(ErrorCode.BadRequest, `the relay "${options.relay}" must start with smtp:// or smtps://`);
  }
  return { from, relay };
}

/**
 * The SMTP dialogue: senders on the allow list, our recipients only, at most `maxMessageBytes`;
 * an accepted message goes to `accepted` once the client has it queued.
 */
function smtpServerOptions(options: SmtpGatewayOptions, recipients: Set<string>, accepted: (raw: Buffer, returnPath: string) => void): SMTPServerOptions {
  const maxBytes = options.maxMessageBytes ?? 1024 * 1024;
  const serverOptions: SMTPServerOptions & { rejectOversized?: boolean } = {
    size: maxBytes,
    // Answer 552 after DATA for anything over `size`, whatever onData decided.
    rejectOversized: true,
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    disableReverseLookup: true,
    banner: 'meshprobe email gateway',
    // close() bounds the wait itself (see there); this is smtp-server's own grace before its 421.
    closeTimeout: 1000,
    logger: false,
    onMailFrom(address: SMTPServerAddress, _session: SMTPServerSession, cb: (err?: Error | null) => void) {
      // The null sender (bounces) is accepted and then never answered.
      if (address.address && !senderAllowed(address.address, options.allowList)) {
        return cb(smtpError(550, `5.7.1 sender ${address.address} is not allowed to use this gateway`));
      }
      cb();
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, cb: (err?: Error | null) => void) {
      if (!recipients.has(address.address.toLowerCase())) return cb(smtpError(550, `5.1.1 no such mailbox here: ${address.address}`));
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Keep draining (the dialogue needs the final dot) but stop buffering past the limit.
        if (size <= maxBytes) chunks.push(chunk);
      });
      stream.on('end', () => {
        if (stream.sizeExceeded || size > maxBytes) {
          return cb(smtpError(552, `5.3.4 message too large: the limit is ${maxBytes} bytes`));
        }
        const returnPath = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        // Accept now; the measurement may take a while and the sender's MTA must not wait for it.
        cb(null, 'queued: the answer comes by email');
        accepted(Buffer.concat(chunks), returnPath);
      });
    },
  };
  return serverOptions;
}

/** What answering a message needs: the gateway's settings, limits, hub and relay. */
interface ReplyParts {
  options: SmtpGatewayOptions;
  from: string;
  hub: HubClient;
  recipients: Set<string>;
  limiter: SenderRateLimiter;
  budget: ReplyBudget;
  log: (line: string) => void;
  now: () => number;
  transport: ReturnType<typeof createTransport>;
  closing: AbortController;
}

/** Answers one accepted message by email, unless the policy, the rate limit or the reply budget says not to. */
async function answerMessage(raw: Buffer, returnPath: string, g: ReplyParts): Promise<void> {
  const { options, from, log, now } = g;
  const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const sender = mail.from?.value[0]?.address ?? '';
  const decision = replyDecision({ from: sender, returnPath, headers: headerLookup(mail), ownAddresses: [from, ...g.recipients], authservId: options.authservId });
  if (!decision.reply) return log(`email from ${returnPath || '<>'}: not answered: ${decision.reason}`);
  const rate = g.limiter.check(returnPath, now());
  if (rate.action === 'drop') return log(`email from ${returnPath}: not answered: rate limited (already notified)`);
  const open = g.budget.available(now());
  if (!open.ok) return log(`email from ${returnPath}: not answered: ${open.reason} (${g.budget.refused} refused so far)`);
  let body: { text: string; html: string; images?: InlineImage[] | undefined };
  let kind: string;
  let result: string | undefined;
  if (rate.action === 'notify') {
    body = rateLimitedAnswer(returnPath, rate.retryAfterMs);
    kind = 'rate-limited';
  } else {
    const budgetMs = options.budgetMs ?? 60_000;
    const answer = await answerEmail(
      { subject: mail.subject, text: mail.text, html: typeof mail.html === 'string' ? mail.html : undefined },
      { hub: options.hubToken ? hubForSender(g.hub, returnPath) : g.hub, signal: AbortSignal.any([AbortSignal.timeout(budgetMs), g.closing.signal]), budgetLabel: `${Math.round(budgetMs / 1000)} s`, now: Date.now, sender: returnPath, deflate: (b) => new Uint8Array(deflateSync(b)), ...(options.maxCount ? { maxCount: options.maxCount } : {}) },
    );
    body = answer;
    kind = answer.kind;
    result = answer.summary;
  }
  const reply = buildReply({ messageId: mail.messageId, references: mail.references, inReplyTo: mail.inReplyTo, subject: mail.subject }, body, result ? { result } : {});
  const spent = g.budget.take(replySize(reply), now());
  if (!spent.ok) return log(`email from ${returnPath}: not answered: ${spent.reason} (${g.budget.refused} refused so far)`);
  await g.transport.sendMail({
    from: { name: options.fromName ?? 'meshprobe', address: from },
    to: returnPath,
    subject: reply.subject,
    text: reply.text,
    html: reply.html,
    // Pictures the HTML shows by cid (nodemailer writes multipart/related for them).
    ...(reply.images?.length ? { attachments: reply.images.map((i) => ({ filename: i.filename, content: Buffer.from(i.data), contentType: i.contentType, cid: i.cid })) } : {}),
    ...(reply.inReplyTo ? { inReplyTo: reply.inReplyTo } : {}),
    ...(reply.references ? { references: reply.references } : {}),
    headers: reply.headers,
    envelope: { from, to: [returnPath] },
  });
  log(`email from ${returnPath}: answered (${kind})`);
}

/** Stops taking mail and ends within about `deadlineMs`: half for the clients, half for replies in progress. */
async function closeGateway(
  g: { server: SMTPServer; sockets: Set<import('node:net').Socket>; inFlight: Set<Promise<void>>; parts: ReplyParts },
  deadlineMs: number,
): Promise<void> {
  const half = Math.max(1, Math.floor(deadlineMs / 2));
  g.parts.closing.abort(new Error('the gateway is closing'));
  // smtp-server says 421 to clients still connected after closeTimeout; their sockets go
  // at the same time whether or not the peer ever reads it.
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      for (const socket of g.sockets) socket.destroy();
      resolve();
    }, half);
    g.server.close(() => {
      clearTimeout(force);
      resolve();
    });
  });
  // Replies being worked on: a measurement stops at the abort above; a relay that stalls is
  // not waited for past the deadline.
  const pending = g.inFlight.size;
  const settled = await Promise.race([
    Promise.allSettled([...g.inFlight]).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), half).unref()),
  ]);
  if (!settled) g.parts.log(`closing: ${g.inFlight.size} of ${pending} replies still waiting for the relay were given up`);
  g.parts.transport.close();
}

/** Header lookup over mailparser's raw header lines (its parsed map holds objects, not text): every occurrence, in order. */
function headerLookup(mail: ParsedMail): HeaderLookup {
  return (name) => {
    const key = name.toLowerCase();
    const lines = mail.headerLines.filter((h) => h.key === key).map((h) => h.line.slice(h.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
    return lines.length ? lines : undefined;
  };
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}


