// One subject check for every way a subject enters the hub (POST /v1/tokens, the token service
// behind `meshprobe token create`, X-Meshprobe-On-Behalf-Of): white space, control and invisible
// characters are refused, never trimmed into a reserved name such as `admin` or `agent:lax1`.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { withTestHub } from '../../helpers/test-hub.ts';

/** Attack strings: each would become admin or agent:lax1 if trimmed or cleaned up. */
const ATTACKS: [string, RegExp][] = [
  [' agent:lax1', /white space \(U\+0020\)/],
  ['admin ', /white space \(U\+0020\)/],
  ['\tadmin', /control or invisible character \(U\+0009\)/],
  ['admin\n', /U\+000A/],
  ['admin\r', /U\+000D/],
  ['admin\u0000', /control or invisible character \(U\+0000\)/],
  ['\u00a0admin', /white space \(U\+00A0\)/],
  ['admin\u2003', /white space \(U\+2003\)/],
  ['admin\u3000', /white space \(U\+3000\)/],
  ['\u2028admin', /white space \(U\+2028\)/],
  ['ad\u200bmin', /invisible character \(U\+200B\)/],
  ['admin\u200d', /invisible character \(U\+200D\)/],
  ['\ufeffadmin', /U\+FEFF/],
  ['\u202eadmin', /invisible character \(U\+202E\)/],
  ['ad\u00admin', /invisible character \(U\+00AD\)/],
  ['agent:\u2060lax1', /invisible character \(U\+2060\)/],
  ['\uff41\uff44\uff4d\uff49\uff4e', /not in Unicode normal form NFKC/],
  ['', /sub is empty/],
];

test('POST /v1/tokens from a token:create holder refuses every attack string with a one-line 400 naming the rule', async () => {
  await withTestHub({}, async (t) => {
    const minter = await t.token(['token:create', 'measure'], 'service:telegram');
    for (const [sub, rule] of ATTACKS) {
      const res = await fetch(t.url + '/v1/tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${minter}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub, scope: 'measure' }),
      });
      const body = (await res.json()) as { error?: { message: string }; sub?: string };
      assert.equal(res.status, 400, `${JSON.stringify(sub)} got ${res.status} ${JSON.stringify(body)}`);
      assert.match(body.error!.message, rule, JSON.stringify(sub));
      assert.match(body.error!.message, /^sub /, 'names the field');
      assert.ok(!body.error!.message.includes('\n'), 'one line');
    }
    // Even an admin cannot mint them: they are not names, whoever asks.
    const admin = await t.token(['admin']);
    for (const [sub] of ATTACKS) {
      const res = await fetch(t.url + '/v1/tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub, scope: 'measure' }),
      });
      await res.body?.cancel();
      assert.equal(res.status, 400, JSON.stringify(sub));
    }
  });
});

test('reserved subjects are reserved in any letter case; a plain user subject is minted as given', async () => {
  await withTestHub({}, async (t) => {
    const minter = await t.token(['token:create', 'measure'], 'service:telegram');
    const mint = (sub: string) =>
      fetch(t.url + '/v1/tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${minter}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sub, scope: 'measure' }),
      });
    for (const sub of ['admin', 'Admin', 'AGENT:lax1', 'agent:lax1', 'anonymous', 'service:email']) {
      const res = await mint(sub);
      const body = (await res.json()) as { error: { message: string } };
      assert.equal(res.status, 403, sub);
      assert.match(body.error.message, /^only an admin may mint tokens for .* \(admin, anonymous, agent:\* and service:\* are reserved\)$/);
    }
    const ok = await mint('telegram:42');
    assert.equal(ok.status, 201);
    assert.equal(((await ok.json()) as { sub: string }).sub, 'telegram:42');
  });
});

test('the token service (meshprobe token create offline) refuses the same strings', async () => {
  await withTestHub({}, async (t) => {
    for (const [sub, rule] of ATTACKS) {
      await assert.rejects(t.hub.tokens.issue({ sub, scopes: ['measure'] }), (err: Error) => rule.test(err.message) && !err.message.includes('\n'), JSON.stringify(sub));
    }
  });
});

/** A raw HTTP/1.1 request, so header bytes reach the hub exactly as written (latin1). */
async function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  await once(socket, 'connect');
  const lines = [`GET ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  // write, not end: a half-closed socket may be dropped before the async handler answers.
  socket.write(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  let text = '';
  socket.setEncoding('latin1').on('data', (d: string) => (text += d));
  await once(socket, 'close');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

test('X-Meshprobe-On-Behalf-Of goes through the same check: invisible and non-ASCII white space are refused (400, one line)', async () => {
  await withTestHub({}, async (t) => {
    const service = await t.token(['measure', 'delegate'], 'service:bot');
    for (const [subject, rule] of [
      ['telegram:1\u00a0', /white space \(U\+00A0\)/],
      ['email:ad\u00admin@example.org', /invisible character \(U\+00AD\)/],
      ['email:a\u0085@example.org', /U\+0085/],
    ] as const) {
      const r = await rawGet(t.url + '/v1/whoami', { Authorization: `Bearer ${service}`, 'X-Meshprobe-On-Behalf-Of': subject });
      assert.equal(r.status, 400, JSON.stringify(subject));
      const message = (JSON.parse(r.body) as { error: { message: string } }).error.message;
      assert.match(message, rule, JSON.stringify(subject));
      assert.match(message, /^X-Meshprobe-On-Behalf-Of /);
    }
    const good = await rawGet(t.url + '/v1/whoami', { Authorization: `Bearer ${service}`, 'X-Meshprobe-On-Behalf-Of': 'telegram:1' });
    assert.equal(good.status, 200);
  });
});
