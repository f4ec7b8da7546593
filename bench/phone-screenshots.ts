/**
 * Writes the screenshots of docs/telegram.md and docs/email.md (issue 17): the Telegram templates
 * as rendered text (the message HTML drawn in headless Chromium at 375 px in Telegram's colours),
 * the email answers at 375 px, and the probe picture PNG. Run after changing a renderer:
 *   node bench/phone-screenshots.ts
 * Needs a system Chromium (apt-get install chromium).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { answerEmail } from '../shared/email/email-answer.ts';
import type { MeasurementEvent } from '../shared/model/events.ts';
import type { HubLike } from '../shared/wire/hub-client.ts';
import { renderText } from '../shared/render/text-renderer.ts';
import { MeasurementFold } from '../shared/render/measurement-fold.ts';
import { encodePng } from '../shared/render/png.ts';
import { probePicture } from '../shared/render/probe-picture.ts';
import { SweepGrid } from '../shared/render/sweep-grid.ts';
import { matrixHtml } from '../bots/telegram/measurement-message.ts';
import { preHtml } from '../bots/telegram/pre-html.ts';
import { findChromium, screenshotHtml } from '../test/helpers/chromium.ts';
import { matrixEvents, singlePingEvents, sweepEvents, tracerouteEvents } from '../test/helpers/phone-fixtures.ts';

const out = join(import.meta.dirname, '..', 'docs', 'screenshots');
const chromium = findChromium();
if (!chromium) throw new Error('no Chromium on PATH: apt-get install chromium');

/** A Telegram message bubble around the message's HTML (what the Bot API's HTML parse mode shows). */
function bubble(html: string, buttons: string[] = []): string {
  const keys = buttons.length ? `<div style="display:flex;gap:4px;margin-top:4px">${buttons.map((b) => `<div style="flex:1;background:#5b8db8;color:#fff;border-radius:6px;padding:8px;text-align:center;font:14px sans-serif">${b}</div>`).join('')}</div>` : '';
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0;padding:10px;background:#a3c4a0;font:15px/1.35 -apple-system,Roboto,sans-serif}pre{font:13.5px/1.35 'DejaVu Sans Mono',monospace;margin:4px 0;white-space:pre-wrap}.b{background:#fff;border-radius:10px;padding:8px 10px;max-width:330px;white-space:pre-wrap}</style></head><body><div class="b">${html}</div>${keys}</body></html>`;
}

const hub = (events: MeasurementEvent[]): HubLike => ({ async *measure() { yield* events; }, agents: async () => [], version: async () => ({ name: 'meshprobe', version: 'docs', api: 1 }) }) as unknown as HubLike;
const fold = (events: MeasurementEvent[]) => {
  const f = new MeasurementFold({ keepEvents: true });
  for (const e of events) f.add(e);
  return f;
};

const shots: [string, string, number][] = [
  ['telegram-ping.png', bubble(preHtml(renderText(singlePingEvents(), { compact: true })), ['🔁 Re-run', '🛤 Traceroute']), 420],
  ['telegram-traceroute.png', bubble(preHtml(renderText(tracerouteEvents(), { compact: true })), ['🔁 Re-run', '📶 Ping']), 300],
  ['telegram-matrix.png', bubble(matrixHtml(fold(matrixEvents()), { type: 'ping', targets: ['a.example', 'b.example'], from: ['lax1', 'fra1', 'nyc1'] } as never, undefined), ['🔁 Re-run', '📄 Details']), 260],
];
for (const [name, line, events] of [
  ['email-matrix.png', 'ping -c 5 -s lax1,fra1,nyc1 a.example b.example', matrixEvents],
  ['email-traceroute.png', 'traceroute -s lax1 a.example', tracerouteEvents],
  ['email-probe.png', 'probe -s lax1 198.51.100.0/24', sweepEvents],
] as const) {
  const a = await answerEmail({ text: line }, { hub: hub(events()), now: () => Date.UTC(2026, 4, 1, 12), deflate: (b) => new Uint8Array(deflateSync(b)) });
  let html = a.html;
  for (const img of a.images ?? []) html = html.replaceAll(`cid:${img.cid}`, `data:image/png;base64,${Buffer.from(img.data).toString('base64')}`);
  shots.push([name, html, 1000]);
}
for (const [name, html, height] of shots) {
  await screenshotHtml(chromium, html, 375, height, join(out, name));
  console.log(`docs/screenshots/${name}`);
}
const grid = new SweepGrid('198.51.100.0/24');
for (const e of sweepEvents()) grid.add(e);
writeFileSync(join(out, 'probe-picture.png'), encodePng(probePicture(grid, { agent: 'lax1', time: '2026-05-01 12:00 UTC', state: 'done in 1.2 s' }).image, { deflate: (b) => new Uint8Array(deflateSync(b)) }));
console.log('docs/screenshots/probe-picture.png');
