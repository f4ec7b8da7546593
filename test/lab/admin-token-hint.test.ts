// The embedded hub names its admin token file in a 401 to users on its own machine only. Run
// in the lab: the hub in the target namespace listens on 0.0.0.0; a client on its loopback
// is told the path, a client in another namespace (198.18.0.1, a real remote peer) is not,
// neither directly at /v1 nor through /mcp (whose revocation check and tool calls reach the
// hub from loopback on the remote client's behalf), nor through a local reverse proxy.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenService } from '../../hub/auth/token-service.ts';
import { node24, root } from '../helpers/launcher-process.ts';
import { labUnavailable, withLab, type Lab } from './lab.ts';

const skip = labUnavailable();
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

/** curl from inside `ns`: the status and the body. */
async function curl(lab: Lab, ns: string, url: string, headers: string[], body?: string): Promise<{ status: number; body: string }> {
  const args = ['curl', '-s', '-m', '20', '-o', '-', '-w', '\n%{http_code}', ...headers.flatMap((h) => ['-H', h]), ...(body ? ['-d', body] : []), url];
  const r = await lab.exec(ns, args, { timeoutMs: 30_000 });
  const i = r.stdout.lastIndexOf('\n');
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

test('a 401 names the admin token file to a client on the hub machine, never to a remote one, at /v1 and /mcp', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mp-hint-'));
  try {
    await withLab({ routers: 0 }, async (lab) => {
      const hubNs = lab.target.ns;
      const proc = lab.spawn(hubNs, [
        'env', '-u', 'MESHPROBE_ALLOW_ANONYMOUS', '-u', 'MESHPROBE_HUB_TOKEN',
        'MESHPROBE_LISTEN=0.0.0.0:7464', `MESHPROBE_DATA_DIR=${dir}`, `MESHPROBE_MCP_ALLOWED_HOSTS=${lab.target.v4}`,
        node24, '--disable-warning=ExperimentalWarning', join(root, 'bin', 'start.ts'),
      ]);
      let out = '';
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      await new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`the hub did not start: ${out}`)), 30_000);
        proc.stdout!.on('data', () => /listening on/.test(out) && (clearTimeout(timer), ok()));
        proc.once('exit', (code) => fail(new Error(`the hub exited (${code})`)));
      });
      const file = join(dir, 'admin.token');
      // A token the hub signed and then revoked: the MCP endpoint learns that from the hub.
      const tokens = await TokenService.open(dir);
      const issued = await tokens.issue({ sub: 'telegram:5', scopes: ['measure'] });
      await tokens.revoke(issued.jti, issued.exp);
      const auth = `Authorization: Bearer ${issued.token}`;
      const mcpHeaders = [auth, 'Content-Type: application/json', 'Accept: application/json, text/event-stream'];

      const local = { v1: `http://127.0.0.1:7464/v1/version`, mcp: `http://127.0.0.1:7464/mcp` };
      const remote = { v1: `http://${lab.target.v4}:7464/v1/version`, mcp: `http://${lab.target.v4}:7464/mcp` };

      const v1Local = await curl(lab, hubNs, local.v1, [auth]);
      assert.equal(v1Local.status, 401);
      assert.match(v1Local.body, new RegExp(`revoked; on this machine an admin token is in ${file}`));
      const mcpLocal = await curl(lab, hubNs, local.mcp, mcpHeaders, INIT);
      assert.equal(mcpLocal.status, 401);
      assert.ok(mcpLocal.body.includes(`on this machine an admin token is in ${file}`), mcpLocal.body);

      for (const [what, r] of [
        ['/v1 from 198.18.0.1', await curl(lab, lab.client.ns, remote.v1, [auth])],
        ['/mcp from 198.18.0.1', await curl(lab, lab.client.ns, remote.mcp, mcpHeaders, INIT)],
        ['/mcp without a token from 198.18.0.1', await curl(lab, lab.client.ns, remote.mcp, mcpHeaders.slice(1), INIT)],
        ['/v1 relayed by a local proxy', await curl(lab, hubNs, local.v1, [auth, 'X-Forwarded-For: 203.0.113.9'])],
      ] as const) {
        assert.equal(r.status, 401, `${what}: ${r.body}`);
        assert.ok(!r.body.includes(dir) && !r.body.includes('admin token is in'), `${what} must not see the path: ${r.body}`);
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
