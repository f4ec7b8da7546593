// /token: refused in groups; in a private chat the hub mints a `measure` token for
// telegram:<user id> (via the bot's service token) that the hub then accepts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { groupChat, nextBotMessage, privateChat, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;
const routes: string[] = [];
const principals: { subject: string; via: string | undefined }[] = [];

before(async () => {
  rig = await startRig({ hub: { observer: { request: (r) => void routes.push(r.route), streamOpened: (s) => void principals.push({ subject: s.principal.subject, via: s.principal.via }) } } });
});
after(async () => {
  await rig?.close();
});

test('/token in a group is refused with a clear line, and no token is minted', async () => {
  const { user, chat } = groupChat();
  const asked = rig.api.sendText(chat, user, '/token');
  const m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /only in a private chat/);
  assert.doesNotMatch(m.text, /eyJ/, 'no JWT in the group');
  assert.ok(!routes.includes('tokens'), 'the hub was not asked for a token');
});

test('/token in a private chat returns a 30-day measure JWT for telegram:<id> that the hub accepts', async () => {
  const { user, chat } = privateChat();
  const asked = rig.api.sendText(chat, user, `/token@${rig.api.botInfo.username}`);
  const m = await nextBotMessage(rig.api, chat.id, asked);
  const jwt = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(m.text)?.[0];
  assert.ok(jwt, `a JWT in the reply: ${m.text}`);
  assert.match(m.text, /\/mcp/, 'says how to use it with MCP');
  assert.match(m.text, /curl /, 'and with curl');

  const claims = decodeJwt(jwt);
  assert.equal(claims.sub, `telegram:${user.id}`);
  assert.equal(claims.scope, 'measure');
  const days = (claims.exp! - Math.floor(Date.now() / 1000)) / 86_400;
  assert.ok(days > 29.9 && days <= 30, `expires in 30 days (got ${days.toFixed(2)})`);

  // The hub refuses a request without a token and accepts this one.
  const body = JSON.stringify({ type: 'ping', targets: ['127.0.0.1'], count: 1 });
  const anon = await fetch(`${rig.hub.url}/v1/measurements`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(anon.status, 401);
  await anon.body?.cancel();
  const res = await fetch(`${rig.hub.url}/v1/measurements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
    body,
  });
  assert.equal(res.status, 200);
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; received?: number });
  assert.equal(lines.at(-1)!.type, 'done');
  assert.equal(lines.at(-1)!.received, 1);
});

test('/ping through a hub that requires tokens uses the bot\'s service token on behalf of the user', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 1 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(() => {
    const x = rig.api.message(chat.id, first.messageId);
    return x && / sent, \d+ received/.test(x.text) && !/running/.test(x.text) ? x : undefined;
  }, 10_000, 'the statistics');
  assert.match(done.text, /1 sent, 1 received/);
  // The hub saw the Telegram user (its per-subject limit applies to them), via the bot.
  assert.deepEqual(principals.at(-1), { subject: `telegram:${user.id}`, via: 'service:telegram' });
});
