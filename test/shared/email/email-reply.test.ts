import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildReply, normaliseId, replySubject } from '../../../shared/email/email-reply.ts';

test('the reply threads under the original: In-Reply-To and References', () => {
  const r = buildReply({ messageId: '<m2@x.org>', references: '<m0@x.org> <m1@x.org>', subject: 'ping x' }, { text: 't', html: 'h' });
  assert.equal(r.inReplyTo, '<m2@x.org>');
  assert.equal(r.references, '<m0@x.org> <m1@x.org> <m2@x.org>');
  assert.equal(r.subject, 'Re: ping x');
  assert.equal(r.text, 't');
  assert.equal(r.html, 'h');
  assert.equal(r.headers['Auto-Submitted'], 'auto-replied');
});

test('without References the parent In-Reply-To starts the thread; ids get brackets', () => {
  const r = buildReply({ messageId: 'm2@x.org', inReplyTo: '<m1@x.org>' }, { text: '', html: '' });
  assert.equal(r.inReplyTo, '<m2@x.org>');
  assert.equal(r.references, '<m1@x.org> <m2@x.org>');
  assert.equal(r.subject, 'Re: meshprobe');
  assert.equal(normaliseId('  '), undefined);
});

test('a message without Message-ID gets a reply without threading headers', () => {
  const r = buildReply({ subject: 'x' }, { text: '', html: '' });
  assert.equal(r.inReplyTo, undefined);
  assert.equal(r.references, undefined);
});

test('long References keep the root and the newest ids', () => {
  const refs = Array.from({ length: 30 }, (_, i) => `<m${i}@x>`).join(' ');
  const r = buildReply({ messageId: '<new@x>', references: refs }, { text: '', html: '' }, { maxReferences: 5 });
  assert.equal(r.references, '<m0@x> <m27@x> <m28@x> <m29@x> <new@x>');
});

test('Re: does not pile up and folded subjects are unfolded', () => {
  assert.equal(replySubject('Re: RE: ping'), 'Re: RE: ping');
  assert.equal(replySubject('re: ping'), 'Re: ping');
  assert.equal(replySubject('traceroute\r\n  example.com'), 'Re: traceroute example.com');
  assert.equal(replySubject(''), 'Re: meshprobe');
});
