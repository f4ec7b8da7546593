import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { parseAllowList, replyDecision, SenderRateLimiter, senderAllowed } from '../../shared/email-policy.ts';
import type { HeaderLookup } from '../../shared/email-policy.ts';

const dir = join(import.meta.dirname, '../fixtures/email');

function lookup(headers: Record<string, string>): HeaderLookup {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

async function fixture(name: string) {
  const mail = await PostalMime.parse(readFileSync(join(dir, `${name}.eml`)));
  const headers = new Map(mail.headers.map((h) => [h.key, h.value]));
  return { mail, headers: (n: string) => headers.get(n.toLowerCase()) };
}

for (const name of ['auto-reply', 'mailing-list', 'bounce']) {
  test(`fixture ${name} gets no answer`, async () => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { reasonIncludes: string; returnPath?: string };
    const { mail, headers } = await fixture(name);
    const d = replyDecision({ from: mail.from?.address ?? '', returnPath: expected.returnPath, headers });
    assert.equal(d.reply, false);
    assert.ok(!d.reply && d.reason.includes(expected.reasonIncludes), !d.reply ? d.reason : '');
  });
}

test('an ordinary message from a person is answered', async () => {
  const { mail, headers } = await fixture('thunderbird-reply');
  assert.deepEqual(replyDecision({ from: mail.from!.address!, returnPath: 'alice@example.org', headers }), { reply: true });
});

test('each loop rule refuses on its own', () => {
  const base = { from: 'alice@example.org', returnPath: 'alice@example.org' };
  const refused = (h: Record<string, string>, extra: Partial<typeof base> = {}) => replyDecision({ ...base, ...extra, headers: lookup(h) }).reply === false;
  assert.equal(refused({ 'Auto-Submitted': 'no' }), false, 'Auto-Submitted: no is a person');
  assert.ok(refused({ 'Auto-Submitted': 'auto-generated' }));
  assert.ok(refused({ 'List-Id': '<x.example.org>' }));
  assert.ok(refused({ 'List-Unsubscribe': '<mailto:x@example.org>' }));
  for (const p of ['bulk', 'list', 'junk', 'Bulk']) assert.ok(refused({ Precedence: p }), p);
  assert.equal(refused({ Precedence: 'first-class' }), false);
  assert.ok(refused({}, { returnPath: '' }), 'null sender');
  assert.ok(refused({}, { returnPath: '<>' }), 'null sender in brackets');
  assert.ok(refused({}, { from: 'MAILER-DAEMON@mx.example.net' }));
  assert.ok(refused({}, { from: 'postmaster@example.net' }));
  assert.ok(refused({}, { returnPath: 'noreply@example.net' }));
  assert.ok(refused({ 'Content-Type': 'multipart/report; report-type=delivery-status' }));
  assert.ok(refused({}, { from: '' }));
});

test('the allow-list matches addresses, domains and subdomains', () => {
  const list = parseAllowList(' alice@example.org, corp.example ; .lab.example');
  assert.deepEqual(list, ['alice@example.org', 'corp.example', '.lab.example']);
  assert.ok(senderAllowed('Alice@Example.org', list));
  assert.ok(!senderAllowed('bob@example.org', list));
  assert.ok(senderAllowed('bob@corp.example', list));
  assert.ok(!senderAllowed('bob@sub.corp.example', list), 'a bare domain does not cover subdomains');
  assert.ok(senderAllowed('x@a.lab.example', list));
  assert.ok(!senderAllowed('x@lab.example', list), 'a .suffix entry does not cover the domain itself');
  assert.ok(!senderAllowed('x@evillab.example', list));
  assert.ok(senderAllowed('anyone@anywhere.example', []), 'no list: everyone');
  assert.ok(!senderAllowed('not-an-address', list));
});

test('the rate limiter allows a burst, notifies once, then drops until a token refills', () => {
  const rl = new SenderRateLimiter({ burst: 2, refillMs: 1000 });
  assert.deepEqual(rl.check('a@x.org', 0), { action: 'allow' });
  assert.deepEqual(rl.check('A@X.org', 0), { action: 'allow' }, 'case-insensitive sender');
  assert.deepEqual(rl.check('a@x.org', 100), { action: 'notify', retryAfterMs: 900 });
  assert.deepEqual(rl.check('a@x.org', 200), { action: 'drop', retryAfterMs: 800 });
  assert.deepEqual(rl.check('b@x.org', 200), { action: 'allow' }, 'senders are independent');
  assert.deepEqual(rl.check('a@x.org', 1200), { action: 'allow' });
  assert.equal(rl.check('a@x.org', 1300).action, 'notify', 'a new notice after being allowed again');
});

test('the rate limiter forgets the least recently seen sender beyond its bound', () => {
  const rl = new SenderRateLimiter({ burst: 1, refillMs: 1e9, maxSenders: 2 });
  rl.check('a@x', 0);
  rl.check('b@x', 0);
  rl.check('a@x', 1); // a is now more recent than b
  rl.check('c@x', 2); // evicts b
  assert.equal(rl.size, 2);
  assert.equal(rl.check('b@x', 3).action, 'allow', 'b was forgotten, so it has a fresh bucket');
  assert.throws(() => new SenderRateLimiter({ burst: 0 }), /burst/);
});
