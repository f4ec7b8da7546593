// The email answers in a real headless Chromium, at a phone's 375 px and a desktop's 1024 px:
// no horizontal overflow of the document, the matrix visible, the pictures loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { answerEmail, type EmailAnswer } from '../../../shared/email/email-answer.ts';
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import type { HubLike } from '../../../shared/wire/hub-client.ts';
import { findChromium, measureHtml } from '../../helpers/chromium.ts';
import { matrixEvents, singlePingEvents, sweepEvents, tracerouteEvents } from '../../helpers/phone-fixtures.ts';

const chromium = findChromium();
const skip = chromium ? false : 'no Chromium on PATH (apt-get install chromium; .ci/run installs it)';

/** A hub that answers every measurement with `events`: the answer pipeline runs for real on them. */
function hubOf(events: MeasurementEvent[]): HubLike {
  return {
    async *measure() {
      yield* events;
    },
    agents: async () => [],
    version: async () => ({ name: 'meshprobe', version: 'test', api: 1 }),
  } as unknown as HubLike;
}

/** The HTML as a mail client shows it: inline images by cid become data: URLs. */
function asClientShows(a: EmailAnswer): string {
  let html = a.html;
  for (const img of a.images ?? []) html = html.replaceAll(`cid:${img.cid}`, `data:image/png;base64,${Buffer.from(img.data).toString('base64')}`);
  return html;
}

const cases: [string, string, () => MeasurementEvent[]][] = [
  ['matrix', 'ping -c 5 -s lax1,fra1,nyc1 a.example b.example', matrixEvents],
  ['ping', 'ping -c 3 -s lax1 a.example', singlePingEvents],
  ['traceroute', 'traceroute -s lax1 a.example', tracerouteEvents],
  ['probe', 'probe -s lax1 198.51.100.0/24', sweepEvents],
];

for (const [name, line, events] of cases) {
  for (const width of [375, 1024]) {
    test(`email answer "${name}" at ${width} px: no horizontal overflow, matrix visible, images loaded`, { skip }, async () => {
      const a = await answerEmail({ text: line }, { hub: hubOf(events()), now: () => Date.UTC(2026, 4, 1, 12), deflate: (b) => new Uint8Array(deflateSync(b)) });
      assert.equal(a.kind, 'measurement', a.text);
      const m = await measureHtml(chromium as string, asClientShows(a), width);
      assert.equal(m.clientWidth, width, 'the viewport is the width asked for');
      assert.ok(m.scrollWidth <= m.clientWidth, `scrollWidth ${m.scrollWidth} <= clientWidth ${m.clientWidth} (widest element ends at ${m.widest})`);
      if (name === 'matrix') {
        assert.equal(m.matrices.length, 1);
        assert.ok(m.matrices[0]!.height > 0 && m.matrices[0]!.right <= width, `matrix visible within the screen: ${JSON.stringify(m.matrices)}`);
      }
      if (name === 'probe') {
        assert.equal(a.images?.length, 1, 'the sweep picture travels inline');
        assert.ok(m.images.length === 1 && m.images[0]!.loaded, `picture loaded: ${JSON.stringify(m.images)}`);
        assert.ok(m.images[0]!.right <= width, 'the picture is scaled to the screen');
      }
    });
  }
}

test('the help answer (long usage lines) does not overflow 375 px', { skip }, async () => {
  const a = await answerEmail({ text: '' }, { hub: hubOf([]) });
  assert.match(a.text, /usage|Commands/);
  const m = await measureHtml(chromium as string, a.html, 375);
  assert.ok(m.scrollWidth <= m.clientWidth, `scrollWidth ${m.scrollWidth} <= ${m.clientWidth}`);
});

test('the check can fail: a page wider than the screen is seen overflowing', { skip }, async () => {
  const m = await measureHtml(chromium as string, '<!DOCTYPE html><html><body><table style="width:600px"><tr><td>x</td></tr></table></body></html>', 375);
  assert.ok(m.scrollWidth > m.clientWidth, `scrollWidth ${m.scrollWidth} > ${m.clientWidth}`);
});
