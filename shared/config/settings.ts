/**
 * Every environment variable meshprobe reads, in one place: for each its zod schema (type,
 * default, a one-line error naming the variable), a one-line description and the default as the
 * README's settings table states it (test/shared/config/settings.test.ts keeps the two equal).
 * Then one schema per process, the variables that process reads.
 *
 * Pure: no env access here. Each process reads its environment once, at its edge (its main), with
 * {@link readSettings}, and passes the typed settings down. The Email Worker's variables are here
 * too (workerd runs this file as well).
 *
 * Listen addresses (MESHPROBE_LISTEN …) stay text here: their parsers live beside their
 * listeners (hub/, mcp/, bots/), which shared/ may not import, and a `--listen` flag overrides
 * them before parsing.
 */
import { z } from 'zod';
import { parsePolicyMode, type PolicyMode } from '../net/address-policy.ts';
import { parseAllowList } from '../email/email-policy.ts';
import { ConfigError } from '../model/errors.ts';
import { parseDurationMs } from '../model/duration.ts';
import { icmpMode, parsePorts, REMOTE_AGENT_TEXT_VARIABLES } from './remote-agent-settings.ts';

/** One environment variable: how it is read, what it means, its default in words. */
export interface Setting<T extends z.ZodType = z.ZodType> {
  readonly schema: T;
  /** One line: what the variable does (the README's "meaning" column). */
  readonly description: string;
  /** The default as the README states it, e.g. "`20`", "none", "off". */
  readonly default: string;
}

function setting<T extends z.ZodType>(schema: T, defaultText: string, description: string): Setting<T> {
  return { schema, description, default: defaultText };
}

/** Stops the transform with a one-line message (the reader shows it as it is). */
function refuse(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** Text, trimmed; unset or blank is undefined. */
const text = () => z.string().optional().transform((v) => v?.trim() || undefined);

/** `1`, `true`, `yes` or `on` (any case) is true; anything else false. */
const flag = () => z.string().optional().transform((v) => /^(1|true|yes|on)$/i.test(v ?? ''));

/** A comma list, items trimmed, empty items dropped. */
const list = () => z.string().optional().transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

/** A number ≥ 0 (0 = off); unset or blank is undefined. */
const rate = (name: string) =>
  z.string().optional().transform((v, ctx) => {
    const t = v?.trim();
    if (!t) return undefined;
    const n = Number(t);
    if (!Number.isFinite(n) || n < 0) return refuse(ctx, `${name} must be a number ≥ 0 (0 = off), not ${t}`);
    return n;
  });

/** A whole number ≥ `min` (the launcher's wording); unset or blank is undefined. */
const whole = (name: string, min: number) =>
  z.string().optional().transform((v, ctx) => {
    const t = v?.trim();
    if (!t) return undefined;
    const n = Number(t);
    if (!Number.isFinite(n) || n < 0) return refuse(ctx, `${name} must be a number ≥ 0 (0 = off), not ${t}`);
    if (!Number.isInteger(n) || n < min) return refuse(ctx, `${name} must be a whole number ≥ ${min}, not ${t}`);
    return n;
  });

/** A duration in ms: bare seconds or a unit `ms|s|m|h|d` (shared/model/duration.ts); unset or blank is undefined. */
const duration = (name: string) =>
  z.string().optional().transform((v, ctx) => {
    const t = v?.trim();
    if (!t) return undefined;
    return parseDurationMs(t) ?? refuse(ctx, `${name} must be a duration (seconds, or a number with s, m, h or d, e.g. 14d), not ${t}`);
  });

/** A whole number ≥ 1 (the SMTP gateway's wording); unset or blank is undefined. */
const count = (name: string) =>
  z.string().optional().transform((v, ctx) => {
    const t = v?.trim();
    if (!t) return undefined;
    const n = Number(t);
    if (!(Number.isInteger(n) && n >= 1)) return refuse(ctx, `${name} must be a whole number ≥ 1, got "${t}"`);
    return n;
  });

/** An http(s) URL, trimmed (the MCP server's wording); unset or empty is undefined. */
const httpUrl = (name: string) =>
  z.string().optional().transform((v, ctx) => {
    if (!v) return undefined;
    try {
      const u = new URL(v.trim());
      if (u.protocol === 'http:' || u.protocol === 'https:') return v.trim();
    } catch {
      // fall through to the one-line reason
    }
    return refuse(ctx, `${name} must be an http(s) URL, not '${v}'`);
  });

/**
 * A Worker variable as text: wrangler.toml may give a number or a boolean unquoted, and the
 * Worker's env holds other bindings too.
 */
const workerText = () => z.unknown().optional().transform((v) => (v === undefined || v === null ? undefined : String(v)));

/**
 * The Email Worker's numbers: a positive number, else the default (a bad value is not refused:
 * the Worker has no start-up to refuse at, so it falls back, as it always has).
 */
const positive = (fallback: number) =>
  workerText().transform((v) => {
    const n = Number(v);
    return v !== undefined && v.trim() !== '' && Number.isFinite(n) && n > 0 ? n : fallback;
  });

/** The enrichment sources MESHPROBE_ENRICH_SOURCES names (hub/enrich/enrichment.ts builds them). */
export const ENRICH_SOURCES = ['labels', 'mmdb', 'bgp', 'bundled', 'ipinfo', 'ip2location', 'ipregistry'] as const;
/** One of {@link ENRICH_SOURCES}. */
export type EnrichSource = (typeof ENRICH_SOURCES)[number];

const AGENT_ATTRIBUTE = "a remote agent's attributes, used by `-s country=DE` etc.";

/** Every variable of the Node processes (launcher, agent, MCP server, bots, CLI), by name. */
export const VARIABLES = {
  MESHPROBE_LISTEN: setting(text(), '`127.0.0.1:7464`', 'where `npm start` listens (`--listen` too); port `0` = any free port'),
  MESHPROBE_DATA_DIR: setting(text(), '`./.data`', 'hub state: signing key, revocations, `admin.token`; also where `meshprobe token create` finds the key'),
  MESHPROBE_POLICY: setting(
    text().transform((t, ctx): PolicyMode | undefined => {
      if (t === undefined) return undefined;
      return parsePolicyMode(t) ?? refuse(ctx, `MESHPROBE_POLICY must be public or lan, not ${t}`);
    }),
    '`lan` on loopback, else `public`',
    'target policy; `public` refuses private, loopback and other non-public ranges',
  ),
  MESHPROBE_ALLOW_ANONYMOUS: setting(flag(), '`false`', '`true`: requests without a token act as `anonymous` (`measure read`)'),
  MESHPROBE_IP_RATE: setting(rate('MESHPROBE_IP_RATE'), '`50`', 'requests/s per client IP (burst 4×; loopback exempt; `0` = off)'),
  MESHPROBE_SUBJECT_RATE: setting(rate('MESHPROBE_SUBJECT_RATE'), '`20`', 'requests/s per subject, i.e. per user (burst 5×; `0` = off); `/mcp` draws on the same buckets'),
  MESHPROBE_SERVICE_RATE: setting(rate('MESHPROBE_SERVICE_RATE'), '5 × `MESHPROBE_SUBJECT_RATE`', 'requests/s of all users one `delegate` service token acts for, together (burst 2× the subject burst; `0` = off)'),
  MESHPROBE_ALLOWED_HOSTS: setting(list(), '`localhost,127.0.0.1,::1` + listen host + public URL host + any IP address', 'extra `Host` names `/v1/*` accepts (DNS-rebinding check; `*` = any); others get `403`'),
  MESHPROBE_ALLOWED_ORIGINS: setting(list(), 'none', 'browser `Origin`s `/v1/*` accepts besides those on an allowed host; any other `Origin`, `null` included, gets `403`; requests without `Origin` pass'),
  MESHPROBE_AGENT_PPS: setting(rate('MESHPROBE_AGENT_PPS'), '`20000`', "packets/s budget per agent (`0` = off); a sweep at `--rate 0` runs at what is free of it (capped by the policy's sweep rate)"),
  MESHPROBE_MAX_AGENTS: setting(whole('MESHPROBE_MAX_AGENTS', 1), '`1000`', 'remote agents connected at once; one more is refused (`503`) until one goes'),
  MESHPROBE_STREAMS_PER_SUBJECT: setting(whole('MESHPROBE_STREAMS_PER_SUBJECT', 0), '`16`', 'measurement streams open at once per subject (`anonymous` is counted per IP instead; `0` = off); over it: `429`'),
  MESHPROBE_STREAMS_PER_IP: setting(whole('MESHPROBE_STREAMS_PER_IP', 0), '`32`', "measurement streams open at once per client IP (a delegating service's users are counted per subject instead; `0` = off); over it: `429`"),
  MESHPROBE_STREAM_WRITE_TIMEOUT: setting(whole('MESHPROBE_STREAM_WRITE_TIMEOUT', 1), '`30`', "seconds a stream's client may take no bytes while some wait; then the measurement is cancelled and the connection closed"),
  MESHPROBE_MONITOR_MAX_PER_SUBJECT: setting(whole('MESHPROBE_MONITOR_MAX_PER_SUBJECT', 0), '`100`', 'monitors one subject (user) may own; `admin` is not capped (`0` = no cap); one more is refused (`429`, `MP_ERR_LIMIT`)'),
  MESHPROBE_MONITOR_MAX_PPS_PER_AGENT: setting(rate('MESHPROBE_MONITOR_MAX_PPS_PER_AGENT'), '`10000`', 'probes/s of all monitors one agent runs together (`0` = no cap); a monitor that would pass it is refused (`429`, `MP_ERR_LIMIT`)'),
  MESHPROBE_MONITOR_MINUTE_RETENTION: setting(duration('MESHPROBE_MONITOR_MINUTE_RETENTION'), '`14d`', "how long monitors' per-minute rows are kept before they are rolled up into hourly rows"),
  MESHPROBE_MONITOR_HOUR_RETENTION: setting(duration('MESHPROBE_MONITOR_HOUR_RETENTION'), '`400d`', "how long monitors' hourly rows are kept"),
  MESHPROBE_ALERT_EVERY: setting(
    duration('MESHPROBE_ALERT_EVERY').transform((ms, ctx) => (ms === undefined || ms >= 100 ? ms : refuse(ctx, `MESHPROBE_ALERT_EVERY must be at least 100ms, not ${ms}ms`))),
    '`1m`',
    "how often monitors' alert rules are evaluated against the stored minute rows",
  ),
  MESHPROBE_ALERT_MIN_GAP: setting(
    z.string().optional().transform((v, ctx) => {
      const t = v?.trim();
      if (!t) return undefined;
      if (t === '0') return 0;
      return parseDurationMs(t) ?? refuse(ctx, `MESHPROBE_ALERT_MIN_GAP must be a duration (seconds, or a number with s, m or h, e.g. 5m) or 0, not ${t}`);
    }),
    '`5m`',
    'at most one alert message per monitor per this long, all its rules together (`0` = no gap); a change within it waits and is told only if it still stands',
  ),
  MESHPROBE_AGENT_RANGES: setting(text(), 'none', 'per-agent allowed prefixes at the hub: `lax1=10.0.0.0/8,192.168.0.0/16;fra1=…`'),
  MESHPROBE_METRICS_COMPAT: setting(
    text().transform((t, ctx): 'meshping' | undefined => {
      if (t === undefined) return undefined;
      return t.toLowerCase() === 'meshping' ? 'meshping' : refuse(ctx, `MESHPROBE_METRICS_COMPAT must be meshping (or unset), not ${t}`);
    }),
    'none',
    "`meshping`: `/metrics` also carries meshping's names and units (`meshping_sent`, `meshping_pings_bucket` in ms …) for existing dashboards",
  ),
  MESHPROBE_PUSHGATEWAY_URL: setting(httpUrl('MESHPROBE_PUSHGATEWAY_URL'), 'off', 'a Prometheus Pushgateway (`http://pushgateway:9091`): the monitors\' metrics of `/metrics` are also pushed there (HTTP PUT, the group replaced each time)'),
  MESHPROBE_PUSHGATEWAY_JOB: setting(text(), '`meshprobe`', 'the `job` label of the pushed group'),
  MESHPROBE_PUSHGATEWAY_INSTANCE: setting(text(), 'the host name', 'the `instance` label of the pushed group'),
  MESHPROBE_PUSHGATEWAY_INTERVAL: setting(
    duration('MESHPROBE_PUSHGATEWAY_INTERVAL').transform((ms, ctx) => (ms === undefined || ms >= 1000 ? ms : refuse(ctx, `MESHPROBE_PUSHGATEWAY_INTERVAL must be at least 1s, not ${ms}ms`))),
    '`15s`',
    'time between pushes to the Pushgateway',
  ),
  MESHPROBE_MMDB: setting(list(), 'none', 'MaxMind-format `.mmdb` files (GeoLite2, DB-IP, IPinfo, ip-location-db) for enrichment, comma list in order of preference; re-read when a file changes'),
  MESHPROBE_ENRICH_SOURCES: setting(
    list().transform((names, ctx) => {
      if (names.length === 0) return undefined;
      const bad = names.find((n) => !(ENRICH_SOURCES as readonly string[]).includes(n));
      return bad === undefined ? (names as EnrichSource[]) : refuse(ctx, `MESHPROBE_ENRICH_SOURCES: unknown source '${bad}' (one of ${ENRICH_SOURCES.join(', ')})`);
    }),
    '`labels,mmdb,bgp,bundled,ipinfo,ip2location,ipregistry`',
    'enrichment sources in order of preference (a field comes from the first that has it); leave one out to switch it off',
  ),
  MESHPROBE_IPINFO_TOKEN: setting(text(), 'off', 'ipinfo.io token: enrichment from ipinfo.io (cached, rate-limited)'),
  MESHPROBE_IP2LOCATION_KEY: setting(text(), 'off', 'ip2location.io API key: enrichment from ip2location.io (cached, rate-limited)'),
  MESHPROBE_IPREGISTRY_KEY: setting(text(), 'off', 'ipregistry.co API key: enrichment from ipregistry.co (cached, rate-limited)'),
  MESHPROBE_ENRICH_CACHE_TTL: setting(duration('MESHPROBE_ENRICH_CACHE_TTL'), '`1d`', "how long an online provider's answer is kept (10,000 addresses per provider at most)"),
  MESHPROBE_ENRICH_RATE: setting(rate('MESHPROBE_ENRICH_RATE'), '`2`', 'requests/s to each online provider (burst 2×; `0` = unlimited)'),
  MESHPROBE_MRT: setting(list(), 'none', 'MRT TABLE_DUMP_V2 RIB dumps (plain, `.gz`, `.bz2`) imported at start into the store for `route` and hop prefixes, comma list'),
  MESHPROBE_GUEST: setting(
    z.string().optional().transform((v, ctx): boolean | undefined => {
      const t = v?.trim();
      if (!t) return undefined;
      if (/^(1|true|yes|on)$/i.test(t)) return true;
      if (/^(0|false|no|off)$/i.test(t)) return false;
      return refuse(ctx, `MESHPROBE_GUEST must be true or false, not ${t}`);
    }),
    '`true` on loopback, else `false`',
    'the web UI offers guest sign-in: scopes `measure read`, no monitor changes, no tokens, 1 request/s per IP, 20 sign-ins an hour per IP',
  ),
  MESHPROBE_OIDC_ISSUER: setting(text(), 'off', 'web sign-in with OpenID Connect: an issuer URL, `google`, or `entra:TENANT` (Microsoft Entra ID); callback `PUBLIC_URL/auth/oidc/callback`'),
  MESHPROBE_OIDC_CLIENT_ID: setting(text(), '– (required with the above)', "the web UI's client id at the OpenID Connect provider"),
  MESHPROBE_OIDC_CLIENT_SECRET: setting(text(), 'none (public client with PKCE)', 'its client secret'),
  MESHPROBE_GITHUB_CLIENT_ID: setting(text(), 'off', 'web sign-in with a GitHub OAuth app; callback `PUBLIC_URL/auth/github/callback`'),
  MESHPROBE_GITHUB_CLIENT_SECRET: setting(text(), '– (required with the above)', "the GitHub OAuth app's client secret"),
  MESHPROBE_WEB_ALLOW: setting(text(), 'nobody', 'who may sign in with OIDC or GitHub, with which scopes: `domain:example.com; github-org:acme=measure+read+monitor:write; email:ann@x.org=admin` ([web.md](docs/web.md))'),
  MESHPROBE_SHARE_TTL: setting(duration('MESHPROBE_SHARE_TTL'), '`30d`', "how long the web UI's share links are kept"),
  // Raw (untrimmed, empty = unset) as the hub and `meshprobe token` have always read them.
  MESHPROBE_TOKEN_ISSUER: setting(z.string().optional().transform((v) => v || undefined), '`urn:meshprobe:hub`', 'JWT `iss` (hub and MCP verifier)'),
  MESHPROBE_TOKEN_AUDIENCE: setting(z.string().optional().transform((v) => v || undefined), '`urn:meshprobe:api`', 'JWT `aud` (hub and MCP verifier)'),
  MESHPROBE_AGENT_NAME: setting(text(), '`local`', 'name of the local agent (`npm start`, CLI) or of a remote agent'),
  MESHPROBE_DNS_SERVERS: setting(list(), 'system resolver', 'comma list of DNS servers for target names, e.g. `127.0.0.1:5353`'),
  MESHPROBE_DNS_ROOTS: setting(list(), 'IANA root hints', 'comma list of root servers (`ADDR[:PORT]`) for `dns --trace`, so a lab can use its own'),
  MESHPROBE_PUBLIC_PORTS: setting(
    z.string().optional().transform((v, ctx) => {
      const r = parsePorts('MESHPROBE_PUBLIC_PORTS', v);
      return typeof r === 'string' ? refuse(ctx, r) : r;
    }),
    '`53,853,80,443,8080`',
    'ports `dns` and `http` may reach under the `public` policy (`--public-ports` for a remote agent)',
  ),
  NO_COLOR: setting(text(), 'unset', 'set (non-empty): the CLI writes no ANSI colours ([no-color.org](https://no-color.org)); `--color always` overrides it'),
  MESHPROBE_ICMP_MODE: setting(
    z.string().optional().transform(icmpMode),
    '`auto`',
    '`raw`, `dgram` (unprivileged ICMP) or `auto` (raw, else dgram)',
  ),
  MESHPROBE_HUB: setting(text(), 'none (CLI measures locally); bots: `http://127.0.0.1:7464`', 'hub URL for the CLI, remote agents, standalone bots and MCP'),
  MESHPROBE_TOKEN: setting(text(), 'none', "the CLI's bearer token (`--token`); an admin token for `meshprobe token` through a hub"),
  MESHPROBE_HUB_TOKEN: setting(text(), 'minted by `npm start`', "service token of the bots and of a standalone MCP server (MCP default: the caller's own token)"),
  MESHPROBE_PUBLIC_URL: setting(text(), 'the hub URL', "the hub's URL as users reach it, shown by Telegram's `/token`; its host is an allowed `Host`"),
  MESHPROBE_AGENT_TOKEN_FILE: setting(z.string().optional().transform((v) => v || undefined), 'none', "a remote agent's token file (`--token-file`): read at start, rewritten (atomically, 0600) with each token the hub renews"),
  MESHPROBE_AGENT_TOKEN: setting(z.string().optional().transform((v) => v || undefined), 'none', "a remote agent's token given inline (`sub agent:NAME`, scope `agent`); renewals are kept in memory only"),
  MESHPROBE_AGENT_COUNTRY: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_CITY: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_ASN: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_ISP: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_LAT: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_LON: setting(z.string().optional(), 'none', AGENT_ATTRIBUTE),
  MESHPROBE_AGENT_ALLOW: setting(z.string().optional(), 'none', "a remote agent's own allowed prefixes (comma list)"),
  MESHPROBE_AGENT_METRICS: setting(z.string().optional(), 'off', "`host:port` for a remote agent's Prometheus metrics"),
  MESHPROBE_AGENT_DATA_DIR: setting(z.string().optional(), 'none (`npm start`: `<data dir>/agent`)', "a remote agent's data dir (`--data-dir`): its monitor assignments and unacknowledged reports, so a restart resumes monitoring without the hub and loses no minute"),
  MESHPROBE_MCP_MODE: setting(
    z.string().optional().transform((v, ctx): 'stateless' | 'stateful' => {
      const mode = (v || 'stateless').trim();
      return mode === 'stateless' || mode === 'stateful' ? mode : refuse(ctx, `MESHPROBE_MCP_MODE must be stateless or stateful, not '${mode}'`);
    }),
    '`stateless`',
    '`stateful` for Mcp-Session-Id sessions',
  ),
  MESHPROBE_MCP_LISTEN: setting(z.string().optional().transform((v) => v ?? '127.0.0.1:7465'), '`127.0.0.1:7465`', 'where `npm run mcp` (standalone) listens'),
  MESHPROBE_MCP_PUBLIC_URL: setting(httpUrl('MESHPROBE_MCP_PUBLIC_URL'), '`http://` + Host', 'the MCP URL clients use (resource metadata, allowed Host)'),
  MESHPROBE_MCP_ALLOWED_HOSTS: setting(list(), '`localhost,127.0.0.1,::1` + listen host', 'extra Host values accepted (DNS-rebinding check)'),
  MESHPROBE_MCP_ALLOWED_ORIGINS: setting(list(), 'none', 'extra browser Origins accepted (CORS)'),
  MESHPROBE_MCP_SESSIONS_PER_USER: setting(
    z.string().optional().transform((v, ctx) => {
      const t = (v ?? '').trim();
      if (t === '') return undefined;
      const n = Number(t);
      return Number.isInteger(n) && n >= 1 ? n : refuse(ctx, `MESHPROBE_MCP_SESSIONS_PER_USER must be a whole number ≥ 1, not '${t}'`);
    }),
    '`8`',
    'stateful mode: sessions one user (token subject) may hold at once; the next `initialize` gets `429`',
  ),
  MESHPROBE_MCP_TOKEN_CHECK_S: setting(
    // Seconds, or null for `off` (no revocation check).
    z.string().optional().transform((v, ctx): number | null => {
      const t = (v ?? '').trim();
      if (t === '') return 5;
      if (t === 'off') return null;
      const n = Number(t);
      return Number.isFinite(n) && n >= 0 ? n : refuse(ctx, `MESHPROBE_MCP_TOKEN_CHECK_S must be seconds ≥ 0 or off, not '${t}'`);
    }),
    '`5`',
    'seconds a token\'s "not revoked" answer is cached; `off` skips the check',
  ),
  MESHPROBE_JWKS_URL: setting(httpUrl('MESHPROBE_JWKS_URL'), "the hub's `/.well-known/jwks.json`", 'where the MCP server gets the verification key'),
  MESHPROBE_SMTP_LISTEN: setting(text(), 'off', '`host:port` for the SMTP gateway; set, `npm start` runs it'),
  MESHPROBE_SMTP_RELAY: setting(text(), '– (required with the above)', '`smtp://host:port` (or `smtps://user:pass@host:465`) for replies'),
  MESHPROBE_EMAIL_FROM: setting(text(), '– (required with the above)', "the gateway's address: From of replies, accepted recipient"),
  MESHPROBE_EMAIL_ALLOW: setting(z.string().optional().transform((v) => parseAllowList(v)), 'everyone', 'allowed senders: addresses, domains, `.suffixes`'),
  MESHPROBE_EMAIL_MAX_BYTES: setting(
    text().transform((t, ctx) => {
      if (t === undefined) return undefined;
      const n = Number(t);
      return Number.isInteger(n) && n > 0 ? n : refuse(ctx, `MESHPROBE_EMAIL_MAX_BYTES must be a whole number of bytes, got "${t}"`);
    }),
    '`1048576`',
    'largest message accepted',
  ),
  MESHPROBE_EMAIL_REPLIES_PER_MINUTE: setting(count('MESHPROBE_EMAIL_REPLIES_PER_MINUTE'), '`20`', "the gateway's reply budget, whoever the senders are"),
  MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE: setting(count('MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE'), '`1048576`', 'reply bytes per minute, whoever the senders are'),
  MESHPROBE_EMAIL_AUTHSERV_ID: setting(workerText().transform((v) => v?.trim() || undefined), 'none', "your MTA's authserv-id: its `Authentication-Results` saying `dmarc=fail` gets no answer ([email.md](docs/email.md))"),
  TELEGRAM_BOT_TOKEN: setting(text(), 'off', 'the bot token from @BotFather; set, `npm start` runs the bot'),
  TELEGRAM_API_ROOT: setting(text().transform((t) => t?.replace(/\/+$/, '') || undefined), '`https://api.telegram.org`', 'another Bot API server'),
  TELEGRAM_WEBHOOK_URL: setting(text(), 'off (long polling)', 'public HTTPS URL for webhook mode'),
  TELEGRAM_WEBHOOK_SECRET: setting(text(), '– (required for webhooks)', 'checked against `X-Telegram-Bot-Api-Secret-Token`'),
  TELEGRAM_WEBHOOK_LISTEN: setting(text(), '`127.0.0.1:8443`', 'local listener for webhook mode'),
} as const;

/** The Email Worker's `[vars]` and secrets (wrangler.toml, `wrangler secret put`). */
export const WORKER_VARIABLES = {
  HUB_URL: setting(workerText().transform((v) => v ?? ''), '– (required)', "the hub's URL; it must be reachable from Cloudflare"),
  HUB_TOKEN: setting(workerText().transform((v) => v || undefined), 'none', 'a secret (`wrangler secret put HUB_TOKEN`): the service token, scopes `measure delegate`'),
  MAX_MESSAGE_BYTES: setting(positive(1024 * 1024), '`1048576`', 'largest message accepted, in bytes; larger ones are rejected in the SMTP dialogue'),
  ALLOW_FROM: setting(workerText().transform((v) => parseAllowList(v)), 'everyone', 'allowed senders: addresses, domains, `.subdomain` suffixes'),
  TIME_BUDGET_SECONDS: setting(positive(25), '`25`', 'seconds a measurement may run before the reply goes out with what arrived'),
  MAX_COUNT: setting(positive(10), '`10`', 'highest ping count run for an email'),
  RATE_BURST: setting(positive(5), '`5`', 'commands per sender in a burst'),
  RATE_REFILL_SECONDS: setting(positive(60), '`60`', 'seconds per further command of a sender'),
  FROM_NAME: setting(workerText().transform((v) => v || 'meshprobe'), '`meshprobe`', 'display name of the replies'),
  REPLIES_PER_MINUTE: setting(positive(20).transform(Math.floor), '`20`', 'replies per minute, whoever the senders are (per isolate)'),
  REPLY_BYTES_PER_MINUTE: setting(positive(1024 * 1024).transform(Math.floor), '`1048576`', 'reply bytes per minute, whoever the senders are (per isolate)'),
  AUTHSERV_ID: setting(workerText().transform((v) => v?.trim() || undefined), 'none', "the authserv-id of Email Routing's `Authentication-Results`: mail it marks `dmarc=fail` gets no answer"),
} as const;

type Variables = typeof VARIABLES;
type Picked<K extends readonly (keyof Variables)[]> = { [P in K[number]]: Variables[P]['schema'] };

function pick<const K extends readonly (keyof Variables)[]>(names: K): z.ZodObject<Picked<K>> {
  return z.object(Object.fromEntries(names.map((n) => [n, VARIABLES[n].schema])) as Picked<K>);
}

// MESHPROBE_MCP_PUBLIC_URL stands in for MESHPROBE_PUBLIC_URL when only it is set.
const HUB = ['MESHPROBE_LISTEN', 'MESHPROBE_DATA_DIR', 'MESHPROBE_POLICY', 'MESHPROBE_ALLOW_ANONYMOUS', 'MESHPROBE_IP_RATE', 'MESHPROBE_SUBJECT_RATE', 'MESHPROBE_SERVICE_RATE', 'MESHPROBE_ALLOWED_HOSTS', 'MESHPROBE_ALLOWED_ORIGINS', 'MESHPROBE_AGENT_PPS', 'MESHPROBE_MAX_AGENTS', 'MESHPROBE_STREAMS_PER_SUBJECT', 'MESHPROBE_STREAMS_PER_IP', 'MESHPROBE_STREAM_WRITE_TIMEOUT', 'MESHPROBE_MONITOR_MAX_PER_SUBJECT', 'MESHPROBE_MONITOR_MAX_PPS_PER_AGENT', 'MESHPROBE_MONITOR_MINUTE_RETENTION', 'MESHPROBE_MONITOR_HOUR_RETENTION', 'MESHPROBE_AGENT_RANGES', 'MESHPROBE_METRICS_COMPAT', 'MESHPROBE_PUSHGATEWAY_URL', 'MESHPROBE_PUSHGATEWAY_JOB', 'MESHPROBE_PUSHGATEWAY_INSTANCE', 'MESHPROBE_PUSHGATEWAY_INTERVAL', 'MESHPROBE_TOKEN_ISSUER', 'MESHPROBE_TOKEN_AUDIENCE', 'MESHPROBE_PUBLIC_URL', 'MESHPROBE_MCP_PUBLIC_URL', 'MESHPROBE_ALERT_EVERY', 'MESHPROBE_ALERT_MIN_GAP', 'MESHPROBE_GUEST', 'MESHPROBE_OIDC_ISSUER', 'MESHPROBE_OIDC_CLIENT_ID', 'MESHPROBE_OIDC_CLIENT_SECRET', 'MESHPROBE_GITHUB_CLIENT_ID', 'MESHPROBE_GITHUB_CLIENT_SECRET', 'MESHPROBE_WEB_ALLOW', 'MESHPROBE_SHARE_TTL'] as const;
const ENRICH = ['MESHPROBE_MMDB', 'MESHPROBE_ENRICH_SOURCES', 'MESHPROBE_IPINFO_TOKEN', 'MESHPROBE_IP2LOCATION_KEY', 'MESHPROBE_IPREGISTRY_KEY', 'MESHPROBE_ENRICH_CACHE_TTL', 'MESHPROBE_ENRICH_RATE', 'MESHPROBE_MRT'] as const;
const LOCAL_AGENT = ['MESHPROBE_AGENT_NAME', 'MESHPROBE_DNS_SERVERS', 'MESHPROBE_DNS_ROOTS', 'MESHPROBE_PUBLIC_PORTS', 'MESHPROBE_ICMP_MODE'] as const;
const MCP = ['MESHPROBE_MCP_MODE', 'MESHPROBE_ALLOW_ANONYMOUS', 'MESHPROBE_JWKS_URL', 'MESHPROBE_MCP_TOKEN_CHECK_S', 'MESHPROBE_TOKEN_ISSUER', 'MESHPROBE_TOKEN_AUDIENCE', 'MESHPROBE_MCP_PUBLIC_URL', 'MESHPROBE_MCP_ALLOWED_HOSTS', 'MESHPROBE_MCP_ALLOWED_ORIGINS', 'MESHPROBE_MCP_SESSIONS_PER_USER', 'MESHPROBE_HUB_TOKEN'] as const;
const TELEGRAM = ['TELEGRAM_BOT_TOKEN', 'MESHPROBE_HUB', 'MESHPROBE_HUB_TOKEN', 'TELEGRAM_API_ROOT', 'TELEGRAM_WEBHOOK_URL', 'MESHPROBE_PUBLIC_URL', 'TELEGRAM_WEBHOOK_SECRET', 'TELEGRAM_WEBHOOK_LISTEN'] as const;
const SMTP = ['MESHPROBE_SMTP_LISTEN', 'MESHPROBE_SMTP_RELAY', 'MESHPROBE_EMAIL_FROM', 'MESHPROBE_EMAIL_ALLOW', 'MESHPROBE_EMAIL_MAX_BYTES', 'MESHPROBE_EMAIL_REPLIES_PER_MINUTE', 'MESHPROBE_EMAIL_REPLY_BYTES_PER_MINUTE', 'MESHPROBE_EMAIL_AUTHSERV_ID', 'MESHPROBE_HUB', 'MESHPROBE_HUB_TOKEN'] as const;

/** The MCP endpoint's variables (standalone server and the one `npm start` mounts). */
export const mcpEndpointSettings = pick(MCP);
/**
 * A group of variables that is off unless `name` is set: undefined then, and the others are not
 * looked at (a stray bad value of a front-end that is off does not stop the process).
 */
function switchedBy<S extends z.ZodObject>(name: keyof Variables, group: S) {
  return z.custom<Readonly<Record<string, string | undefined>>>((v) => typeof v === 'object' && v !== null).transform((env, ctx): z.output<S> | undefined => {
    if (!env[name]?.trim()) return undefined;
    const r = group.safeParse(env);
    if (r.success) return r.data;
    for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.code === 'custom' ? issue.message : `${String(issue.path[0])}: ${issue.message}` });
    return z.NEVER;
  });
}

/** The Telegram bot's variables (standalone or under `npm start`); undefined without TELEGRAM_BOT_TOKEN. */
export const telegramSettings = switchedBy('TELEGRAM_BOT_TOKEN', pick(TELEGRAM));
/** The SMTP gateway's variables (standalone or under `npm start`); undefined without MESHPROBE_SMTP_LISTEN. */
export const smtpSettings = switchedBy('MESHPROBE_SMTP_LISTEN', pick(SMTP));
/** `npm start` (bin/start.ts): the hub and its local agent; the MCP, Telegram and SMTP groups are read beside it. */
export const launcherSettings = pick([...HUB, ...ENRICH, ...LOCAL_AGENT]);
/** The standalone MCP server (mcp/main.ts): the hub and where it listens, beside {@link mcpEndpointSettings}. */
export const mcpServerSettings = pick(['MESHPROBE_HUB', 'MESHPROBE_MCP_LISTEN']);
/**
 * The variables named, as the text they hold: for settings a flag overrides, where the command
 * checks the flag's value and the variable's alike (and names the flag in its one-line error).
 */
function asText<const K extends readonly (keyof Variables)[]>(names: K): z.ZodObject<{ [P in K[number]]: z.ZodOptional<z.ZodString> }> {
  return z.object(Object.fromEntries(names.map((n) => [n, z.string().optional()]))) as z.ZodObject<{ [P in K[number]]: z.ZodOptional<z.ZodString> }>;
}

/**
 * `meshprobe agent` (agent/runtime/agent-command.ts): a remote agent. Each has a flag that
 * overrides it, so they are read as text and checked with the flag (`--policy must be …`). The
 * agent itself reads them without zod, from the same names: shared/config/remote-agent-settings.ts.
 */
export const remoteAgentSettings = asText(REMOTE_AGENT_TEXT_VARIABLES)
  .extend({ MESHPROBE_ICMP_MODE: VARIABLES.MESHPROBE_ICMP_MODE.schema });
/** The CLI (bin/cli.ts, `meshprobe token`): the hub or this machine's agent. */
export const cliSettings = pick(['MESHPROBE_HUB', 'MESHPROBE_TOKEN', 'MESHPROBE_DATA_DIR', 'MESHPROBE_TOKEN_ISSUER', 'MESHPROBE_TOKEN_AUDIENCE', 'NO_COLOR', ...LOCAL_AGENT]);
/** The Email Worker (email-worker/): wrangler.toml `[vars]` and its secret. */
export const emailWorkerSettings = z.object(Object.fromEntries(Object.entries(WORKER_VARIABLES).map(([k, v]) => [k, v.schema])) as { [K in keyof typeof WORKER_VARIABLES]: (typeof WORKER_VARIABLES)[K]['schema'] });

/** The typed settings a schema above yields. */
export type Settings<S extends z.ZodType> = z.output<S>;

/**
 * Reads `env` with `schema`: the typed settings, or an error whose message is one line naming the
 * variable and what was expected (the first problem found): a {@link ConfigError}.
 */
export function readSettings<S extends z.ZodType>(schema: S, env: Readonly<Record<string, string | undefined>>): z.output<S> {
  // A copy: Node's environment object is not a plain object, which zod's records refuse.
  const r = schema.safeParse({ ...env });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const name = String(issue.path[0] ?? 'the environment');
  throw new ConfigError(name, issue.code === 'custom' ? issue.message : `${name}: ${issue.message}`);
}
