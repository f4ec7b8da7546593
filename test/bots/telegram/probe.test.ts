// /probe: the sweep as a PNG (one cell per address), sent as a photo and updated with
// editMessageMedia at most every 5 s, with a Cancel button; the final picture matches the
// host events the hub relayed, cell by cell.
import { test, before, after } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { probePicture } from '../../../shared/render/probe-picture.ts';
import { SweepGrid } from '../../../shared/render/sweep-grid.ts';
import { renderSweepPng } from '../../../bots/telegram/sweep-png.ts';
import { addressAt, parseCidr } from '../../../shared/net/cidr.ts';
import type { HostEvent, MeasurementEvent } from '../../../shared/model/events.ts';
import { HubClient } from '../../../shared/wire/hub-client.ts';
import type { StoredMessage } from '../../helpers/bot-api-server.ts';
import { privateChat, startRig, type Rig } from './bot-harness.ts';

let rig: Rig;
const events: MeasurementEvent[] = [];
let closedAborted = 0;
let skip: string | undefined;

before(async () => {
  rig = await startRig({
    hub: {
      observer: {
        event: (e) => void events.push(e),
        streamClosed: (i) => void (i.aborted && closedAborted++),
      },
    },
  });
  // The sweep needs an agent that can probe (raw ICMP); say so rather than fail when it cannot.
  const hub = new HubClient({ url: rig.hub.url, token: rig.serviceToken });
  for await (const e of hub.measure({ type: 'probe', targets: ['127.1.1.0/30'] })) {
    if (e.type === 'error') skip = `the local agent cannot sweep here: ${e.message}`;
  }
  events.length = 0;
});
after(async () => {
  await rig?.close();
});

/** The colour a cell with this state is drawn in, from the renderer itself (1 px, 1 cell). */
function colourOf(v: number | null | undefined): string {
  const png = PNG.sync.read(Buffer.from(renderSweepPng({ columns: 1, rows: 1, cells: [v] }, { cellPx: 1 })));
  return `${png.data[0]},${png.data[1]},${png.data[2]}`;
}

function finalPhoto(chatId: number): () => StoredMessage | undefined {
  return () => rig.api.botMessages(chatId).find((m) => m.photo && /done in/.test(m.text));
}

/**
 * Makes part of the prefix silent: an nftables input rule drops echo requests to those
 * addresses on loopback (own table, removed after). Undefined when nft is not usable here.
 */
function silence(table: string, ranges: string[]): (() => void) | undefined {
  const rules = ranges.map((r) => `add rule inet ${table} input ip daddr ${r} icmp type echo-request drop`).join('\n');
  try {
    execFileSync('nft', ['-f', '-'], { input: `add table inet ${table}\nadd chain inet ${table} input { type filter hook input priority -10; }\n${rules}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch {
    return undefined;
  }
  return () => {
    try {
      execFileSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
}

test('/probe 127.77.3.0/24 answers a PNG whose cells match the host events', async (t) => {
  if (skip) return t.skip(skip);
  // A quarter of the prefix and two single hosts silent, so the picture has both kinds of cell.
  const unsilence = silence(`meshprobe_tg_${process.pid}`, ['127.77.3.64/26', '127.77.3.5', '127.77.3.200']);
  if (unsilence) t.after(unsilence);
  const { user, chat } = privateChat();
  rig.api.sendText(chat, user, '/probe 127.77.3.0/24');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id).find((m) => m.photo), 10_000, 'the photo');
  assert.deepEqual(rig.api.callsOf('sendPhoto', chat.id)[0]!.params.reply_markup, { inline_keyboard: [[{ text: '✖ Cancel', callback_data: 'x' }]] }, 'a Cancel button while it runs');
  const done = await rig.api.waitUntil(finalPhoto(chat.id), 20_000, 'the final picture');
  assert.equal(done.messageId, first.messageId, 'the same message is updated');
  assert.equal(done.replyMarkup, undefined, 'no Cancel button once done');

  const hosts = new Map(events.filter((e): e is HostEvent => e.type === 'host' && e.target === '127.77.3.0/24').map((e) => [e.address, e.rttMs]));
  assert.ok(hosts.size > 0, 'the hub relayed host events');
  const png = PNG.sync.read(Buffer.from(done.photo!));
  // The cells sit where the picture's layout puts them (below the title, right of the row labels).
  const region = probePicture(new SweepGrid('127.77.3.0/24'), { agent: 'local', time: 't', state: 's' }).grid;
  const columns = region.columns;
  const px = region.cellPx;
  assert.equal(columns, 16, 'a /24 is a 16×16 grid');
  assert.ok(png.width >= region.x + region.width && png.height > region.y + region.height, 'the picture holds the grid, title and legend');
  const prefix = (parseCidr('127.77.3.0/24') as { ok: true; prefix: Parameters<typeof addressAt>[0] }).prefix;
  let up = 0;
  let silent = 0;
  for (let i = 0; i < 256; i++) {
    const address = addressAt(prefix, i);
    const v = hosts.get(address);
    if (v === null) silent++;
    else if (v !== undefined) up++;
    const x: number = region.x + (i % columns) * px + Math.floor(px / 2);
    const y: number = region.y + Math.floor(i / columns) * px + Math.floor(px / 2);
    const o: number = (y * png.width + x) * 4;
    assert.equal(`${png.data[o]},${png.data[o + 1]},${png.data[o + 2]}`, colourOf(v), `cell ${i} (${address}) drawn as ${v === undefined ? 'pending' : v === null ? 'silent' : 'reachable'}`);
  }
  assert.match(done.text, new RegExp(`${up} alive · ⬛ ${silent} no answer · ${256 - up - silent} not probed`));
  if (up > 0) assert.match(done.text, /127\.77\.3\.\d+/, 'the alive ranges are in the caption');
  if (unsilence) {
    assert.ok(up > 0 && silent >= 66, `both reachable and silent cells drawn (up ${up}, silent ${silent})`);
    assert.equal(hosts.get('127.77.3.5'), null);
  }

  // Photo updates are paced: ≥ 5 s after the photo was sent (5 ms for timer slack).
  const times = [rig.api.callsOf('sendPhoto', chat.id)[0]!.at, ...rig.api.callsOf('editMessageMedia', chat.id).map((c) => c.at)];
  for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 4995, `photo update ${i} came ${times[i]! - times[i - 1]!} ms after the previous`);
});

test('Cancel under a running /probe stops the sweep and keeps what was found', async (t) => {
  if (skip) return t.skip(skip);
  const { user, chat } = privateChat();
  const abortedBefore = closedAborted;
  rig.api.sendText(chat, user, '/probe --rate 50 127.2.0.0/24');
  const first = await rig.api.waitUntil(() => rig.api.botMessages(chat.id).find((m) => m.photo), 10_000, 'the photo');
  await new Promise((r) => setTimeout(r, 500));
  rig.api.pressButton(chat, user, first.messageId, 'x');
  const done = await rig.api.waitUntil(() => rig.api.botMessages(chat.id).find((m) => /cancelled/.test(m.text)), 15_000, 'the cancelled picture');
  assert.equal(done.messageId, first.messageId);
  assert.equal(done.replyMarkup, undefined);
  assert.match(done.text, /\d+ not probed/);
  assert.doesNotMatch(done.text, / 0 not probed/, 'stopped before the end');
  await rig.api.waitUntil(() => closedAborted > abortedBefore, 5_000, 'the hub to see the stream cancelled');
});
