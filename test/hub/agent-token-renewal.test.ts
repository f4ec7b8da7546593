// Item 12 of issue 11 with separate processes: a hub (bin/start.ts) renews a remote agent's
// (agent/main.ts) token over its connection before it expires, the agent writes each renewal to
// its --token-file, and revocation still cuts it off. Tokens live a few seconds here; the hub
// renews once a third of a token's lifetime is left, so no test-only setting is needed.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

/** Longer than the hub's 10 s heartbeat, which closes connections whose token has expired. */
const PAST_A_HEARTBEAT_MS = 12_000;

let dataDir: string;
let hub: NodeProcess | undefined;
let hubUrl: string;
let admin: string;
const agents: NodeProcess[] = [];

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'mp-renew-'));
  hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_ALLOW_ANONYMOUS: '', MESHPROBE_POLICY: '' });
  hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
});

after(async () => {
  await Promise.all(agents.map((a) => a.stop('SIGKILL')));
  await hub?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function mint(sub: string, ttl: string): Promise<string> {
  const res = await fetch(hubUrl + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub, scope: 'agent', ttl }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { token: string }).token;
}

function startAgent(name: string, tokenFile: string): NodeProcess {
  const p = startNode('agent/main.ts', ['--hub', hubUrl, '--name', name, '--token-file', tokenFile]);
  agents.push(p);
  return p;
}

async function whoami(token: string): Promise<number> {
  return (await fetch(hubUrl + '/v1/whoami', { headers: { authorization: `Bearer ${token}` } })).status;
}

async function agentNames(): Promise<string[]> {
  const res = await fetch(hubUrl + '/v1/agents', { headers: { authorization: `Bearer ${admin}` } });
  return ((await res.json()) as { agents: Array<{ name: string }> }).agents.map((a) => a.name);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('agents on 8-second tokens keep working past their expiry: the hub renews them, --token-file holds the renewal (an inline token is renewed in memory), a restart uses it', async (t) => {
  const file = join(dataDir, 'ren1.token');
  const original = await mint('agent:ren1', '8');
  await writeFile(file, original + '\n', { mode: 0o600 });
  const first = decodeJwt(original);
  const agent = startAgent('ren1', file);
  // Alongside, an agent whose token is given inline: renewed in memory only.
  const inline = startNode('agent/main.ts', ['--hub', hubUrl, '--name', 'ren2', '--token', await mint('agent:ren2', '8')]);
  agents.push(inline);
  await inline.waitFor(/connected to/);
  await agent.waitFor(/connected to/);
  const connectedAt = Date.now();
  // Past the original expiry and past a hub heartbeat, which would close an expired connection.
  while (Date.now() < Math.max(first.exp! * 1000 + 2000, connectedAt + PAST_A_HEARTBEAT_MS)) {
    assert.equal(agent.child.exitCode, null, `the agent is still running; output:\n${agent.lines.join('\n')}`);
    assert.equal(inline.child.exitCode, null, `the inline-token agent is still running; output:\n${inline.lines.join('\n')}`);
    await sleep(250);
  }
  assert.equal(agent.child.exitCode, null, `the agent is still running; output:\n${agent.lines.join('\n')}`);
  assert.ok((await agentNames()).includes('ren1'), 'still registered at the hub');
  assert.equal(await whoami(original), 401, 'the original token has expired');

  const renewed = (await readFile(file, 'utf8')).trim();
  assert.notEqual(renewed, original, 'the token file was rewritten');
  const claims = decodeJwt(renewed);
  assert.ok(claims.exp! > first.exp!, `a later exp: ${claims.exp} > ${first.exp}`);
  assert.equal(claims.sub, 'agent:ren1');
  assert.equal(claims.jti, first.jti, 'a renewal keeps the jti, so revoking it revokes every renewal');
  assert.equal(await whoami(renewed), 200, 'the renewal verifies at the hub');
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.ok(agent.lines.some((l) => /renewed the token \(until .*\); written to /.test(l)), agent.lines.join('\n'));
  assert.equal(inline.child.exitCode, null, `the inline-token agent is still running; output:\n${inline.lines.join('\n')}`);
  assert.ok(inline.lines.some((l) => /renewed the token \(until .*\); kept in memory only/.test(l)), inline.lines.join('\n'));
  assert.deepEqual((await agentNames()).filter((n) => n.startsWith('ren')).sort(), ['ren1', 'ren2']);

  const skip = rawSkipReason();
  if (skip) t.diagnostic(`measurement part skipped: ${skip}`);
  else {
    const cli = await fetch(hubUrl + '/v1/cli', { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: 'ping -s ren1 -c 1 127.0.0.1' });
    const text = await cli.text();
    assert.equal(cli.status, 200, text);
    assert.match(text, /1 packets transmitted, 1 received/);
  }

  // A restart reads the file: only the renewed token can connect now.
  assert.equal(await agent.stop(), 0);
  const again = startAgent('ren1', file);
  await again.waitFor(/connected to/);
  assert.equal(await whoami(original), 401);
  await again.stop();
});

test('the start banner attaches a remote agent with a 30-day token in a --token-file', () => {
  const banner = hub!.lines.join('\n');
  assert.match(banner, /meshprobe token create --data-dir \S+ --sub agent:NAME --scope agent --ttl 30d > agent\.token/);
  assert.match(banner, /meshprobe agent --hub http:\/\/127\.0\.0\.1:\d+ --name NAME --token-file agent\.token/);
});

test('a revoked agent token is cut off and never renewed', async () => {
  const file = join(dataDir, 'rev1.token');
  const token = await mint('agent:rev1', '9');
  await writeFile(file, token + '\n', { mode: 0o600 });
  const agent = startAgent('rev1', file);
  await agent.waitFor(/connected to/);
  const res = await fetch(`${hubUrl}/v1/tokens/${decodeJwt(token).jti}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  assert.equal(res.status, 200, await res.text());
  // The hub closes the connection (at its renewal or its next heartbeat, whichever comes first)
  // and the agent exits: a retry cannot fix a revoked token.
  await agent.waitFor(/the agent token was revoked/, 30_000);
  assert.equal(await agent.exited, 1);
  assert.equal((await readFile(file, 'utf8')).trim(), token, 'no renewal was written');
  assert.ok(!agent.lines.some((l) => /renewed the token/.test(l)), agent.lines.join('\n'));
  assert.ok(!(await agentNames()).includes('rev1'));
});
