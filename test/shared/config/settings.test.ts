/**
 * The settings schema (shared/config/settings.ts) against its documentation and its use: the
 * README's settings tables and wrangler.toml say what the schema says, each process's schema
 * reads its variables with their defaults and one-line errors, and no module below an edge
 * reads the environment.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  cliSettings,
  emailWorkerSettings,
  launcherSettings,
  mcpEndpointSettings,
  mcpServerSettings,
  readSettings,
  remoteAgentSettings,
  smtpSettings,
  telegramSettings,
  VARIABLES,
  WORKER_VARIABLES,
  type Setting,
} from '../../../shared/config/settings.ts';
import { ConfigError, ErrorCode } from '../../../shared/model/errors.ts';

const root = new URL('../../../', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Row {
  names: string[];
  default: string;
  meaning: string;
}

/** The rows of the first table after `from` (up to the next heading of `until`). */
function tableRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^\| (`[A-Z][A-Z0-9_]*`(?:, `_[A-Z0-9_]+`)*) \| (.*?) \| (.*) \|$/.exec(line);
    if (!m) continue;
    const first = /`([A-Z][A-Z0-9_]*)`/.exec(m[1]!)![1]!;
    // `MESHPROBE_AGENT_COUNTRY`, `_CITY` …: the suffixes share the first name's prefix.
    const prefix = first.slice(0, first.lastIndexOf('_'));
    const names = [...m[1]!.matchAll(/`([A-Z_][A-Z0-9_]*)`/g)].map((x) => (x[1]!.startsWith('_') ? prefix + x[1]! : x[1]!));
    rows.push({ names, default: m[2]!, meaning: m[3]! });
  }
  return rows;
}

const settingsSection = readme.slice(readme.indexOf('## Settings'), readme.indexOf('\n## ', readme.indexOf('## Settings') + 1));
const workerStart = settingsSection.indexOf('### Email Worker');
const nodeRows = tableRows(settingsSection.slice(0, workerStart));
const workerRows = tableRows(settingsSection.slice(workerStart));

function checkTable(rows: Row[], variables: Record<string, Setting>, where: string): void {
  const seen = new Set<string>();
  for (const row of rows) {
    for (const name of row.names) {
      const v = variables[name];
      assert.ok(v, `${where}: ${name} has a row in the README but is not in the schema`);
      seen.add(name);
      assert.equal(row.default, v.default, `${where}: the README's default of ${name}`);
      assert.equal(row.meaning, v.description, `${where}: the README's meaning of ${name}`);
    }
  }
  for (const name of Object.keys(variables)) assert.ok(seen.has(name), `${where}: ${name} is in the schema but not in the README table`);
}

test('README settings table = the schema of the Node processes (names, defaults, meanings)', () => {
  assert.ok(nodeRows.length > 40, 'the table was found');
  checkTable(nodeRows, VARIABLES, 'settings');
});

test("README's Email Worker table = the Worker's schema", () => {
  assert.ok(workerRows.length > 5, 'the table was found');
  checkTable(workerRows, WORKER_VARIABLES, 'Email Worker');
});

test("wrangler.toml's [vars] (set or commented) = the Worker's schema; a commented number is its default", () => {
  const toml = readFileSync(join(root, 'wrangler.toml'), 'utf8');
  const vars = toml.slice(toml.indexOf('[vars]'));
  const named = new Map([...vars.matchAll(/^#? ?([A-Z][A-Z0-9_]*) = "([^"]*)"/gm)].map((m) => [m[1]!, m[2]!]));
  // HUB_TOKEN is a secret: wrangler.toml names it in the `wrangler secret put` line instead.
  assert.match(vars, /wrangler secret put HUB_TOKEN/);
  for (const name of Object.keys(WORKER_VARIABLES)) if (name !== 'HUB_TOKEN') assert.ok(named.has(name), `${name} is in wrangler.toml`);
  for (const [name, value] of named) {
    const v = WORKER_VARIABLES[name as keyof typeof WORKER_VARIABLES];
    assert.ok(v, `wrangler.toml's ${name} is in the schema`);
    if (/^`\d+`$/.test(v.default)) assert.equal(`\`${value}\``, v.default, `wrangler.toml's ${name} shows its default`);
  }
});

test('every variable a process schema reads is in the catalogue (so in the README)', () => {
  const schemas = { launcherSettings, mcpEndpointSettings, mcpServerSettings, remoteAgentSettings, cliSettings };
  for (const [what, schema] of Object.entries(schemas)) {
    for (const name of Object.keys(schema.shape)) assert.ok(name in VARIABLES, `${what}: ${name}`);
  }
  for (const name of Object.keys(emailWorkerSettings.shape)) assert.ok(name in WORKER_VARIABLES, name);
});

test('defaults: an empty environment gives each process its defaults', () => {
  const launcher = readSettings(launcherSettings, {});
  assert.equal(launcher.MESHPROBE_LISTEN, undefined);
  assert.equal(launcher.MESHPROBE_POLICY, undefined);
  assert.equal(launcher.MESHPROBE_ALLOW_ANONYMOUS, false);
  assert.deepEqual(launcher.MESHPROBE_ALLOWED_HOSTS, []);
  assert.deepEqual(launcher.MESHPROBE_DNS_SERVERS, []);
  assert.equal(launcher.MESHPROBE_ICMP_MODE, 'auto');
  const mcp = readSettings(mcpEndpointSettings, {});
  assert.equal(mcp.MESHPROBE_MCP_MODE, 'stateless');
  assert.equal(mcp.MESHPROBE_MCP_TOKEN_CHECK_S, 5);
  assert.equal(readSettings(mcpServerSettings, {}).MESHPROBE_MCP_LISTEN, '127.0.0.1:7465');
  assert.equal(readSettings(telegramSettings, {}), undefined);
  assert.equal(readSettings(smtpSettings, {}), undefined);
  const worker = readSettings(emailWorkerSettings, {});
  assert.deepEqual(
    { ...worker },
    { HUB_URL: '', MAX_MESSAGE_BYTES: 1048576, ALLOW_FROM: [], TIME_BUDGET_SECONDS: 25, MAX_COUNT: 10, RATE_BURST: 5, RATE_REFILL_SECONDS: 60, FROM_NAME: 'meshprobe', REPLIES_PER_MINUTE: 20, REPLY_BYTES_PER_MINUTE: 1048576 },
  );
});

test('types: values are parsed, trimmed and split', () => {
  const s = readSettings(launcherSettings, {
    MESHPROBE_IP_RATE: ' 2.5 ',
    MESHPROBE_MAX_AGENTS: '3',
    MESHPROBE_POLICY: 'PUBLIC',
    MESHPROBE_ALLOW_ANONYMOUS: 'yes',
    MESHPROBE_ALLOWED_ORIGINS: ' https://a.example , ,https://b.example',
    MESHPROBE_ICMP_MODE: 'dgram',
  });
  assert.equal(s.MESHPROBE_IP_RATE, 2.5);
  assert.equal(s.MESHPROBE_MAX_AGENTS, 3);
  assert.equal(s.MESHPROBE_POLICY, 'public');
  assert.equal(s.MESHPROBE_ALLOW_ANONYMOUS, true);
  assert.deepEqual(s.MESHPROBE_ALLOWED_ORIGINS, ['https://a.example', 'https://b.example']);
  assert.equal(s.MESHPROBE_ICMP_MODE, 'dgram');
  assert.equal(readSettings(mcpEndpointSettings, { MESHPROBE_MCP_TOKEN_CHECK_S: 'off' }).MESHPROBE_MCP_TOKEN_CHECK_S, null);
  // Wrangler passes an unquoted number as a number; the Worker takes it as its text would be.
  assert.equal(readSettings(emailWorkerSettings, { MAX_COUNT: 3 as unknown as string, RATE_BURST: 'lots' }).MAX_COUNT, 3);
  assert.equal(readSettings(emailWorkerSettings, { RATE_BURST: 'lots' }).RATE_BURST, 5);
});

test('errors: one line naming the variable and what was expected, as a ConfigError', () => {
  const cases: [typeof launcherSettings | typeof mcpEndpointSettings | typeof smtpSettings, Record<string, string>, string][] = [
    [launcherSettings, { MESHPROBE_IP_RATE: 'fast' }, 'MESHPROBE_IP_RATE must be a number ≥ 0 (0 = off), not fast'],
    [launcherSettings, { MESHPROBE_MAX_AGENTS: '0' }, 'MESHPROBE_MAX_AGENTS must be a whole number ≥ 1, not 0'],
    [launcherSettings, { MESHPROBE_STREAM_WRITE_TIMEOUT: '1.5' }, 'MESHPROBE_STREAM_WRITE_TIMEOUT must be a whole number ≥ 1, not 1.5'],
    [launcherSettings, { MESHPROBE_POLICY: 'open' }, 'MESHPROBE_POLICY must be public or lan, not open'],
    [mcpEndpointSettings, { MESHPROBE_MCP_MODE: 'sticky' }, "MESHPROBE_MCP_MODE must be stateless or stateful, not 'sticky'"],
    [mcpEndpointSettings, { MESHPROBE_JWKS_URL: 'ftp://x' }, "MESHPROBE_JWKS_URL must be an http(s) URL, not 'ftp://x'"],
    [mcpEndpointSettings, { MESHPROBE_MCP_SESSIONS_PER_USER: '0' }, "MESHPROBE_MCP_SESSIONS_PER_USER must be a whole number ≥ 1, not '0'"],
    [mcpEndpointSettings, { MESHPROBE_MCP_TOKEN_CHECK_S: '-1' }, "MESHPROBE_MCP_TOKEN_CHECK_S must be seconds ≥ 0 or off, not '-1'"],
    [smtpSettings, { MESHPROBE_SMTP_LISTEN: ':2525', MESHPROBE_EMAIL_MAX_BYTES: 'big' }, 'MESHPROBE_EMAIL_MAX_BYTES must be a whole number of bytes, got "big"'],
  ];
  for (const [schema, env, message] of cases) {
    assert.throws(() => readSettings(schema, env), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, ErrorCode.BadRequest);
      assert.equal(err.message, message);
      assert.equal(err.variable, Object.keys(env).at(-1));
      return true;
    });
  }
  // A front-end that is off is not looked at: its stray bad value stops nothing.
  assert.equal(readSettings(smtpSettings, { MESHPROBE_EMAIL_MAX_BYTES: 'big' }), undefined);
  // A schema error without a message of ours still names the variable.
  assert.throws(() => readSettings(launcherSettings, { MESHPROBE_IP_RATE: 5 as unknown as string }), /^ConfigError: MESHPROBE_IP_RATE: /);
});

test('the environment is read only at the edges (each process main), through the schema', () => {
  const edges = new Set(['bin/start.ts', 'bin/cli.ts', 'mcp/main.ts', 'bots/telegram/main.ts', 'bots/email/main.ts', 'agent/main.ts']);
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir))) {
      const rel = `${dir}/${entry}`;
      if (entry === 'node_modules' || entry === 'native') continue;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (rel.endsWith('.ts') && !edges.has(rel) && /process\.env\b/.test(readFileSync(join(root, rel), 'utf8'))) offenders.push(rel);
    }
  };
  for (const dir of ['bin', 'hub', 'agent', 'mcp', 'bots', 'email-worker', 'shared']) walk(dir);
  assert.deepEqual(offenders, []);
});
