/**
 * Settings of the SMTP gateway from the environment, and running it on its own:
 * `node bots/email/main.ts`. bin/start.ts starts it in the embedded default when
 * MESHPROBE_SMTP_LISTEN is set.
 *
 * MESHPROBE_SMTP_LISTEN   host:port to receive mail on (e.g. 127.0.0.1:2525)
 * MESHPROBE_SMTP_RELAY    smtp://host:port (or smtps://user:pass@host:465) replies go through
 * MESHPROBE_EMAIL_FROM    our address: From of replies and the accepted recipient
 * MESHPROBE_EMAIL_ALLOW   optional allow-list: addresses, domains, .suffixes (comma separated)
 * MESHPROBE_EMAIL_MAX_BYTES  optional message size limit (default 1 MiB)
 * MESHPROBE_EMAIL_REPLIES_PER_MINUTE, MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE  the gateway's
 *                         reply budget, whoever the senders are (default 20 and 1048576)
 * MESHPROBE_EMAIL_AUTHSERV_ID  the authserv-id of the MTA in front of the gateway: its
 *                         Authentication-Results saying dmarc=fail means no answer (default: none)
 * MESHPROBE_HUB, MESHPROBE_HUB_TOKEN  the hub (default http://127.0.0.1:7464) and its token
 */
import { pathToFileURL } from 'node:url';
import { readSettings, smtpSettings, type Settings } from '../../shared/config/settings.ts';
import { describeError, ErrorCode, MeshprobeError } from '../../shared/model/errors.ts';
import { startSmtpGateway } from './smtp-gateway.ts';
import type { SmtpGatewayOptions } from './smtp-gateway.ts';

/** The gateway's settings, read once at the process's edge; undefined when MESHPROBE_SMTP_LISTEN is not set. */
export type SmtpSettings = Settings<typeof smtpSettings>;

/**
 * Reads the gateway's variables of `env` (shared/config/settings.ts); undefined when
 * MESHPROBE_SMTP_LISTEN is not set. Throws a one-line error naming the setting that is bad or
 * missing when the gateway is asked for.
 */
export function smtpGatewayOptionsFromEnv(env: Readonly<Record<string, string | undefined>>, defaults: { hubUrl?: string; hubToken?: string } = {}): SmtpGatewayOptions | undefined {
  return smtpGatewayOptions(readSettings(smtpSettings, env), defaults);
}

/** The gateway's options from its settings; undefined when MESHPROBE_SMTP_LISTEN is not set. */
export function smtpGatewayOptions(s: SmtpSettings, defaults: { hubUrl?: string; hubToken?: string } = {}): SmtpGatewayOptions | undefined {
  if (!s?.MESHPROBE_SMTP_LISTEN) return undefined;
  const relay = s.MESHPROBE_SMTP_RELAY;
  const from = s.MESHPROBE_EMAIL_FROM;
  if (!relay) throw new MeshprobeError(ErrorCode.BadRequest, 'MESHPROBE_SMTP_LISTEN is set but MESHPROBE_SMTP_RELAY is not (replies need a relay, e.g. smtp://127.0.0.1:25)');
  if (!from) throw new MeshprobeError(ErrorCode.BadRequest, 'MESHPROBE_SMTP_LISTEN is set but MESHPROBE_EMAIL_FROM is not (the address people write to, e.g. cli@your.domain)');
  const maxMessageBytes = s.MESHPROBE_EMAIL_MAX_BYTES;
  const repliesPerMinute = s.MESHPROBE_EMAIL_REPLIES_PER_MINUTE;
  const bytesPerMinute = s.MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE;
  const authservId = s.MESHPROBE_EMAIL_AUTHSERV_ID;
  const allowList = s.MESHPROBE_EMAIL_ALLOW;
  const hubToken = s.MESHPROBE_HUB_TOKEN || defaults.hubToken;
  return {
    listen: s.MESHPROBE_SMTP_LISTEN,
    relay,
    from,
    hubUrl: s.MESHPROBE_HUB || defaults.hubUrl || 'http://127.0.0.1:7464',
    ...(hubToken ? { hubToken } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    ...(allowList.length ? { allowList } : {}),
    ...(authservId ? { authservId } : {}),
    ...(repliesPerMinute !== undefined || bytesPerMinute !== undefined
      ? { replyBudget: { ...(repliesPerMinute !== undefined ? { repliesPerMinute } : {}), ...(bytesPerMinute !== undefined ? { bytesPerMinute } : {}) } }
      : {}),
  };
}

/**
 * Writes `line` to stderr and exits with `code` once it has left: `process.exit()` right after a
 * write would drop it when stderr is a pipe whose reader is slow. Never resolves.
 */
function exitAfterWrite(line: string, code: number): Promise<never> {
  return new Promise(() => void process.stderr.write(`${line}\n`, () => process.exit(code)));
}

// Run on its own: `node bots/email/main.ts` with the settings in the environment.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  let fromEnv: SmtpGatewayOptions | undefined;
  try {
    // The environment is read here, once, through the schema (shared/config/settings.ts).
    fromEnv = smtpGatewayOptionsFromEnv(process.env);
  } catch (err) {
    await exitAfterWrite(`meshprobe email: ${describeError(err).message}`, 2);
  }
  const options = fromEnv
    ?? (await exitAfterWrite('meshprobe email: set MESHPROBE_SMTP_LISTEN, MESHPROBE_SMTP_RELAY and MESHPROBE_EMAIL_FROM (and MESHPROBE_HUB, MESHPROBE_HUB_TOKEN)', 2));
  const gateway = await startSmtpGateway({ ...options, log: (line) => console.error(`meshprobe email: ${line}`) })
    .catch((err: unknown) => exitAfterWrite(`meshprobe email: cannot start: ${describeError(err).message}`, 1));
  console.error(`meshprobe email: SMTP gateway on ${gateway.host}:${gateway.port} for ${options.from}, replies via ${new URL(options.relay).host}, hub ${options.hubUrl}`);
  // close() is bounded whatever the peers do; exit once what was written has left.
  const shutdown = (): void => void gateway.close().catch(() => {}).then(() => process.stderr.write('', () => process.exit(0)));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
