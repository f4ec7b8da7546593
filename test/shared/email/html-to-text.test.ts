import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntities, htmlToText } from '../../../shared/email/html-to-text.ts';

test('block elements end lines, inline markup and styles vanish', () => {
  const html = '<html><head><style>p{color:red}</style><title>x</title></head><body><div>ping&nbsp;-c 2 <b>host</b></div><p>second</p>line<br>three</body></html>';
  assert.deepEqual(htmlToText(html).split('\n').filter(Boolean), ['ping -c 2 host', 'second', 'line', 'three']);
});

test('nested blockquotes (quoted history) are dropped entirely', () => {
  const html = 'top<blockquote>a<blockquote>b</blockquote>c</blockquote>bottom';
  assert.equal(htmlToText(html), 'topbottom');
  assert.equal(htmlToText(html, { dropQuotes: false }).replace(/\n/g, ''), 'topabcbottom');
});

test('entities decode, bad code points become U+FFFD, unknown names stay', () => {
  assert.equal(decodeEntities('&lt;a&gt; &amp; &#233; &#xE9; &#xD800; &bogus;'), '<a> & é é \ufffd &bogus;');
});

test('comments and conditional comments are removed', () => {
  assert.equal(htmlToText('<!--[if mso]><p>hidden</p><![endif]-->shown'), 'shown');
});
