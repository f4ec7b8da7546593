// The Worker's MIME writer carries a reply's inline pictures: the heatmap of `monitor show` inline,
// with its Content-ID, read back by a real MIME parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { mimeReply } from '../../email-worker/mime-reply.ts';
import { buildReply } from '../../shared/email/email-reply.ts';

test('an inline PNG attachment survives mimeReply with its cid, and the HTML refers to it', async () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 300 }, (_, i) => i % 256)]);
  const reply = buildReply({ messageId: '<a@example.org>', subject: 'monitors' }, {
    text: 'monitor #1 gw',
    html: '<p><img src="cid:heatmap@meshprobe"></p>',
    images: [{ cid: 'heatmap@meshprobe', filename: 'heatmap.png', contentType: 'image/png', data: png }],
  });
  const raw = mimeReply(reply, { from: 'cli@meshprobe.test', to: 'bob@example.org', id: 'x1' });
  const mail = await simpleParser(raw, { skipImageLinks: true });
  assert.equal(mail.attachments.length, 1);
  const a = mail.attachments[0]!;
  assert.equal(a.contentType, 'image/png');
  assert.equal(a.cid, 'heatmap@meshprobe');
  assert.equal(a.contentDisposition, 'inline');
  assert.deepEqual(new Uint8Array(a.content), png);
  assert.equal(mail.text?.trim(), 'monitor #1 gw');
  assert.match(String(mail.html), /cid:heatmap@meshprobe/);
});
