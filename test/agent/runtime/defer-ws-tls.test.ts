import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';

const hook = fileURLToPath(new URL('../../../agent/runtime/defer-ws-tls.ts', import.meta.url));

// In a child process: the hook must be in place before `ws` is first loaded.
const child = `
import { once } from 'node:events';
import { createServer } from 'node:net';
import { deferWsTls } from ${JSON.stringify(hook)};
deferWsTls();
const { default: WebSocket } = await import('ws');
const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);
const idle = { tls: loaded('tls'), https: loaded('https') };
// A plain TCP server: the wss:// client's TLS handshake meets plain text and fails in tls.
const server = createServer((s) => s.end('HTTP/1.1 200 OK\\r\\n\\r\\n')).listen(0, '127.0.0.1');
await once(server, 'listening');
const ws = new WebSocket('wss://127.0.0.1:' + server.address().port + '/');
const err = await new Promise((resolve) => ws.on('error', resolve));
server.close();
console.log(JSON.stringify({ idle, dialled: { tls: loaded('tls') }, error: err.code + ' ' + err.message }));
`;

test('ws loads no TLS until a wss:// connection needs it, and then it works', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', child], { timeout: 30_000 });
  const r = JSON.parse(stdout) as { idle: { tls: boolean; https: boolean }; dialled: { tls: boolean }; error: string };
  assert.deepEqual(r.idle, { tls: false, https: false });
  assert.equal(r.dialled.tls, true);
  // The error comes from OpenSSL's handshake, so the real tls.connect ran behind the stand-in.
  assert.match(r.error, /^EPROTO .*(SSL|TLS|wrong version)/i, r.error);
});
