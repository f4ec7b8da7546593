// Pure pieces of the bot: the 4096-character fit, the agent keyboard, the rate limiter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentKeyboard, countryFlag } from '../../../bots/telegram/agent-keyboard.ts';
import { fitLines, preHtml } from '../../../bots/telegram/pre-html.ts';
import { RateLimiter } from '../../../bots/telegram/rate-limiter.ts';
import { visibleText } from '../../helpers/bot-api-server.ts';

test('preHtml escapes and keeps short text whole', () => {
  assert.equal(preHtml('a < b & c > d'), '<pre>a &lt; b &amp; c &gt; d</pre>');
  assert.equal(preHtml('x', { suffix: '⏳ running…' }), '<pre>x</pre>\n⏳ running…');
});

test('long text keeps the header and the newest lines, notes the cut, and fits 4096 visible characters', () => {
  const lines = ['PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.'];
  for (let i = 1; i <= 500; i++) lines.push(`64 bytes from 127.0.0.1: icmp_seq=${i} ttl=64 time=0.0${i % 10}1 ms <&>`);
  lines.push('', '--- 127.0.0.1 ping statistics ---', '500 packets transmitted, 500 received, 0% packet loss');
  const html = preHtml(lines.join('\n'), { suffix: 'done' });
  const v = visibleText(html, 'HTML');
  assert.ok(v.ok);
  assert.ok(v.text.length <= 4096, `visible ${v.text.length}`);
  assert.match(v.text, /^PING 127\.0\.0\.1/);
  assert.match(v.text, /… \d+ lines trimmed …/);
  assert.match(v.text, /500 packets transmitted[^\n]*\ndone$/);
});

test('a single line longer than the limit is clipped, not sent whole', () => {
  const out = fitLines('x'.repeat(10_000), 4096);
  assert.ok(out.length <= 4096);
});

test('country flags come from ISO codes; nothing for a missing or odd code', () => {
  assert.equal(countryFlag('DE'), '🇩🇪');
  assert.equal(countryFlag('us'), '🇺🇸');
  assert.equal(countryFlag(undefined), '');
  assert.equal(countryFlag('XYZ'), '');
});

test('the agent keyboard ticks the current agent and keeps callback data within 64 bytes', () => {
  const agents = [
    { name: 'fra1', country: 'DE', capabilities: [], version: '1' },
    { name: 'a-very-long-agent-name-that-would-never-fit-into-telegram-callback-data-x', capabilities: [], version: '1' },
  ];
  const kb = agentKeyboard(agents, 'fra1')!;
  const buttons = kb.inline_keyboard.flat();
  assert.deepEqual(buttons.map((b) => b.text), ['🇩🇪 fra1 ✓', agents[1]!.name]);
  for (const b of buttons) assert.ok(Buffer.byteLength((b as { callback_data: string }).callback_data) <= 64);
  assert.equal(agentKeyboard([agents[0]!], 'fra1'), undefined, 'one agent: nothing to choose');
});

test('the rate limiter allows a burst, then refuses with a wait, per key', () => {
  let now = 0;
  const rl = new RateLimiter({ capacity: 2, refillPerSecond: 0.5, now: () => now });
  assert.ok(rl.take('u1').ok);
  assert.ok(rl.take('u1').ok);
  const no = rl.take('u1');
  assert.deepEqual(no, { ok: false, retryAfterMs: 2000 }); // one RateDecision (shared/model/token-buckets.ts), in ms
  assert.ok(rl.take('u2').ok, 'another user has a full bucket');
  now = 2000;
  assert.ok(rl.take('u1').ok, 'one token back after 2 s');
});
