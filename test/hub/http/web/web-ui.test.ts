// The web UI's server side through real HTTP on a real hub: the page and its headers, guest
// sign-in, the session cookie and its CSRF token, pasted tokens, personal tokens, sign-out,
// renewal, share links. The browser end of it is test/web/web-ui.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHub, type TestHub } from '../../../helpers/test-hub.ts';
import { ScriptedAgent } from '../../../helpers/scripted-agent.ts';

function cookieOf(r: Response): string {
  const set = r.headers.getSetCookie().find((c) => c.startsWith('mp_session='));
  assert.ok(set, 'a session cookie is set');
  return set.split(';')[0]!;
}

async function guestSession(t: TestHub): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(`${t.url}/auth/guest`, { method: 'POST', headers: { origin: t.url } });
  assert.equal(r.status, 200);
  const cookie = cookieOf(r);
  const s = (await (await fetch(`${t.url}/v1/session`, { headers: { cookie } })).json()) as { csrf: string; signedIn: boolean };
  assert.equal(s.signedIn, true);
  return { cookie, csrf: s.csrf };
}

test('the page: CSP without unsafe-inline, hashed assets compressed, under 150 KB brotli in all', async () => {
  const t = await startTestHub({});
  try {
    const r = await fetch(`${t.url}/`, { headers: { 'accept-encoding': 'br' } });
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /default-src 'none'/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    let total = Number(r.headers.get('content-length'));
    // fetch decodes the body; content-length is what travelled.
    const html = await r.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(assets.length, 2);
    for (const a of assets) {
      const x = await fetch(`${t.url}${a}`, { headers: { 'accept-encoding': 'br' } });
      assert.equal(x.status, 200);
      assert.equal(x.headers.get('content-encoding'), 'br');
      assert.match(x.headers.get('cache-control') ?? '', /immutable/);
      total += Number(x.headers.get('content-length'));
      await x.arrayBuffer();
    }
    assert.ok(total <= 150 * 1024, `first visit is ${total} bytes`);
    // A share link is the same page.
    assert.equal((await fetch(`${t.url}/s/AAAAAAAAAAAAAAAAAAAAAA`)).status, 200);
  } finally {
    await t.close();
  }
});

test('guest sign-in: off by default, needs the page as Origin, then a cookie that works with its CSRF token', async () => {
  const off = await startTestHub({});
  try {
    const r = await fetch(`${off.url}/auth/guest`, { method: 'POST', headers: { origin: off.url } });
    assert.equal(r.status, 403);
    assert.match(((await r.json()) as any).error.message, /MESHPROBE_GUEST/);
  } finally {
    await off.close();
  }
  const t = await startTestHub({ web: { guest: true }, agents: [new ScriptedAgent({ name: 'a1', replies: 2 })] });
  try {
    assert.equal((await fetch(`${t.url}/auth/guest`, { method: 'POST' })).status, 403, 'no Origin: not from the page');
    assert.equal((await fetch(`${t.url}/auth/guest`, { method: 'POST', headers: { origin: 'https://evil.example' } })).status, 403);
    const { cookie, csrf } = await guestSession(t);
    assert.equal((await fetch(`${t.url}/v1/agents`, { headers: { cookie } })).status, 200);
    const spec = JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], count: 2 });
    const noCsrf = await fetch(`${t.url}/v1/measurements`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: spec });
    assert.equal(noCsrf.status, 403);
    assert.match(((await noCsrf.json()) as any).error.message, /X-CSRF-Token/);
    const wrong = await fetch(`${t.url}/v1/measurements`, { method: 'POST', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, body: spec });
    assert.equal(wrong.status, 403);
    await wrong.arrayBuffer();
    const ok = await fetch(`${t.url}/v1/measurements`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: spec });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /"type":"done"/);
    const mon = await fetch(`${t.url}/v1/monitors`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ target: '127.0.0.1' }) });
    assert.equal(mon.status, 403);
    assert.match(((await mon.json()) as any).error.message, /guests may look at monitors/);
    const mint = await fetch(`${t.url}/v1/me/tokens`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ label: 'x' }) });
    assert.equal(mint.status, 403);
    await mint.arrayBuffer();
  } finally {
    await t.close();
  }
});

test('a pasted token becomes the cookie; personal tokens are minted, listed, used and revoked by their owner only', async () => {
  const t = await startTestHub({});
  try {
    const pasted = await t.token(['measure', 'read'], 'oidc:ann');
    const r = await fetch(`${t.url}/v1/session`, { method: 'POST', headers: { origin: t.url, 'content-type': 'application/json' }, body: JSON.stringify({ token: pasted }) });
    assert.equal(r.status, 200);
    const cookie = cookieOf(r);
    assert.match(r.headers.getSetCookie().join('\n'), /HttpOnly; SameSite=Lax/);
    const { csrf } = (await r.json()) as { csrf: string };
    const minted = await fetch(`${t.url}/v1/me/tokens`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ label: 'laptop CLI', days: 7 }) });
    assert.equal(minted.status, 201);
    const tok = (await minted.json()) as { token: string; jti: string; scope: string };
    assert.equal(tok.scope, 'measure read');
    const who = await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${tok.token}` } });
    assert.equal(((await who.json()) as any).sub, 'oidc:ann');
    const list = (await (await fetch(`${t.url}/v1/me/tokens`, { headers: { cookie } })).json()) as { tokens: { jti: string; label: string; state: string }[] };
    assert.deepEqual(list.tokens.map((x) => [x.label, x.state]), [['laptop CLI', 'active']]);
    // Someone else cannot revoke it, nor see that it exists.
    const bob = await t.token(['measure'], 'oidc:bob');
    const foreign = await fetch(`${t.url}/v1/me/tokens/${tok.jti}`, { method: 'DELETE', headers: { authorization: `Bearer ${bob}` } });
    assert.equal(foreign.status, 404);
    await foreign.arrayBuffer();
    const del = await fetch(`${t.url}/v1/me/tokens/${tok.jti}`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(del.status, 200);
    await del.arrayBuffer();
    assert.equal((await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${tok.token}` } })).status, 401);
    const after = (await (await fetch(`${t.url}/v1/me/tokens`, { headers: { cookie } })).json()) as { tokens: { state: string }[] };
    assert.equal(after.tokens[0]!.state, 'revoked');
    // Signing out of a pasted token clears the cookie but does not revoke the token.
    const out = await fetch(`${t.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    assert.match(out.headers.getSetCookie().join('\n'), /mp_session=; Path=\/; Max-Age=0/);
    assert.equal((await fetch(`${t.url}/v1/whoami`, { headers: { authorization: `Bearer ${pasted}` } })).status, 200);
  } finally {
    await t.close();
  }
});

test('a session is renewed past half-life, keeps working after its first token expired, and sign-out ends it', async () => {
  // Token times are whole seconds (iat is floored): with a 4 s token, 2.2 s later the first has
  // from 0.8 to 1.8 s left (past half-life, not expired), and 2 s after that it has expired.
  // (A 2 s token waited 1.2 s could already be expired when signed in late in a second.)
  const t = await startTestHub({ web: { guest: true, sessionTokenTtlS: 4 } });
  try {
    let { cookie, csrf } = await guestSession(t);
    const first = cookie;
    await new Promise((r) => setTimeout(r, 2200));
    const renewed = await fetch(`${t.url}/v1/session`, { headers: { cookie } });
    cookie = cookieOf(renewed);
    await renewed.arrayBuffer();
    assert.notEqual(cookie, first);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await fetch(`${t.url}/v1/agents`, { headers: { cookie: first } })).status, 401, 'the first token has expired');
    assert.equal((await fetch(`${t.url}/v1/agents`, { headers: { cookie } })).status, 200);
    csrf = ((await (await fetch(`${t.url}/v1/session`, { headers: { cookie } })).json()) as { csrf: string }).csrf;
    const out = await fetch(`${t.url}/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(out.status, 200);
    await out.arrayBuffer();
    const after = await fetch(`${t.url}/v1/agents`, { headers: { cookie } });
    assert.equal(after.status, 401);
    assert.match(((await after.json()) as any).error.message, /session has ended/);
  } finally {
    await t.close();
  }
});

/** POST /v1/measurements as the page does (asking the hub to keep the stream): its id header and events. */
async function keptRun(t: TestHub, token: string, spec: unknown, keep = true): Promise<{ id: string | null; events: unknown[] }> {
  const r = await fetch(`${t.url}/v1/measurements`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(keep ? { 'x-meshprobe-keep': '1' } : {}) },
    body: JSON.stringify(spec),
  });
  assert.equal(r.status, 200);
  const text = await r.text();
  return { id: r.headers.get('x-meshprobe-stream'), events: text.trim().split('\n').map((l) => JSON.parse(l)) };
}

test('share links: the hub shares the stream it served (by its id, its runner only), under an unguessable id, readable without a session, until it expires', async () => {
  const t = await startTestHub({ web: { guest: true, shareTtlMs: 1500 }, agents: [new ScriptedAgent({ name: 'a1', replies: 2 })] });
  try {
    const admin = await t.token(['admin']);
    const other = await t.token(['measure', 'read'], 'someone-else');
    const spec = { type: 'ping', targets: ['127.0.0.1'], count: 2 };
    const plain = await keptRun(t, admin, spec, false);
    assert.equal(plain.id, null, 'a stream nobody asked to keep gets no id');
    const { id: streamId, events } = await keptRun(t, admin, spec);
    assert.match(streamId ?? '', /^[A-Za-z0-9_-]{22}$/);
    assert.equal((events.at(-1) as { type: string }).type, 'done');
    const post = (body: unknown, token = admin) => fetch(`${t.url}/v1/shares`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    // Uploaded events are refused, even well-formed ones that end with done: they could be made up.
    const uploaded = await post({ command: 'ping', events });
    assert.equal(uploaded.status, 400);
    assert.match(((await uploaded.json()) as { error: { message: string } }).error.message, /^events: the hub shares only what it streamed/);
    const unknown = await post({ stream: 'A'.repeat(22) });
    assert.equal(unknown.status, 404);
    await unknown.arrayBuffer();
    const notTheirs = await post({ stream: streamId }, other);
    assert.equal(notTheirs.status, 404, 'another subject cannot share my stream');
    await notTheirs.arrayBuffer();
    const r = await post({ stream: streamId, command: 'ping a-forged.example' });
    assert.equal(r.status, 201);
    const { id, path } = (await r.json()) as { id: string; path: string };
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(id, streamId, 'the link is not the stream id');
    assert.equal(path, `/s/${id}`);
    const got = await fetch(`${t.url}/v1/shares/${id}`);
    assert.equal(got.status, 200);
    const share = (await got.json()) as { command: string; events: unknown[] };
    assert.equal(share.command, 'ping -c 2 127.0.0.1', "the hub's words for what it ran, not the client's");
    assert.deepEqual(share.events, events, 'exactly the events the hub streamed');
    assert.equal((await fetch(`${t.url}/v1/shares/${'A'.repeat(22)}`)).status, 404);
    await new Promise((res) => setTimeout(res, 1600));
    assert.equal((await fetch(`${t.url}/v1/shares/${id}`)).status, 404);
  } finally {
    await t.close();
  }
});

test('GET /v1/agents: each agent with connectedAt, when the hub added its link, beside what it announced', async () => {
  const before = Date.now();
  const t = await startTestHub({ agents: [new ScriptedAgent({ name: 'a1', replies: 1 })] });
  try {
    const r = await fetch(`${t.url}/v1/agents`, { headers: { authorization: `Bearer ${await t.token(['read'])}` } });
    const { agents } = (await r.json()) as { agents: { name: string; connectedAt?: string }[] };
    assert.equal(agents.length, 1);
    assert.equal(agents[0]!.name, 'a1');
    const at = Date.parse(agents[0]!.connectedAt ?? '');
    assert.ok(at >= before - 1000 && at <= Date.now(), `connectedAt ${agents[0]!.connectedAt} is the time the hub started with it`);
  } finally {
    await t.close();
  }
});
