// The data path of /ping (design §10: the first line within RTT + 150 ms): the measurement's
// request reaches the hub before the bot asks for the agent list (the keyboard) and before it
// sends its message, and that first message already carries the first reply.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import { privateChat, startRig, type Rig } from './bot-harness.ts';

/** The bot's calls to the hub: when each was made and when its answer's headers came back. */
const hubCalls: { method: string; path: string; at: number; answeredAt?: number }[] = [];
/** When the hub opened each measurement stream (its own record, from its observer). */
const streamsOpened: number[] = [];
let rig: Rig;

before(async () => {
  rig = await startRig({
    agents: [new LocalAgent({ name: 'local' }), new LocalAgent({ name: 'second' })],
    hub: { observer: { streamOpened: () => void streamsOpened.push(Date.now()) } },
    bot: {
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const call: (typeof hubCalls)[number] = { method: request.method, path: new URL(request.url).pathname, at: Date.now() };
        hubCalls.push(call);
        const response = await fetch(request);
        call.answeredAt = Date.now();
        return response;
      },
    },
  });
});
after(async () => {
  await rig?.close();
});

test('/ping starts the measurement first: it reaches the hub before GET /v1/agents and before the message, which shows the first reply', async (t) => {
  const { user, chat } = privateChat();
  const askedAt = Date.now();
  rig.api.sendText(chat, user, '/ping -c 3 -i 0.5 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const send = rig.api.callsOf('sendMessage', chat.id)[0]!;

  const measure = hubCalls.find((c) => c.method === 'POST' && c.path === '/v1/measurements');
  const agents = hubCalls.find((c) => c.method === 'GET' && c.path === '/v1/agents');
  assert.ok(measure && agents, `the bot measured and listed the agents: ${JSON.stringify(hubCalls)}`);
  assert.ok(hubCalls.indexOf(measure) < hubCalls.indexOf(agents), 'the measurement was asked for first');
  assert.equal(streamsOpened.length, 1);
  assert.ok(streamsOpened[0]! <= agents.at, `the hub opened the measurement (${streamsOpened[0]}) before the agent list was asked for (${agents.at})`);
  assert.ok(measure.answeredAt! <= agents.at, 'the hub had answered the measurement before the agent list was asked for');
  assert.ok(streamsOpened[0]! <= send.at, 'the measurement ran before the message went out');

  // The first message carries the first reply and the keyboard: nothing waits for an edit (1 s).
  assert.match(first.text, /^seq=1 ttl=\d+ time=/m, first.text);
  assert.deepEqual(first.replyMarkup?.inline_keyboard.flat().filter((b) => b.callback_data?.startsWith('a:')).map((b) => b.text), ['local ✓', 'second']);
  t.diagnostic(`first line ${send.at - askedAt} ms after the command reached the Bot API (including the bot's long poll)`);

  const done = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && /3 sent, \d+ received/.test(m.text) && !/running/.test(m.text) ? m : undefined;
  }, 15_000, 'the final statistics');
  assert.equal(rig.api.botMessages(chat.id).length, 1, 'one message, edited');
  assert.ok(done.edits > 0);
});
