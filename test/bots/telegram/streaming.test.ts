// The bot against a Bot API server on loopback, a real hub and real local agents:
// streamed /ping edits (paced, coalesced, final state delivered), 429s waited out, the agent
// keyboard re-running in the same message, and the 4096-character limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import type { StoredMessage } from '../../helpers/bot-api-server.ts';
import { privateChat, startRig, type Rig } from './bot-harness.ts';

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

const REPLY = /^64 bytes from 127\.0\.0\.1: icmp_seq=\d+ ttl=\d+ time=[\d.]+ ms$/gm;

/** The message once the run is over: statistics shown and no "running" line. */
function finalState(chatId: number, messageId: number): () => StoredMessage | undefined {
  return () => {
    const m = rig.api.message(chatId, messageId);
    return m && /packets transmitted/.test(m.text) && !/running/.test(m.text) ? m : undefined;
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
  assert.match(done.text, /3 packets transmitted, 3 received, 0% packet loss/);
  assert.match(done.text, /rtt min\/avg\/max\/mdev = /);
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
  assert.match(done.text, /3 packets transmitted, 3 received/);
});

test('pressing another agent re-runs the ping from that agent in the same message', async () => {
  const { user, chat } = privateChat();
  const openedBefore = opened.length;
  rig.api.sendText(chat, user, '/ping -s local -c 10 -i 0.2 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const buttons = first.replyMarkup?.inline_keyboard.flat() ?? [];
  assert.deepEqual(buttons.map((b) => b.text), ['local ✓', 'second'], 'one button per agent, ✓ on the one measuring');
  for (const b of buttons) assert.ok(Buffer.byteLength(b.callback_data ?? '') <= 64, 'callback data fits Telegram\'s 64 bytes');
  // Press while the first run (2 s) is still going.
  await rig.api.waitUntil(() => opened.length > openedBefore, 5_000, 'the first run to start');
  rig.api.pressButton(chat, user, first.messageId, buttons[1]!.callback_data!);

  const done = await rig.api.waitUntil(() => {
    const m = finalState(chat.id, first.messageId)();
    return m?.replyMarkup?.inline_keyboard.flat().some((b) => b.text === 'second ✓') ? m : undefined;
  }, 20_000, 'the re-run from "second" to finish');
  assert.equal(rig.api.botMessages(chat.id).length, 1, 'still one message');
  assert.deepEqual(done.replyMarkup!.inline_keyboard.flat().map((b) => b.text), ['local', 'second ✓']);
  assert.equal(done.text.match(REPLY)?.length, 10, 'only the re-run is shown, complete');
  assert.match(done.text, /10 packets transmitted, 10 received/);
  const runs = opened.slice(openedBefore).map((o) => o.spec.from);
  assert.deepEqual(runs, [['local'], ['second']], 'the hub ran it from local, then from second');
  assert.ok(closed.some((c) => c.aborted), 'the first run was cancelled at the hub');
  assert.ok(rig.api.callsOf('answerCallbackQuery').length >= 1, 'the button press was answered');
});

test('output longer than 4096 characters is trimmed with a note, never refused', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 120 -i 0.005 127.0.0.1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(finalState(chat.id, first.messageId), 20_000, 'the final statistics');
  assert.ok(done.text.length <= 4096, `visible text is ${done.text.length} characters`);
  assert.match(done.text, /^PING 127\.0\.0\.1/, 'the header line is kept');
  assert.match(done.text, /… \d+ lines trimmed …/);
  assert.match(done.text, /120 packets transmitted, 120 received/);
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
  assert.match(done.text, /^traceroute to 127\.0\.0\.1 \(127\.0\.0\.1\), 30 hops max/);
  assert.match(done.text, /^ 1 .*\(127\.0\.0\.1\)(  [\d.]+ ms){3}$/m);
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
  assert.match(now.text, /5 packets transmitted, 5 received/);
});

test('/ping of two targets: every line of the message names its target, the first target\'s header included', async () => {
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/ping -c 2 -i 0.05 127.0.0.1 ::1');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id)[0], 10_000, 'the first message');
  const done = await rig.api.waitUntil(() => {
    const m = rig.api.message(chat.id, first.messageId);
    return m && (m.text.match(/packets transmitted/g) ?? []).length === 2 && !/running/.test(m.text) ? m : undefined;
  }, 15_000, 'both statistics');
  const lines = done.text.split('\n');
  assert.ok(lines.includes('[127.0.0.1] PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.'), done.text);
  assert.ok(lines.some((l) => /^\[::1\] 64 bytes from ::1: icmp_seq=1 /.test(l)), done.text);
  // Until the matrix, no line goes out without its part's name (one agent: no agent in the prefix).
  const body = lines.slice(0, lines.indexOf('--- matrix: avg rtt, loss ---'));
  assert.deepEqual(body.filter((l) => l !== '' && !/^\[(127\.0\.0\.1|::1)\] /.test(l)), [], done.text);
});
