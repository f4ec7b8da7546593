// iputils' display flags on Telegram (issue 11, item 17): the bot parses with the shared grammar
// and renders with the shared TextRenderer, and must hand the flags over. A Bot API server on
// loopback, a real hub and a real local agent pinging 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { privateChat, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;

before(async () => {
  rig = await startRig({ agents: [new LocalAgent({ name: 'local' })] });
});
after(async () => {
  await rig?.close();
});

test('/ping -q ends with the statistics and no reply lines; /ping -D stamps each reply', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -q -c 3 -i 0.05 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const quiet = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && / sent, \d+ received/.test(m.text) && !/running/.test(m.text) ? m : undefined;
  }, 20_000, 'the final statistics');
  assert.match(quiet.text, /3 sent, 3 received/);
  assert.doesNotMatch(quiet.text, /seq=/, '-q: no per-reply lines');

  const other = privateChat();
  rig.api.sendText(other.chat, other.user, '/ping -D -c 2 -i 0.05 127.0.0.1');
  const msg = await rig.api.waitUntil(() => rig.api.botMessages(other.chat.id)[0], 10_000, 'the first message');
  const stamped = await rig.api.waitUntil(() => {
    const m = rig.api.message(other.chat.id, msg.messageId);
    return m && / sent, \d+ received/.test(m.text) && !/running/.test(m.text) ? m : undefined;
  }, 20_000, 'the final statistics');
  assert.equal(stamped.text.match(/^\[\d{10}\.\d{6}\] seq=\d+ /gm)?.length, 2, stamped.text);
});
