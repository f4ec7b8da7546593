// /v1/* with anonymous use on: a hostile web page must not drive a visitor's local hub. The
// hub applies /mcp's Host/Origin guard (shared/net/host-guard.ts): a foreign Origin or `null` is
// 403, a Host that is not an allowed name is 403 (DNS rebinding); curl-style requests without
// Origin keep working with any content type.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { withTestHub } from '../helpers/test-hub.ts';
import { ScriptedAgent } from '../helpers/scripted-agent.ts';

/** node:http, because fetch() will not let us set Host or Origin: null freely. */
function call(url: string, o: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end(o.body);
  });
}

/** The refusal: JSON for the JSON API, a text line for /v1/cli; one line either way. */
const message = (body: string): string => {
  if (body.startsWith('{')) return (JSON.parse(body) as { error: { message: string } }).error.message;
  assert.equal(body.split('\n').filter(Boolean).length, 1, body);
  return body.trim();
};

test('with anonymous use on, /v1 refuses a foreign Origin, Origin null and a foreign Host with 403 and one line', async () => {
  await withTestHub({ allowAnonymous: true, agents: [new ScriptedAgent({ name: 'a1' })] }, async (t) => {
    const port = new URL(t.url).port;
    const cli = (headers: Record<string, string>) => call(t.url + '/v1/cli', { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'ping -c 1 127.0.0.1' });

    const evil = await cli({ origin: 'http://evil.example' });
    assert.equal(evil.status, 403, 'a cross-site form post from another page');
    assert.equal(message(evil.body), "Origin 'http://evil.example' is not allowed here (cross-site request protection; see MESHPROBE_ALLOWED_ORIGINS)");

    const nul = await cli({ origin: 'null' });
    assert.equal(nul.status, 403, 'a sandboxed frame or file: page');
    assert.match(message(nul.body), /^Origin 'null' is not allowed here/);

    const rebound = await call(t.url + '/v1/version', { headers: { host: `evil.example:${port}` } });
    assert.equal(rebound.status, 403, 'DNS rebinding: the page name in Host');
    assert.equal(message(rebound.body), `Host 'evil.example:${port}' is not allowed here (DNS rebinding protection; see MESHPROBE_ALLOWED_HOSTS)`);
    const ipOrigin = await cli({ origin: 'http://203.0.113.5' });
    assert.equal(ipOrigin.status, 403, 'a page served from an address is still a foreign origin');
  });
});

test('curl-style requests without Origin, and pages of an allowed origin, still get through', async () => {
  await withTestHub({ allowAnonymous: true, agents: [new ScriptedAgent({ name: 'a1' })], allowedHosts: ['hub.example.net'], allowedOrigins: ['https://console.example.org'] }, async (t) => {
    const port = new URL(t.url).port;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
      const r = await call(t.url + '/v1/cli', { method: 'POST', headers: { 'content-type': type }, body: 'ping -c 1 127.0.0.1' });
      assert.equal(r.status, 200, `no Origin, ${type}: ${r.body}`);
    }
    for (const [host, origin] of [
      [`127.0.0.1:${port}`, `http://127.0.0.1:${port}`],
      [`localhost:${port}`, `http://localhost:${port}`],
      [`hub.example.net:${port}`, undefined],
      [`hub.example.net`, 'https://hub.example.net'],
      [`127.0.0.1:${port}`, 'https://console.example.org'],
      // A Host that is an address cannot be a rebinding attacker's name: LAN hubs keep working.
      [`10.1.2.3:${port}`, undefined],
      [`[2001:db8::5]:${port}`, undefined],
    ] as const) {
      const r = await call(t.url + '/v1/version', { headers: { host, ...(origin ? { origin } : {}) } });
      assert.equal(r.status, 200, `Host ${host} Origin ${origin}: ${r.body}`);
    }
    // Outside /v1 (health checks) nothing changes.
    assert.equal((await call(t.url + '/healthz', { headers: { host: 'anything.example' } })).status, 200);
  });
});
