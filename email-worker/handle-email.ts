/**
 * The Email Worker's work for one inbound message: size check, loop and abuse rules, the
 * command run through the hub within a time budget, and a threaded reply. Kept apart from
 * index.ts (which only binds workerd's `cloudflare:email`) so that the whole path reads top
 * to bottom here.
 */
import PostalMime from 'postal-mime';
import { answerEmail, hubForSender, rateLimitedAnswer, type InlineImage } from '../shared/email/email-answer.ts';
import { replyDecision, SenderRateLimiter, senderAllowed } from '../shared/email/email-policy.ts';
import { buildReply } from '../shared/email/email-reply.ts';
import { ReplyBudget, replySize } from '../shared/email/email-reply-budget.ts';
import { describeError } from '../shared/model/errors.ts';
import { emailWorkerSettings, readSettings, type Settings } from '../shared/config/settings.ts';
import { renderHtmlText } from '../shared/render/html-renderer.ts';
import { HubClient } from '../shared/wire/hub-client.ts';
import { mimeReply } from './mime-reply.ts';

/** The inbound message as workerd hands it to `email()` (ForwardableEmailMessage). */
export interface InboundEmail {
  /** Envelope sender (MAIL FROM); where the reply goes. */
  readonly from: string;
  /** Envelope recipient (our address). */
  readonly to: string;
  readonly headers: Headers;
  readonly raw: ReadableStream<Uint8Array>;
  readonly rawSize: number;
  /** Synchronous in production; miniflare hands an RPC stub whose call must be awaited. */
  setReject(reason: string): void | Promise<void>;
  reply(message: unknown): Promise<unknown>;
}

/** Variables and secrets of the Worker (wrangler.toml `[vars]`, `wrangler secret put`). */
export interface EmailWorkerEnv {
  /** Base URL of the hub, e.g. https://hub.example.net. Required. */
  HUB_URL?: string;
  /** Bearer token for the hub (a secret), scopes `measure delegate`. Optional when the hub allows anonymous use. */
  HUB_TOKEN?: string;
  /** Largest message accepted, in bytes; larger ones are rejected in the SMTP dialogue. Default 1 MiB. */
  MAX_MESSAGE_BYTES?: string;
  /** Comma list of allowed senders: addresses, domains, `.subdomain` suffixes. Default: everyone. */
  ALLOW_FROM?: string;
  /** Seconds a measurement may run before the reply goes out with what arrived. Default 25. */
  TIME_BUDGET_SECONDS?: string;
  /** Highest count (`-c`) run for an email. Default 10. */
  MAX_COUNT?: string;
  /** Commands per sender in a burst, and seconds per further command. Defaults 5 and 60. */
  RATE_BURST?: string;
  RATE_REFILL_SECONDS?: string;
  /** Display name of the replies. Default "meshprobe". */
  FROM_NAME?: string;
  /**
   * Replies per minute and reply bytes per minute, whoever the senders are. Defaults 20 and
   * 1048576. Per isolate: Cloudflare may run several, each with its own budget.
   */
  REPLIES_PER_MINUTE?: string;
  REPLY_BYTES_PER_MINUTE?: string;
  /**
   * The authserv-id of the receiving MTA (Cloudflare's Email Routing): its Authentication-Results
   * saying `dmarc=fail` means no answer. Default: none (no header is trusted).
   */
  AUTHSERV_ID?: string;
}

/** What index.ts injects: workerd's EmailMessage class, and the clock. */
export interface EmailWorkerDeps {
  EmailMessage: new (from: string, to: string, raw: string) => unknown;
  now: () => number;
}

/** The outcome, for logs and tests. */
export type EmailOutcome =
  | { action: 'rejected'; reason: string }
  | { action: 'ignored'; reason: string }
  | { action: 'replied'; kind: string; partial: boolean };

// Per isolate: Workers may run several isolates, so these are best-effort brakes, not quotas.
let limiter: SenderRateLimiter | undefined;
let limiterKey = '';
let budget: ReplyBudget | undefined;
let budgetKey = '';

/** Handles one inbound message. Never throws: failures become a logged outcome. */
export async function handleEmail(message: InboundEmail, workerEnv: EmailWorkerEnv, deps: EmailWorkerDeps): Promise<EmailOutcome> {
  // The variables, read once through their schema (shared/config/settings.ts).
  const env = readSettings(emailWorkerSettings, workerEnv as Record<string, string | undefined>);
  const maxBytes = env.MAX_MESSAGE_BYTES;
  if (message.rawSize > maxBytes) {
    // Rejected before reading a byte: the sending server bounces it to the sender.
    const reason = `message too large: ${message.rawSize} bytes, the limit is ${maxBytes} (send the command as plain text)`;
    await message.setReject(reason);
    return { action: 'rejected', reason };
  }
  const allowList = env.ALLOW_FROM;
  if (!senderAllowed(message.from, allowList)) {
    const reason = `sender ${message.from} is not allowed to use this gateway`;
    await message.setReject(reason);
    return { action: 'rejected', reason };
  }
  const mail = await PostalMime.parse(message.raw);
  const decision = replyDecision({
    from: mail.from?.address ?? '',
    returnPath: message.from,
    // Every occurrence of a header, from the parsed message: Headers.get() joins repeated ones
    // with ", ", which no header grammar here can be split back from.
    headers: (name) => {
      const key = name.toLowerCase();
      const values = mail.headers.filter((h) => h.key === key).map((h) => h.value);
      return values.length ? values : message.headers.get(name);
    },
    ownAddresses: [message.to],
    authservId: env.AUTHSERV_ID,
  });
  if (!decision.reply) return { action: 'ignored', reason: decision.reason };

  const burst = env.RATE_BURST;
  const refillMs = env.RATE_REFILL_SECONDS * 1000;
  if (!limiter || limiterKey !== `${burst}/${refillMs}`) {
    limiter = new SenderRateLimiter({ burst, refillMs });
    limiterKey = `${burst}/${refillMs}`;
  }
  const rate = limiter.check(message.from, deps.now());
  if (rate.action === 'drop') return { action: 'ignored', reason: 'rate limited (already notified)' };
  const repliesPerMinute = env.REPLIES_PER_MINUTE;
  const bytesPerMinute = env.REPLY_BYTES_PER_MINUTE;
  if (!budget || budgetKey !== `${repliesPerMinute}/${bytesPerMinute}`) {
    budget = new ReplyBudget({ repliesPerMinute: Math.max(1, repliesPerMinute), bytesPerMinute: Math.max(1, bytesPerMinute) });
    budgetKey = `${repliesPerMinute}/${bytesPerMinute}`;
  }
  const open = budget.available(deps.now());
  if (!open.ok) return { action: 'ignored', reason: `${open.reason} (${budget.refused} refused in this isolate)` };

  let body: { text: string; html: string; images?: InlineImage[] | undefined };
  let result: string | undefined;
  let kind: string;
  let partial = false;
  if (rate.action === 'notify') {
    body = rateLimitedAnswer(message.from, rate.retryAfterMs);
    kind = 'rate-limited';
  } else {
    const budgetS = env.TIME_BUDGET_SECONDS;
    // An async wrapper, so that HubClient's constructor throwing on a bad HUB_URL (evaluated as
    // an argument) lands in the catch below instead of escaping before it is attached.
    const answer = await (async () =>
      answerEmail(
        { subject: mail.subject, text: mail.text, html: mail.html },
        {
          hub: workerHub(env, message.from),
          signal: AbortSignal.timeout(budgetS * 1000),
          budgetLabel: `${budgetS} s`,
          maxCount: env.MAX_COUNT,
          now: Date.now,
          sender: message.from,
          deflate: compressionStreamDeflate,
        },
      ))().catch((err: unknown) => {
      // A configuration error, said in the reply: the sender is not left without an answer.
      const text = `the gateway is misconfigured: ${describeError(err).message}`;
      return { kind: 'refused' as const, partial: false, text, html: renderHtmlText(text) };
    });
    body = { text: answer.text, html: answer.html, images: 'images' in answer ? answer.images : undefined };
    result = 'summary' in answer ? answer.summary : undefined;
    kind = answer.kind;
    partial = answer.partial;
  }
  const reply = buildReply({ messageId: mail.messageId, references: mail.references, inReplyTo: mail.inReplyTo, subject: mail.subject }, body, result ? { result } : {});
  const spent = budget.take(replySize(reply), deps.now());
  if (!spent.ok) return { action: 'ignored', reason: `${spent.reason} (${budget.refused} refused in this isolate)` };
  const raw = mimeReply(reply, { from: message.to, to: message.from, id: crypto.randomUUID(), fromName: env.FROM_NAME });
  await message.reply(new deps.EmailMessage(message.to, message.from, raw));
  return { action: 'replied', kind, partial };
}

/**
 * The hub client for one message. With HUB_TOKEN (scopes `measure delegate`) it acts for
 * `email:<sender>`, so the hub limits and logs each sender apart; a sender address the hub would
 * refuse as a subject runs as the Worker itself. Throws on a bad HUB_URL (said in the reply).
 */
function workerHub(env: Settings<typeof emailWorkerSettings>, sender: string): HubClient {
  const hub = new HubClient({ url: env.HUB_URL, ...(env.HUB_TOKEN ? { token: env.HUB_TOKEN } : {}) });
  return env.HUB_TOKEN ? hubForSender(hub, sender) : hub;
}

/** zlib-compresses with workerd's CompressionStream ('deflate' is the zlib format), for the pictures. */
async function compressionStreamDeflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
