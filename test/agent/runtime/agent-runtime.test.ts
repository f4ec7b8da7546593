// The agent runtime against a minimal hub stand-in on loopback (real WebSockets): flow control
// when the hub stops reading, reconnection, and the launcher's input checks.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { runAgentCommand } from '../../../agent/runtime/agent-command.ts';
import { agentConnectUrl, AgentRuntime } from '../../../agent/runtime/agent-runtime.ts';
import { readTokenFile, writeTokenFile } from '../../../agent/runtime/token-file.ts';
import { decodeAgentMessage } from '../../../shared/wire/agent-protocol.ts';
import { AgentCloseCode, encodeMessage } from '../../../shared/wire/agent-protocol-constants.ts';
import { FloodAgent } from '../../../bench/flood-agent.ts';

const resolver = { resolve: async (h: string) => ({ address: h, family: 4 as const }) };

async function standIn(onHello: (ws: WebSocket) => void): Promise<{ url: string; wss: WebSocketServer; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.once('message', (data) => {
      const m = decodeAgentMessage(data.toString());
      assert.ok(m.ok && m.message.t === 'hello');
      ws.send(encodeMessage({ t: 'welcome', v: 1, heartbeatMs: 10_000, policy: 'lan' }));
      onHello(ws);
    });
  });
  return {
    url: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    wss,
    close: () => new Promise<void>((ok) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => ok());
    }),
  };
}

test('a hub that stops reading makes the agent cancel the run rather than buffer without bound', async () => {
  const hub = await standIn((ws) => {
    ws.send(encodeMessage({ t: 'run', id: 1, spec: { type: 'ping', targets: Array.from({ length: 20 }, (_, i) => `127.0.0.${i + 1}`), from: [], count: 10_000 }, policy: 'lan' }));
    // Stop reading: frames pile up in the kernel, then in the agent's socket buffer.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  });
  let emitted = 0;
  const rt = new AgentRuntime({ hub: hub.url, token: 't', agent: new FloodAgent('flood1', 0), resolver, maxBufferedBytes: 256 * 1024, onEvent: () => emitted++ });
  rt.start();
  try {
    let sawRun = false;
    for (let i = 0; i < 400; i++) {
      if (rt.running > 0) sawRun = true;
      if (sawRun && rt.running === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(sawRun);
    assert.equal(rt.running, 0, 'the run was cancelled');
    assert.ok(emitted < 200_000, `stopped early (${emitted} of 200,000 events)`);
    const after = emitted;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(emitted, after, 'no more events after the cancel');
  } finally {
    await rt.stop();
    await hub.close();
  }
});

test('going away (1001) makes the agent reconnect; an unauthorized close (4401) stops it for good', async () => {
  let connections = 0;
  const hub = await standIn((ws) => {
    connections++;
    if (connections === 1) ws.close(AgentCloseCode.goingAway, 'hub restarting');
    else if (connections === 2) ws.close(AgentCloseCode.unauthorized, 'the agent token was revoked');
  });
  const states: string[] = [];
  const rt = new AgentRuntime({ hub: hub.url, token: 't', agent: new FloodAgent('a1', 0), resolver, initialBackoffMs: 20, onState: (s, d) => states.push(`${s}: ${d}`) });
  rt.start();
  try {
    for (let i = 0; i < 200 && !states.some((s) => s.startsWith('fatal')); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(connections, 2, 'reconnected once after 1001');
    assert.match(states.at(-1)!, /^fatal: the hub closed the connection: the agent token was revoked/);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connections, 2, 'no reconnect after 4401');
  } finally {
    await rt.stop();
    await hub.close();
  }
});

test('the hub URL becomes the agents endpoint; bad URLs and missing settings are one-line refusals', async () => {
  assert.equal(agentConnectUrl('http://127.0.0.1:7464'), 'ws://127.0.0.1:7464/v1/agents/connect');
  assert.equal(agentConnectUrl('https://hub.example.net/some/path'), 'wss://hub.example.net/v1/agents/connect');
  assert.throws(() => agentConnectUrl('ftp://x'), /use http, https, ws or wss/);
  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const err: string[] = [];
    const code = await runAgentCommand(argv, env, { stdout: () => {}, stderr: (t) => void err.push(t) });
    return { code, first: err.join('').split('\n')[0] };
  };
  assert.deepEqual(await run([]), { code: 2, first: 'meshprobe agent: give the hub URL with --hub or MESHPROBE_HUB' });
  assert.deepEqual(await run(['--hub', 'http://127.0.0.1:1']), { code: 2, first: 'meshprobe agent: give the agent name with --name or MESHPROBE_AGENT_NAME' });
  assert.match((await run([], { MESHPROBE_HUB: 'http://127.0.0.1:1', MESHPROBE_AGENT_NAME: 'x' })).first!, /give an agent token/);
  const base = ['--hub', 'http://127.0.0.1:1', '--name', 'x', '--token', 't'];
  assert.match((await run([...base, '--policy', 'open'])).first!, /--policy must be public or lan, not open/);
  assert.match((await run([...base, '--allow', '10.0.0.0/33'])).first!, /--allow: 10\.0\.0\.0\/33 is not a CIDR prefix/);
  assert.match((await run([...base, '--lat', '91'])).first!, /--lat must be a number from -90 to 90/);
  assert.match((await run([...base, '--bogus'])).first!, /Unknown option '--bogus'/);
  assert.deepEqual(await run([...base, '--metrics-listen', '127.0.0.1:70000']), { code: 2, first: 'meshprobe agent: --metrics-listen: port 70000 is above 65535' });
  // A port in use is a one-line refusal, not a crash: hold one with a real listener.
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  const busy = `127.0.0.1:${(holder.address() as AddressInfo).port}`;
  try {
    assert.deepEqual(await run([...base, '--metrics-listen', busy]), { code: 2, first: `meshprobe agent: cannot serve metrics on ${busy}: the address is in use` });
  } finally {
    holder.close();
  }
});

test('a renewed token from the hub is used for the next dial and handed to onToken; one for another subject, expiring earlier, or not a JWT is refused', async () => {
  const key = new TextEncoder().encode('a test key, the agent does not verify signatures');
  const jwt = (sub: string, exp: number) => new SignJWT({ scope: 'agent' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime(exp).sign(key);
  const now = Math.floor(Date.now() / 1000);
  const original = await jwt('agent:r1', now + 60);
  const renewed = await jwt('agent:r1', now + 120);
  const frames = [
    { t: 'token', token: await jwt('agent:other', now + 500) },
    { t: 'token', token: await jwt('agent:r1', now + 30) },
    { t: 'token', token: 'not-a-jwt' },
    { t: 'token', token: renewed },
  ];
  const auth: string[] = [];
  const hub = await standIn((ws) => {
    for (const f of frames) ws.send(JSON.stringify(f));
    // Then a reconnect: the next dial must carry the renewed token.
    if (auth.length === 1) setTimeout(() => ws.close(AgentCloseCode.goingAway, 'hub restarting'), 50);
  });
  hub.wss.on('headers', (_h, req) => void auth.push(req.headers.authorization ?? ''));
  const stored: { token: string; exp: number }[] = [];
  const logs: string[] = [];
  const rt = new AgentRuntime({ hub: hub.url, token: original, agent: new FloodAgent('r1', 0), resolver, initialBackoffMs: 20, log: (l) => logs.push(l), onToken: (token, exp) => stored.push({ token, exp }) });
  rt.start();
  try {
    for (let i = 0; i < 300 && auth.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(auth, [`Bearer ${original}`, `Bearer ${renewed}`]);
    assert.equal(rt.token, renewed);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(stored.map((s) => s.token), [renewed], 'the second connection repeats the frames: the same token again is no renewal');
    assert.equal(stored[0]!.exp, now + 120);
    assert.ok(logs.some((l) => /renewed token for agent:other, not agent:r1/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /expires no later than the current one/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /bad frame at token: token: not a compact JWT/.test(l)), logs.join('\n'));
  } finally {
    await rt.stop();
    await hub.close();
  }
});

test('--token-file: read at start, written atomically with mode 0600; one token source at a time', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-token-file-'));
  try {
    const file = join(dir, 'agent.token');
    await writeTokenFile(file, 'a.b.c');
    assert.equal(await readFile(file, 'utf8'), 'a.b.c\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await writeTokenFile(file, 'd.e.f');
    assert.equal(await readTokenFile(file), 'd.e.f');
    assert.deepEqual((await readdir(dir)).sort(), ['agent.token'], 'no temporary file left behind');
    await assert.rejects(readTokenFile(join(dir, 'missing')), /^Error: cannot read the token file .*missing: no such file$/);
    await writeFile(join(dir, 'empty'), '\n');
    await assert.rejects(readTokenFile(join(dir, 'empty')), /the token file .*empty is empty/);
    await assert.rejects(writeTokenFile(join(dir, 'no-such-dir', 'x'), 't'), /ENOENT/);

    const run = async (argv: string[], env: Record<string, string> = {}) => {
      const err: string[] = [];
      const code = await runAgentCommand(['--hub', 'http://127.0.0.1:1', '--name', 'x', ...argv], env, { stdout: () => {}, stderr: (t) => void err.push(t) });
      return { code, first: err.join('').split('\n')[0] };
    };
    assert.deepEqual(await run(['--token', 't', '--token-file', file]), { code: 2, first: 'meshprobe agent: give either --token or --token-file, not both' });
    assert.deepEqual(await run([], { MESHPROBE_AGENT_TOKEN: 't', MESHPROBE_AGENT_TOKEN_FILE: file }), { code: 2, first: 'meshprobe agent: MESHPROBE_AGENT_TOKEN and MESHPROBE_AGENT_TOKEN_FILE are both set; keep one' });
    assert.deepEqual(await run(['--token-file', join(dir, 'missing')]), { code: 2, first: `meshprobe agent: cannot read the token file ${join(dir, 'missing')}: no such file` });
    // A flag wins over the other variable: --token with MESHPROBE_AGENT_TOKEN_FILE set is fine.
    assert.match((await run(['--token', 't', '--policy', 'open'], { MESHPROBE_AGENT_TOKEN_FILE: join(dir, 'missing') })).first!, /--policy must be public or lan/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
