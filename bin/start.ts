/**
 * `npm start`: the embedded default. One process, the hub and a local agent, on loopback,
 * printing how to use it. The only module that composes hub and agent.
 *
 * Settings: MESHPROBE_LISTEN (or --listen) host:port, MESHPROBE_DATA_DIR, MESHPROBE_AGENT_NAME,
 * MESHPROBE_DNS_SERVERS (comma list of resolvers for target names, e.g. 127.0.0.1:5353),
 * MESHPROBE_ALLOW_ANONYMOUS (true = no token needed), MESHPROBE_POLICY (public|lan; default lan on
 * loopback, public otherwise), MESHPROBE_IP_RATE / MESHPROBE_SUBJECT_RATE / MESHPROBE_SERVICE_RATE
 * (requests/s, 0 = off), MESHPROBE_ALLOWED_HOSTS / _ALLOWED_ORIGINS / MESHPROBE_PUBLIC_URL (/v1 Host/Origin guard),
 * MESHPROBE_AGENT_PPS (packets/s per agent, the embedded one included), MESHPROBE_AGENT_RANGES
 * (per-agent allowed prefixes, `lax1=10.0.0.0/8,192.168.0.0/16;fra1=198.18.0.0/15`),
 * MESHPROBE_TOKEN_ISSUER / _AUDIENCE, MESHPROBE_MAX_AGENTS, MESHPROBE_STREAMS_PER_SUBJECT / _PER_IP,
 * MESHPROBE_STREAM_WRITE_TIMEOUT (seconds), MESHPROBE_MONITOR_MAX_PER_SUBJECT / _MAX_PPS_PER_AGENT /
 * _MINUTE_RETENTION / _HOUR_RETENTION (monitors' caps and retention; the store is <data dir>/meshprobe.db),
 * MESHPROBE_ALERT_EVERY / _MIN_GAP (how often alert rules are evaluated, the least time between two
 * messages of a monitor; alerts reach chats and mailboxes through the bot and the gateway below).
 * Enrichment: MESHPROBE_MMDB, MESHPROBE_ENRICH_SOURCES, MESHPROBE_IPINFO_TOKEN / _IP2LOCATION_KEY /
 * _IPREGISTRY_KEY, MESHPROBE_ENRICH_CACHE_TTL / _RATE; BGP table: MESHPROBE_MRT.
 * The web UI's sign-in: MESHPROBE_GUEST, MESHPROBE_OIDC_ISSUER / _CLIENT_ID / _CLIENT_SECRET,
 * MESHPROBE_GITHUB_CLIENT_ID / _CLIENT_SECRET, MESHPROBE_WEB_ALLOW, MESHPROBE_SHARE_TTL (docs/web.md).
 * MESHPROBE_SMTP_LISTEN starts the SMTP gateway too (with MESHPROBE_SMTP_RELAY, MESHPROBE_EMAIL_FROM;
 * see bots/email/main.ts).
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalAgent } from '../agent/runtime/local-agent.ts';
import { holdYoungGeneration } from '../agent/runtime/young-generation.ts';
import { TargetGuard } from '../agent/runtime/target-guard.ts';
import { AgentMetrics } from '../agent/runtime/agent-metrics.ts';
import type { AgentLink } from '../shared/wire/agent-link.ts';
import { mcpHandler } from '../mcp/config.ts';
import type { McpHttpHandler } from '../mcp/http.ts';
import { mcpHubRoutes } from '../mcp/hub-mount.ts';
import { describeError, StateWriteError } from '../shared/model/errors.ts';
// The bots are loaded only when configured (grammY, nodemailer, smtp-server, mailparser, pngjs:
// ~30 MB a hub without them never needs).
import type { RunningTelegramBot } from '../bots/telegram/main.ts';
import type { SmtpGateway } from '../bots/email/smtp-gateway.ts';
import { DEFAULT_LISTEN, parseListen } from '../shared/net/listen-address.ts';
import { parseAgentRanges } from '../hub/core/agent-ranges.ts';
import { launcherSettings, mcpEndpointSettings, readSettings, smtpSettings, telegramSettings, type Settings } from '../shared/config/settings.ts';
import { IcmpSocketPool } from '../agent/socket/icmp-socket-pool.ts';
import { checkWritableDir, writeFileAtomic } from '../hub/auth/durable-file.ts';
import { createHub } from '../hub/http/server.ts';
import type { Hub, HubAlertOptions } from '../hub/http/server.ts';
import type { AlertMessage } from '../hub/core/alert-evaluator.ts';
import type { WebOptions } from '../hub/http/web/web-ui.ts';
import { VERSION } from '../shared/model/version.ts';
import { exampleSpecJson } from '../shared/registry.ts';
import { exitWhenDrained } from './exit-when-drained.ts';
import { createEnrichment, type Enrichment, type EnrichmentOptions } from '../hub/enrich/enrichment.ts';
import { LateInfo } from '../hub/enrich/late-info.ts';
import { RouteIndex } from '../hub/bgp/route-index.ts';

const USAGE = 'usage: npm start [-- --listen HOST:PORT]   (env: MESHPROBE_LISTEN, MESHPROBE_DATA_DIR, MESHPROBE_AGENT_NAME, MESHPROBE_DNS_SERVERS)';

async function main(): Promise<number> {
  // The embedded agent runs monitors for weeks: see agent/runtime/young-generation.ts.
  holdYoungGeneration();
  const args = parseStartFlags();
  if (typeof args === 'number') return args;
  // The environment is read here, once, through the schema (shared/config/settings.ts); the
  // front-ends' groups are read where they start, since their refusals do not stop the hub.
  const env = process.env;
  // The bots start after the hub (they are its clients); the hub's alert senders find them here.
  const channels: AlertChannels = {};
  const started = await startHubWithLocalAgent(args.listen, env, channels);
  if (typeof started === 'number') return started;
  const { hub, mcp } = started;
  const tokenFile = await writeAdminToken(hub, mcp);
  if (typeof tokenFile === 'number') return tokenFile;
  printBanner(hub, mcp, tokenFile);
  const telegram = await startTelegram(hub, env);
  const smtp = await startSmtp(hub, env);
  Object.assign(channels, { telegram, smtp });
  await waitForSignal({ telegram, smtp, mcp, hub });
  return 0;
}

/** The command line, or the exit code when it ends the launcher here (a bad flag: 2; --help: 0). */
function parseStartFlags(): { listen?: string | undefined } | number {
  let args;
  try {
    args = parseArgs({ options: { listen: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (err) {
    process.stderr.write(`meshprobe: ${describeError(err).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  return args;
}

/**
 * The hub with the embedded agent and /mcp mounted, listening; or the exit code of a refusal
 * (1: bad settings or cannot listen; 2: data directory not writable), already printed.
 */
async function startHubWithLocalAgent(listenFlag: string | undefined, env: NodeJS.ProcessEnv, channels: AlertChannels): Promise<{ hub: Hub; mcp: McpHttpHandler } | number> {
  let hub: Hub | undefined;
  let enrichment: Enrichment | undefined;
  let bgp: RouteIndex | undefined;
  try {
    const settings = readSettings(launcherSettings, env);
    const listenText = listenFlag ?? settings.MESHPROBE_LISTEN;
    const listen = listenText ? parseListen(listenText) : DEFAULT_LISTEN;
    const dnsServers = settings.MESHPROBE_DNS_SERVERS;
    IcmpSocketPool.useMode(settings.MESHPROBE_ICMP_MODE);
    const local = new LocalAgent({
      name: settings.MESHPROBE_AGENT_NAME || 'local',
      ...(dnsServers.length ? { dnsServers } : {}),
      ...(settings.MESHPROBE_DNS_ROOTS.length ? { dnsRoots: settings.MESHPROBE_DNS_ROOTS } : {}),
      dataDir: join(resolve(settings.MESHPROBE_DATA_DIR || '.data'), 'agent'),
    });
    const control = controlFrom(settings, listen.host);
    // The embedded agent checks resolved addresses as a remote one does: against the public
    // policy (DNS rebinding) and the ranges the hub hands it with each run (MESHPROBE_AGENT_RANGES).
    const agentMetrics = new AgentMetrics(local.info.name);
    // Metered outside the guard: its refusals count as errors, its runs once per measurement.
    const agent: AgentLink = agentMetrics.meter(new TargetGuard({ inner: local, resolver: local.resolver, mode: control.policy, ...(settings.MESHPROBE_PUBLIC_PORTS ? { publicPorts: settings.MESHPROBE_PUBLIC_PORTS } : {}) }), { runs: true });
    // A 401 to a local client names the admin token file below (never to remote clients).
    const localTokenFile = join(resolve(settings.MESHPROBE_DATA_DIR || '.data'), 'admin.token');
    const mcp = mcpHandler(readSettings(mcpEndpointSettings, env), {
      // The MCP endpoint is a hub client of this very hub; its URL is known once the hub listens.
      hubUrl: () => hub?.url ?? '',
      localTokenFile,
      listenHosts: [listen.host],
      version: VERSION,
      // /mcp counts against the same per-IP and per-subject buckets as /v1.
      limit: (ip, subject) => {
        const refusal = subject === undefined ? hub?.limits.ip(ip) : hub?.limits.subject({ subject, scopes: [] });
        return refusal ? { message: refusal.message, retryAfterS: Number(refusal.headers?.['retry-after'] ?? 1) } : undefined;
      },
    });
    // Before the port is bound: a read-only or full data directory is a one-line refusal (exit 2).
    try {
      await checkWritableDir(dirname(localTokenFile));
    } catch (err) {
      const reason = err instanceof StateWriteError ? err.reason : describeError(err).message;
      process.stderr.write(`meshprobe: the data directory ${dirname(localTokenFile)} is not writable: ${reason} (set MESHPROBE_DATA_DIR to another directory)\n`);
      return 2;
    }
    // The BGP table (MESHPROBE_MRT) lives in the store; it is imported in the background below.
    if (settings.MESHPROBE_MRT.length) bgp = RouteIndex.open(resolve(settings.MESHPROBE_DATA_DIR || '.data'));
    // Enrichment of every address printed: labels always, then what the operator configured.
    enrichment = createEnrichment({ ...enrichmentOptions(settings), ...(bgp ? { bgp: bgp.source() } : {}) });
    const enricher = enrichment.enricher;
    hub = await createHub({
      listen,
      enrich: (e) => enricher.enrich(e),
      // Online providers answer later: their answers follow as `info` events (hub/enrich/late-info.ts).
      enrichStream: (emit) => new LateInfo(enricher, emit),
      enrichAgent: (address) => enricher.lookup(address),
      paths: { lookup: (a) => enricher.lookupSettled(a), sources: enricher.sourceNames, ...(bgp ? { bgp } : {}) },
      routes: mcpHubRoutes(mcp),
      ...(settings.MESHPROBE_DATA_DIR ? { dataDir: settings.MESHPROBE_DATA_DIR } : {}),
      agents: [agent],
      extraMetrics: [agentMetrics.registry],
      ...(settings.MESHPROBE_METRICS_COMPAT ? { metricsCompat: settings.MESHPROBE_METRICS_COMPAT } : {}),
      ...(settings.MESHPROBE_PUSHGATEWAY_URL
        ? { pushgateway: { url: settings.MESHPROBE_PUSHGATEWAY_URL, job: settings.MESHPROBE_PUSHGATEWAY_JOB || 'meshprobe', instance: settings.MESHPROBE_PUSHGATEWAY_INSTANCE || hostname(), ...(settings.MESHPROBE_PUSHGATEWAY_INTERVAL ? { intervalMs: settings.MESHPROBE_PUSHGATEWAY_INTERVAL } : {}) } }
        : {}),
      alerts: hubAlerts(settings, env, channels),
      ...control,
      control: { ...control.control, localTokenFile },
      log: (line) => process.stderr.write(line + '\n'),
    }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') throw new Error(`cannot listen on ${listen.host}:${listen.port}: the address is in use (set MESHPROBE_LISTEN or --listen)`);
      if (err.code === 'EADDRNOTAVAIL') throw new Error(`cannot listen on ${listen.host}:${listen.port}: no such local address`);
      if (err.code === 'EACCES') throw new Error(`cannot listen on ${listen.host}:${listen.port}: permission denied`);
      throw err;
    });
    for (const line of enrichment.describe) process.stderr.write(`meshprobe: enrichment from ${line}\n`);
    const closeHub = hub.close;
    const closeEnrichment = enrichment.close;
    const table = bgp;
    hub.close = () => closeHub().finally(() => (closeEnrichment(), table?.close()));
    if (table) importMrt(table, settings.MESHPROBE_MRT, enricher);
    return { hub, mcp };
  } catch (err) {
    enrichment?.close();
    bgp?.close();
    process.stderr.write(`meshprobe: ${describeError(err).message}\n`);
    return 1;
  }
}

/** The front-ends that carry monitor alerts to chats and mailboxes, once they run. */
interface AlertChannels {
  telegram?: RunningTelegramBot | undefined;
  smtp?: SmtpGateway | undefined;
}

/**
 * Where the hub's alerts go besides webhooks: the chat through the bot's API (its throttler and
 * retries included), the mailbox through the SMTP gateway's relay and reply budget. A channel is
 * wired when its front-end is configured; until it runs (or when it failed to start) a message
 * for it fails with a reason the hub logs. Hubs and front-ends started apart have webhooks only.
 */
function hubAlerts(s: Settings<typeof launcherSettings>, env: NodeJS.ProcessEnv, channels: AlertChannels): HubAlertOptions {
  return {
    ...(s.MESHPROBE_ALERT_EVERY !== undefined ? { everyMs: s.MESHPROBE_ALERT_EVERY } : {}),
    ...(s.MESHPROBE_ALERT_MIN_GAP !== undefined ? { minMessageIntervalMs: s.MESHPROBE_ALERT_MIN_GAP } : {}),
    ...(env.TELEGRAM_BOT_TOKEN?.trim()
      ? {
          telegram: async (chatId: string, message: AlertMessage) => {
            const bot = channels.telegram?.bot;
            if (!bot) throw new Error('the Telegram bot is not running');
            await bot.api.sendMessage(chatId, message.text, { link_preview_options: { is_disabled: true } });
          },
        }
      : {}),
    ...(env.MESHPROBE_SMTP_LISTEN?.trim()
      ? {
          email: async (address: string, message: AlertMessage) => {
            if (!channels.smtp) throw new Error('the SMTP gateway is not running');
            await channels.smtp.sendNotice({ to: address, subject: `[meshprobe] ${message.text}`, text: alertMailText(message) });
          },
        }
      : {}),
  };
}

/** The text of an alert by mail: the line, each agent's value, and how to look closer. */
function alertMailText(m: AlertMessage): string {
  const agents = m.agents.map((a) => `  ${a.agent}: ${a.value === null ? 'n/a' : Number(a.value.toPrecision(4))}${a.holds ? '  (holds)' : ''}`);
  return [
    m.text,
    '',
    `rule: ${m.rule} (${m.state === 'firing' ? 'started holding' : 'no longer holds'} at ${m.at})`,
    ...(agents.length ? ['agents:', ...agents] : []),
    '',
    `see it with: monitor show ${m.monitor.name}`,
    '',
    '-- ',
    'An automatic message from meshprobe (Auto-Submitted); you get one when a rule starts holding and one when it clears.',
  ].join('\n');
}

/**
 * Imports the MRT dumps in the background (the hub answers meanwhile, from the table imported
 * before, if any), with a progress line on a terminal and one line when done or refused.
 */
function importMrt(table: RouteIndex, files: string[], enricher: { clear(): void }): void {
  const tty = process.stderr.isTTY;
  let shown = 0;
  void table
    .import(files, {
      progress: (p) => {
        const now = Date.now();
        if (!tty || now - shown < 250) return;
        shown = now;
        const pct = p.bytesTotal ? Math.floor((100 * p.bytesRead) / p.bytesTotal) : 0;
        const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
        process.stderr.write(`\rmeshprobe: importing ${p.file} [${bar}] ${pct}% ${p.routes} routes`);
      },
    })
    .then(
      (st) => {
        enricher.clear();
        process.stderr.write(`${tty ? '\n' : ''}meshprobe: BGP table: ${st.prefixes} prefixes, ${st.routes} routes from ${st.peers} peers (${st.files.join(', ')})\n`);
      },
      (err: unknown) => process.stderr.write(`${tty ? '\n' : ''}meshprobe: the MRT import failed, the BGP table is unchanged: ${describeError(err).message}\n`),
    );
}

/** The enrichment settings as createEnrichment's options. */
function enrichmentOptions(s: Settings<typeof launcherSettings>): EnrichmentOptions {
  return {
    mmdb: s.MESHPROBE_MMDB,
    ...(s.MESHPROBE_ENRICH_SOURCES ? { order: s.MESHPROBE_ENRICH_SOURCES } : {}),
    ...(s.MESHPROBE_IPINFO_TOKEN ? { ipinfoToken: s.MESHPROBE_IPINFO_TOKEN } : {}),
    ...(s.MESHPROBE_IP2LOCATION_KEY ? { ip2locationKey: s.MESHPROBE_IP2LOCATION_KEY } : {}),
    ...(s.MESHPROBE_IPREGISTRY_KEY ? { ipregistryKey: s.MESHPROBE_IPREGISTRY_KEY } : {}),
    online: {
      ...(s.MESHPROBE_ENRICH_CACHE_TTL !== undefined ? { ttlMs: s.MESHPROBE_ENRICH_CACHE_TTL } : {}),
      ...(s.MESHPROBE_ENRICH_RATE !== undefined ? { ratePerS: s.MESHPROBE_ENRICH_RATE } : {}),
    },
    log: (line) => process.stderr.write(`meshprobe: ${line}\n`),
  };
}

/**
 * A fresh admin token at every start, also in a 0600 file for scripts. Resolves with the file's
 * path and the token, or with exit code 2 (after closing /mcp and the hub) when it cannot be written.
 */
async function writeAdminToken(hub: Hub, mcp: McpHttpHandler): Promise<{ path: string; token: string } | number> {
  const admin = await hub.tokens.issue({ sub: 'admin', scopes: ['admin'], ttlS: 30 * 86_400 });
  const tokenFile = join(hub.dataDir, 'admin.token');
  try {
    // Atomic (temporary file, fsync, rename): a full disk never leaves a truncated token behind.
    await writeFileAtomic(tokenFile, admin.token + '\n', { mode: 0o600 });
  } catch (err) {
    process.stderr.write(`meshprobe: cannot write the admin token to ${tokenFile}: ${new StateWriteError('the admin token', err).reason}\n`);
    await Promise.resolve(mcp.close()).finally(() => hub.close());
    return 2;
  }
  return { path: tokenFile, token: admin.token };
}

/** How to use this hub: the admin token, curl lines, attaching a remote agent, the MCP URL. */
function printBanner(hub: Hub, mcp: McpHttpHandler, admin: { path: string; token: string }): void {
  const names = hub.registry.list().map((a) => a.name).join(', ');
  const tokenFile = admin.path;
  const auth = `-H "authorization: Bearer $(cat ${tokenFile})" `;
  process.stdout.write(
    `meshprobe ${VERSION} hub listening on ${hub.url} (agent: ${names}; data: ${hub.dataDir}; policy ${hub.policy})\n` +
      `  web UI: ${hub.url}/  (sign in as a guest, or paste the admin token below; docs/web.md)\n` +
      `  admin token (30 days, also in ${tokenFile}):\n    ${admin.token}\n` +
      `  curl -sN ${auth}-H 'content-type: application/json' -d '${exampleSpecJson('127.0.0.1')}' ${hub.url}/v1/measurements\n` +
      `  curl -sN ${auth}-d 'ping -c 3 127.0.0.1' ${hub.url}/v1/cli\n` +
      // The hub renews an agent's token while it is connected and the agent writes each renewal to
      // its --token-file: the 30 days only matter to an agent that stays away that long.
      `  remote agent: meshprobe token create --data-dir ${hub.dataDir} --sub agent:NAME --scope agent --ttl 30d > agent.token\n` +
      `                meshprobe agent --hub ${hub.url} --name NAME --token-file agent.token   (the hub renews the token; the file keeps the latest)\n` +
      `  MCP (${mcp.mode}): ${hub.url}${mcp.path}  (header Authorization: Bearer TOKEN; see docs/mcp.md)\n`,
  );
}

/**
 * The Telegram bot when TELEGRAM_BOT_TOKEN is set: a client of this hub. Without
 * MESHPROBE_HUB_TOKEN it gets a service token here (measure, minting /token user tokens, and
 * delegate: each call names the Telegram user, so the hub limits users apart). A bot that does
 * not start is reported and left out: the hub runs on.
 */
async function startTelegram(hub: Hub, env: NodeJS.ProcessEnv): Promise<RunningTelegramBot | undefined> {
  const telegramMain = env.TELEGRAM_BOT_TOKEN?.trim() ? await import('../bots/telegram/main.ts') : undefined;
  let tg: ReturnType<NonNullable<typeof telegramMain>['telegramOptions']>;
  try {
    tg = telegramMain?.telegramOptions(readSettings(telegramSettings, env), { hubUrl: hub.url });
  } catch (err) {
    process.stderr.write(`meshprobe: the Telegram bot did not start: ${describeError(err).message}\n`);
  }
  if (!telegramMain || !tg) return undefined;
  try {
    const hubToken = tg.hubToken ?? (await hub.tokens.issue({ sub: 'service:telegram', scopes: ['measure', 'token:create', 'delegate'], ttlS: 365 * 86_400 })).token;
    const telegram = await telegramMain.startTelegramBot({ ...tg, hubToken, version: VERSION, log: (line) => process.stderr.write(line + '\n') });
    process.stdout.write(`  Telegram: @${telegram.bot.botInfo.username} (${tg.webhook ? 'webhook' : 'long polling'})\n`);
    return telegram;
  } catch (err) {
    process.stderr.write(`meshprobe: the Telegram bot did not start: ${describeError(err).message}\n`);
    return undefined;
  }
}

/**
 * The SMTP gateway when MESHPROBE_SMTP_LISTEN is set (bots/email/main.ts lists its settings):
 * a client of this hub, with a service token of its own unless MESHPROBE_HUB_TOKEN is given
 * (delegate: each command runs on behalf of email:<sender>). One that does not start is reported
 * and left out.
 */
async function startSmtp(hub: Hub, env: NodeJS.ProcessEnv): Promise<SmtpGateway | undefined> {
  try {
    const emailMain = env.MESHPROBE_SMTP_LISTEN?.trim() ? await import('../bots/email/main.ts') : undefined;
    const mail = emailMain?.smtpGatewayOptions(readSettings(smtpSettings, env), { hubUrl: hub.url });
    if (!mail) return undefined;
    const { startSmtpGateway } = await import('../bots/email/smtp-gateway.ts');
    const hubToken = mail.hubToken ?? (await hub.tokens.issue({ sub: 'service:email', scopes: ['measure', 'delegate'], ttlS: 365 * 86_400 })).token;
    const smtp = await startSmtpGateway({ ...mail, hubToken, log: (line) => process.stderr.write(`email: ${line}\n`) });
    process.stdout.write(`  email: SMTP gateway on ${smtp.host}:${smtp.port} for ${mail.from} (replies via ${new URL(mail.relay).host})\n`);
    return smtp;
  } catch (err) {
    process.stderr.write(`meshprobe: the SMTP gateway did not start: ${describeError(err).message}\n`);
    return undefined;
  }
}

/** Resolves once SIGINT or SIGTERM has shut everything down; a second signal exits at once. */
function waitForSignal(components: Parameters<typeof shutDown>[0]): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`meshprobe: ${signal}, closing\n`);
      // A second signal means "now".
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      void shutDown(components).then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * Stops every component within 10 s, whatever the Bot API, the mail relay or clients do: the
 * front-ends first (in parallel; they are the hub's clients), then MCP and the hub. Each step has
 * a deadline of its own and a step that overruns is logged and left behind: the process exits
 * after this (see the end of the file), which ends whatever a peer that went away still holds open.
 */
async function shutDown(c: { telegram: RunningTelegramBot | undefined; smtp: SmtpGateway | undefined; mcp: McpHttpHandler; hub: Hub }): Promise<void> {
  const step = async (name: string, ms: number, work: () => Promise<unknown> | unknown): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = await Promise.race([
      Promise.resolve()
        .then(work)
        .then(
          () => true,
          (err: unknown) => (process.stderr.write(`meshprobe: closing ${name}: ${describeError(err).message}\n`), true),
        ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    if (!done) process.stderr.write(`meshprobe: ${name} did not close within ${ms / 1000} s; going on\n`);
  };
  // Front-ends: 4 s (each bounds itself a little below that); MCP and the hub: 5 s (the hub
  // cuts idle keep-alive and lingering sockets at 3 s, agents at 1 s). 9 s at most, within 10 s.
  await Promise.all([step('the Telegram bot', 4000, () => c.telegram?.stop(3500)), step('the SMTP gateway', 4000, () => c.smtp?.close(3500))]);
  await Promise.all([step('the MCP endpoint', 5000, () => c.mcp.close()), step('the hub', 5000, () => c.hub.close())]);
}

/** The control-plane settings of the hub, from the launcher's settings (bad values were refused by the schema). */
function controlFrom(s: Settings<typeof launcherSettings>, host: string) {
  const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
  const policy = s.MESHPROBE_POLICY ?? (loopback ? 'lan' : 'public');
  const streamsPerSubject = s.MESHPROBE_STREAMS_PER_SUBJECT;
  const streamsPerIp = s.MESHPROBE_STREAMS_PER_IP;
  const writeTimeoutS = s.MESHPROBE_STREAM_WRITE_TIMEOUT;
  const rangesText = s.MESHPROBE_AGENT_RANGES;
  // The hub's public URL; the MCP endpoint's stands in for it when only that one is set.
  const publicUrl = s.MESHPROBE_PUBLIC_URL ?? s.MESHPROBE_MCP_PUBLIC_URL;
  if (publicUrl && !/^https?:\/\/[^/]/.test(publicUrl)) throw new Error(`MESHPROBE_PUBLIC_URL must be an http(s) URL, not ${publicUrl}`);
  const ipRatePerS = s.MESHPROBE_IP_RATE;
  const subjectRatePerS = s.MESHPROBE_SUBJECT_RATE;
  const serviceRatePerS = s.MESHPROBE_SERVICE_RATE;
  const agentPpsBudget = s.MESHPROBE_AGENT_PPS;
  const maxAgents = s.MESHPROBE_MAX_AGENTS;
  return {
    monitors: {
      ...(s.MESHPROBE_MONITOR_MAX_PER_SUBJECT !== undefined ? { maxPerSubject: s.MESHPROBE_MONITOR_MAX_PER_SUBJECT } : {}),
      ...(s.MESHPROBE_MONITOR_MAX_PPS_PER_AGENT !== undefined ? { maxPpsPerAgent: s.MESHPROBE_MONITOR_MAX_PPS_PER_AGENT } : {}),
      ...(s.MESHPROBE_MONITOR_MINUTE_RETENTION !== undefined ? { minuteRetentionMs: s.MESHPROBE_MONITOR_MINUTE_RETENTION } : {}),
      ...(s.MESHPROBE_MONITOR_HOUR_RETENTION !== undefined ? { hourRetentionMs: s.MESHPROBE_MONITOR_HOUR_RETENTION } : {}),
    },
    ...(streamsPerSubject !== undefined ? { streamsPerSubject } : {}),
    ...(streamsPerIp !== undefined ? { streamsPerIp } : {}),
    ...(writeTimeoutS !== undefined ? { writeTimeoutMs: writeTimeoutS * 1000 } : {}),
    allowAnonymous: s.MESHPROBE_ALLOW_ANONYMOUS,
    policy,
    // Host/Origin guard of /v1/* (DNS rebinding, cross-site requests), as /mcp has.
    allowedHosts: s.MESHPROBE_ALLOWED_HOSTS,
    allowedOrigins: s.MESHPROBE_ALLOWED_ORIGINS,
    ...(publicUrl ? { publicUrl } : {}),
    ...(rangesText ? { agentRanges: parseAgentRanges(rangesText) } : {}),
    web: webFrom(s, loopback),
    control: {
      ...(ipRatePerS !== undefined ? { ipRatePerS } : {}),
      ...(subjectRatePerS !== undefined ? { subjectRatePerS } : {}),
      ...(serviceRatePerS !== undefined ? { serviceRatePerS } : {}),
      ...(agentPpsBudget !== undefined ? { agentPpsBudget } : {}),
      ...(maxAgents !== undefined ? { maxAgents } : {}),
      ...(s.MESHPROBE_TOKEN_ISSUER ? { issuer: s.MESHPROBE_TOKEN_ISSUER } : {}),
      ...(s.MESHPROBE_TOKEN_AUDIENCE ? { audience: s.MESHPROBE_TOKEN_AUDIENCE } : {}),
    },
  };
}

/** The web UI's sign-in settings (issue 18, docs/web.md): guest on loopback by default, OIDC and GitHub when configured. */
function webFrom(s: Settings<typeof launcherSettings>, loopback: boolean): WebOptions {
  if (s.MESHPROBE_OIDC_ISSUER && !s.MESHPROBE_OIDC_CLIENT_ID) throw new Error('MESHPROBE_OIDC_ISSUER needs MESHPROBE_OIDC_CLIENT_ID');
  if (s.MESHPROBE_GITHUB_CLIENT_ID && !s.MESHPROBE_GITHUB_CLIENT_SECRET) throw new Error('MESHPROBE_GITHUB_CLIENT_ID needs MESHPROBE_GITHUB_CLIENT_SECRET');
  return {
    guest: s.MESHPROBE_GUEST ?? loopback,
    ...(s.MESHPROBE_OIDC_ISSUER && s.MESHPROBE_OIDC_CLIENT_ID
      ? { oidc: { issuer: s.MESHPROBE_OIDC_ISSUER, clientId: s.MESHPROBE_OIDC_CLIENT_ID, ...(s.MESHPROBE_OIDC_CLIENT_SECRET ? { clientSecret: s.MESHPROBE_OIDC_CLIENT_SECRET } : {}) } }
      : {}),
    ...(s.MESHPROBE_GITHUB_CLIENT_ID && s.MESHPROBE_GITHUB_CLIENT_SECRET ? { github: { clientId: s.MESHPROBE_GITHUB_CLIENT_ID, clientSecret: s.MESHPROBE_GITHUB_CLIENT_SECRET } } : {}),
    ...(s.MESHPROBE_WEB_ALLOW ? { allow: s.MESHPROBE_WEB_ALLOW } : {}),
    ...(s.MESHPROBE_SHARE_TTL !== undefined ? { shareTtlMs: s.MESHPROBE_SHARE_TTL } : {}),
  };
}

// Exit explicitly, once stdout and stderr are drained: a socket that a peer left hanging (a Bot
// API call, a relay that stalls) would otherwise keep the process alive long after shutdown.
const code = await main();
await exitWhenDrained(code);
