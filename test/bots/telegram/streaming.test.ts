// The bot against a Bot API server on loopback, a real hub and real local agents:
// streamed /ping edits (paced, coalesced, final state delivered), 429s waited out, the agent
// keyboard re-running in the same message, and the 4096-character limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import type { StoredMessage } from '../../helpers/bot-api-server.ts';
import { nextBotMessage, privateChat, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;
const opened: { spec: MeasurementSpec }[] = [];
const closed: { aborted: boolean }[] = [];

before(async () => {
  rig = await startRig({
    agents: [new LocalAgent({ name: 'local' }), new LocalAgent({ name: 'second' })],
    hub: {
      observer: {
        streamOpened: (info) => void opened.push({ spec: info.spec }),
        streamClosed: (info) => void closed.push({ aborted: info.aborted }),
      },
    },
  });
});
after(async () => {
  await rig?.close();
});

// Telegram's phone layout (≤ 36 columns): the responder is the target's address, so it is left out.
const REPLY = /^seq=\d+ ttl=\d+ time=[\d.]+ ms$/gm;

/** The message once the run is over: statistics shown and no "running" line. */
function finalState(chatId: number, messageId: number): () => StoredMessage | undefined {
  return () => {
    const m = rig.api.message(chatId, messageId);
    return m && / sent, \d+ received/.test(m.text) && !/running/.test(m.text) ? m : undefined;
  };
}

test('setMyCommands registers the command menu at start', () => {
  const names = rig.api.commands.map((c) => c.command);
  for (const c of ['ping', 'traceroute', 'probe', 'list', 'token', 'version', 'help']) assert.ok(names.includes(c), `menu has /${c}`);
});

test('/ping -c 3 127.0.0.1 streams into one message, edited at most once per second, ending with 3 replies and statistics', async () => {
  const { user, chat } = privateChat();
  const asked = rig.api.sendText(chat, user, '/ping -c 3 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(finalState(chat.id, first.messageId), 15_000, 'the final statistics');
  assert.equal(first.messageId, asked + 1);
  assert.equal(rig.api.botMessages(chat.id).length, 1, 'one message, edited, not several messages');
  assert.equal(rig.api.callsOf('sendMessage', chat.id).length, 1);
  assert.equal(done.text.match(REPLY)?.length, 3, done.text);
  assert.match(done.text, /3 sent, 3 received\n0% loss/);
  assert.match(done.text, /min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms/);
  assert.equal(done.parseMode, 'HTML');
  assert.match(done.raw, /^<pre>[\s\S]*<\/pre>/);

  const edits = rig.api.callsOf('editMessageText', chat.id, first.messageId);
  assert.ok(edits.length >= 2, `streamed in several edits (got ${edits.length})`);
  assert.ok(edits.every((c) => c.ok), 'no edit refused (no "not modified", no parse error)');
  const send = rig.api.callsOf('sendMessage', chat.id)[0]!;
  const times = [send.at, ...edits.map((c) => c.at)];
  for (let i = 1; i < times.length; i++) {
    // Recorded behaviour of the pacing: ≥ 1 s between changes of this message (5 ms for timer slack).
    assert.ok(times[i]! - times[i - 1]! >= 995, `edit ${i} came ${times[i]! - times[i - 1]!} ms after the previous change`);
  }
});

test('a 429 with retry_after on an edit is waited out and the final edit still arrives', async () => {
  const { user, chat } = privateChat();
  rig.api.failNext('editMessageText', 1, { retryAfter: 2 });
  rig.api.sendText(chat, user, '/ping -c 3 -i 0.2 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(finalState(chat.id, first.messageId), 20_000, 'the final statistics after a 429');
  assert.equal(done.text.match(REPLY)?.length, 3, done.text);
  const edits = rig.api.callsOf('editMessageText', chat.id, first.messageId);
  const refused = edits.findIndex((c) => c.errorCode === 429);
  assert.ok(refused >= 0, 'the injected 429 was hit by an edit of this message');
  const retry = edits[refused + 1];
  assert.ok(retry?.ok, 'the edit was sent again and accepted');
  assert.ok(retry.at - edits[refused]!.at >= 1990, `retried after retry_after (waited ${retry.at - edits[refused]!.at} ms)`);
  assert.match(done.text, /3 sent, 3 received/);
});

test('pressing another agent re-runs the ping from that agent in the same message', async () => {
  const { user, chat } = privateChat();
  const openedBefore = opened.length;
  rig.api.sendText(chat, user, '/ping -s local -c 10 -i 0.2 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const buttons = first.replyMarkup?.inline_keyboard.flat() ?? [];
  assert.deepEqual(buttons.filter((b) => b.callback_data?.startsWith('a:')).map((b) => b.text), ['local ✓', 'second'], 'one button per agent, ✓ on the one measuring');
  for (const b of buttons) assert.ok(Buffer.byteLength(b.callback_data ?? '') <= 64, 'callback data fits Telegram\'s 64 bytes');
  // Press while the first run (2 s) is still going.
  await rig.api.waitUntil(() => opened.length > openedBefore, 5_000, 'the first run to start');
  rig.api.pressButton(chat, user, first.messageId, buttons.find((b) => b.text === 'second')!.callback_data!);

  const done = await rig.api.waitUntil(() => {
    const m = finalState(chat.id, first.messageId)();
    return m?.replyMarkup?.inline_keyboard.flat().some((b) => b.text === 'second ✓') ? m : undefined;
  }, 20_000, 'the re-run from "second" to finish');
  assert.equal(rig.api.botMessages(chat.id).length, 1, 'still one message');
  assert.deepEqual(done.replyMarkup!.inline_keyboard.flat().filter((b) => b.callback_data?.startsWith('a:')).map((b) => b.text), ['local', 'second ✓']);
  assert.equal(done.text.match(REPLY)?.length, 10, 'only the re-run is shown, complete');
  assert.match(done.text, /10 sent, 10 received/);
  const runs = opened.slice(openedBefore).map((o) => o.spec.from);
  assert.deepEqual(runs, [['local'], ['second']], 'the hub ran it from local, then from second');
  assert.ok(closed.some((c) => c.aborted), 'the first run was cancelled at the hub');
  assert.ok(rig.api.callsOf('answerCallbackQuery').length >= 1, 'the button press was answered');
});

test('output longer than 4096 characters is trimmed with a note, never refused', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 200 -i 0.005 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(finalState(chat.id, first.messageId), 20_000, 'the final statistics');
  assert.ok(done.text.length <= 4096, `visible text is ${done.text.length} characters`);
  assert.match(done.text, /^PING 127\.0\.0\.1/, 'the header line is kept');
  assert.match(done.text, /… \d+ lines trimmed …/);
  assert.match(done.text, /200 sent, 200 received/);
  assert.ok(rig.api.callsOf('editMessageText', chat.id).every((c) => c.ok), 'no edit was refused');
});

test('/tr (traceroute) streams the hop table into one message with the agent keyboard', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, `/tr@${rig.api.botInfo.username} 127.0.0.1`);
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && !/running/.test(m.text) ? m : undefined;
  }, 15_000, 'the finished trace');
  // Phone layout: the unit once in the header, hop lines of ≤ 36 columns.
  assert.match(done.text, /^traceroute to 127\.0\.0\.1\ntimes in ms$/m);
  assert.match(done.text, /^ 1  127\.0\.0\.1( [\d.]+){3}$/m);
  for (const l of done.text.split('\n').slice(0, -1)) assert.ok([...l].length <= 36, `"${l}" fits 36 columns`);
  assert.ok(done.replyMarkup?.inline_keyboard.flat().some((b) => / ✓$/.test(b.text)), 'the keyboard ticks the agent that traced');
});

test('two quick presses leave one run in the message: the last agent pressed', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 5 -i 0.2 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  rig.api.pressButton(chat, user, first.messageId, 'a:1');
  rig.api.pressButton(chat, user, first.messageId, 'a:0');
  const done = await rig.api.waitUntil(() => {
    const m = finalState(chat.id, first.messageId)();
    return m?.replyMarkup?.inline_keyboard.flat().some((b) => b.text === 'local ✓') && m.edits > 0 ? m : undefined;
  }, 20_000, 'the run from the last press');
  // Let any stray run show itself before checking.
  await new Promise((r) => setTimeout(r, 1500));
  const now = rig.api.message(chat.id, first.messageId)!;
  assert.equal(now.text, done.text, 'nothing overwrote the final state');
  assert.equal(now.text.match(REPLY)?.length, 5);
  assert.match(now.text, /5 sent, 5 received/);
});

test('/ping of two targets is a compact matrix of ≤ 36 columns; Details answers every line, each naming its target', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 2 -i 0.05 127.0.0.1 ::1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && !/running/.test(m.text) && (m.text.match(/✓ [\d.]+ ms/g) ?? []).length === 2 ? m : undefined;
  }, 15_000, 'both cells');
  const lines = done.text.split('\n');
  assert.match(lines[0]!, /^ping 127\.0\.0\.1 ::1 from local: [\d.–]+ ms, 0% loss$/, 'the answer first');
  assert.match(done.text, /^local +✓ [\d.]+ ms +✓ [\d.]+ ms$/m, 'one row per agent, one cell per target');
  assert.doesNotMatch(done.text, /seq=/, 'no per-line detail interleaved in the matrix');
  for (const l of lines.slice(1)) assert.ok([...l].length <= 36, `"${l}" fits 36 columns`);
  const buttons = done.replyMarkup?.inline_keyboard.flat() ?? [];
  const details = buttons.find((b) => /Details/.test(b.text));
  assert.ok(details, JSON.stringify(buttons));
  rig.api.pressButton(chat, user, first.messageId, details.callback_data!);
  const reply = await nextBotMessage(rig.api, chat.id, first.messageId);
  const body = reply.text.split('\n').filter((l) => l !== '');
  assert.ok(body.some((l) => /^\[::1\] seq=1 /.test(l)), reply.text);
  assert.ok(body.some((l) => /^\[127\.0\.0\.1\] PING 127\.0\.0\.1$/.test(l)), reply.text);
  assert.deepEqual(body.filter((l) => !/^\[(127\.0\.0\.1|::1)\] /.test(l) && !/^--- matrix/.test(l)).filter((l) => !/^(agent|local)\b/.test(l)), [], reply.text);
});

test('a bare /ping asks for the target (ForceReply) and runs on the answer', async () => {
  const { user, chat } = privateChat();
  const asked = rig.api.sendText(chat, user, '/ping -c 1');
  const prompt = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(prompt.text, /^ping: which target\?/);
  const call = rig.api.callsOf('sendMessage', chat.id).at(-1)!;
  assert.equal((call.params.reply_markup as { force_reply?: boolean }).force_reply, true);
  const answer = rig.api.sendText(chat, user, '127.0.0.1', { reply_to_message: prompt.messageId });
  const run = await nextBotMessage(rig.api, chat.id, answer);
  const done = await rig.api.waitUntil(finalState(chat.id, run.messageId), 15_000, 'the prompted ping').catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(rig.api.botMessages(chat.id).map((m) => m.text))} ${rig.logs.join(';')}`); });
  assert.match(done.text, /^PING 127\.0\.0\.1$/m);
  assert.match(done.text, /1 sent, 1 received/, 'the flags given with the bare command are kept');
});

test('Traceroute under a ping traces the same target in a new message', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 1 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(finalState(chat.id, first.messageId), 15_000, 'the ping');
  const trace = done.replyMarkup?.inline_keyboard.flat().find((b) => /Traceroute/.test(b.text));
  assert.ok(trace && Buffer.byteLength(trace.callback_data ?? '') <= 64);
  rig.api.pressButton(chat, user, first.messageId, trace.callback_data!);
  const next = await nextBotMessage(rig.api, chat.id, first.messageId);
  const traced = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, next.messageId);
    return m && !/running/.test(m.text) ? m : undefined;
  }, 15_000, 'the traceroute');
  assert.match(traced.text, /^traceroute to 127\.0\.0\.1$/m);
});
