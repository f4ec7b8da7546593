// /monitor in Telegram against a Bot API server on loopback and a real hub with its SQLite store:
// add (the chat recorded for alerts) → list → show (the heatmap as a photo, the statistics as
// caption and text) → rm → list empty; a bad duration refused in one line with the usage.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openSqliteStore } from '../../../hub/store/sqlite-store.ts';
import type { MonitorStore } from '../../../hub/store/monitor-store.ts';
import { nextBotMessage, privateChat, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;
let store: MonitorStore;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mp-tg-mon-'));
  store = openSqliteStore(dir);
  rig = await startRig({ hub: { monitors: { store } } });
});
after(async () => {
  await rig?.close();
  await rm(dir, { recursive: true, force: true });
});

const PNG = [0x89, 0x50, 0x4e, 0x47];

test('/monitor add → list → show (photo + text) → rm → list empty, for the Telegram user', async () => {
  const { user, chat } = privateChat();
  let asked = rig.api.sendText(chat, user, '/monitor add tg@127.0.0.1 -i 5s');
  let m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^added monitor #(\d+) tg \(tg@127\.0\.0\.1\): probes 127\.0\.0\.1 every 5s/);
  const record = store.findMonitor(`telegram:${user.id}`, 'tg');
  assert.ok(record, 'owned by the Telegram user the bot acts for');
  assert.equal(record.notify.telegram, String(chat.id), 'alerts go to this chat');

  asked = rig.api.sendText(chat, user, '/monitor list');
  m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^#\d+ tg 127\.0\.0\.1$/m);
  for (const line of m.text.split('\n')) assert.ok(line.length <= 36, `"${line}" fits a phone`);

  asked = rig.api.sendText(chat, user, '/monitor show tg --range 6h');
  const photo = await nextBotMessage(rig.api, chat.id, asked);
  assert.ok(photo.photo, `a photo first: ${photo.text}`);
  assert.deepEqual([...photo.photo.subarray(0, 4)], PNG);
  assert.match(photo.text, /^#\d+ tg \(tg@127\.0\.0\.1\), last 6h/);
  const text = await nextBotMessage(rig.api, chat.id, photo.messageId);
  assert.match(text.text, /^monitor #\d+ tg \(tg@127\.0\.0\.1\)\nprobes 127\.0\.0\.1 every 5s/);
  assert.match(text.text, /over the last 6h/);

  asked = rig.api.sendText(chat, user, '/monitor rm tg');
  m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^removed monitor #\d+ tg$/);
  asked = rig.api.sendText(chat, user, '/monitor list');
  m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^No monitors/);
});

test('/monitor with a bad duration or an unknown monitor: one line (and the usage for the grammar)', async () => {
  const { user, chat } = privateChat();
  let asked = rig.api.sendText(chat, user, '/monitor add 127.0.0.1 -i 1x');
  let m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^⚠ monitor add: -i: interval must be seconds or a number with ms, s, m, h or d \(such as 500ms, 10m\), not '1x'\nusage: monitor add/);
  asked = rig.api.sendText(chat, user, '/monitor show nosuch');
  m = await nextBotMessage(rig.api, chat.id, asked);
  assert.match(m.text, /^⚠ .*nosuch/);
  assert.equal(m.text.split('\n').length, 1);
});
