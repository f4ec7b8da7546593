import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { parseAllowList, replyDecision, SenderRateLimiter, senderAllowed } from '../../../shared/email/email-policy.ts';
import type { HeaderLookup } from '../../../shared/email/email-policy.ts';
import { dmarcFailed, parseAuthenticationResults } from '../../../shared/email/email-authentication.ts';
import { ReplyBudget, replySize } from '../../../shared/email/email-reply-budget.ts';

const dir = join(import.meta.dirname, '../../fixtures/email');

function lookup(headers: Record<string, string | string[]>): HeaderLookup {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase());
}

/** A fixture as the gateways see it: every occurrence of a header, in order. */
async function fixture(name: string) {
  const mail = await PostalMime.parse(readFileSync(join(dir, `${name}.eml`)));
  return { mail, headers: (n: string) => mail.headers.filter((h) => h.key === n.toLowerCase()).map((h) => h.value) };
}

for (const name of ['auto-reply', 'mailing-list', 'bounce', 'auto-submitted-twice', 'precedence-auto-reply']) {
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

test('loop rules: repeated headers, Precedence: auto_reply and our own address (table)', () => {
  const base = { from: 'alice@example.org', returnPath: 'alice@example.org', ownAddresses: ['cli@meshprobe.example'] };
  const cases: { name: string; headers: Record<string, string | string[]>; extra?: Partial<typeof base>; reply: boolean; reason?: RegExp }[] = [
    { name: 'one Auto-Submitted: no', headers: { 'Auto-Submitted': 'no' }, reply: true },
    { name: 'Auto-Submitted: no, then auto-replied', headers: { 'Auto-Submitted': ['no', 'auto-replied'] }, reply: false, reason: /Auto-Submitted: auto-replied/ },
    { name: 'Auto-Submitted: auto-generated, then no', headers: { 'Auto-Submitted': ['auto-generated', 'no'] }, reply: false, reason: /auto-generated/ },
    { name: 'Auto-Submitted: no with a parameter', headers: { 'Auto-Submitted': 'no; comment=x' }, reply: true },
    { name: 'Auto-Submitted: auto-notified with a parameter', headers: { 'Auto-Submitted': 'Auto-Notified; owner-email="x@example.org"' }, reply: false, reason: /auto-notified/ },
    { name: 'Precedence: auto_reply', headers: { Precedence: 'auto_reply' }, reply: false, reason: /Precedence: auto_reply/ },
    { name: 'Precedence: AUTO_REPLY', headers: { Precedence: 'AUTO_REPLY' }, reply: false },
    { name: 'a second Precedence: bulk', headers: { Precedence: ['first-class', 'bulk'] }, reply: false },
    { name: 'From our own address', headers: {}, extra: { from: 'CLI@meshprobe.example' }, reply: false, reason: /own address/ },
    { name: 'return path our own address', headers: {}, extra: { returnPath: '<cli@meshprobe.example>' }, reply: false, reason: /own address/ },
    { name: 'another address at our domain', headers: {}, extra: { from: 'bob@meshprobe.example' }, reply: true },
  ];
  for (const c of cases) {
    const d = replyDecision({ ...base, ...c.extra, headers: lookup(c.headers) });
    assert.equal(d.reply, c.reply, c.name);
    if (c.reason) assert.match(!d.reply ? d.reason : '', c.reason, c.name);
  }
});

test('Authentication-Results is parsed per RFC 8601: authserv-id first, method=result, comments dropped', () => {
  assert.deepEqual(parseAuthenticationResults('mx.cloudflare.net; dkim=pass header.d=gmail.com header.s=x; dmarc=pass header.from=gmail.com policy.dmarc=none; spf=none (mx.cloudflare.net: no SPF records found for a@b) smtp.helo=h'), {
    authservId: 'mx.cloudflare.net',
    results: [{ method: 'dkim', result: 'pass' }, { method: 'dmarc', result: 'pass' }, { method: 'spf', result: 'none' }],
  });
  assert.deepEqual(parseAuthenticationResults('example.com 1 (a version); DKIM/1 = Fail (a; comment (nested; too)) reason="bad; sig"; dmarc=fail'), {
    authservId: 'example.com',
    results: [{ method: 'dkim', result: 'fail' }, { method: 'dmarc', result: 'fail' }],
  });
  assert.deepEqual(parseAuthenticationResults('"quoted.example" ; none'), { authservId: 'quoted.example', results: [] });
  assert.equal(parseAuthenticationResults('  ; dmarc=fail'), undefined);
  // A comment cannot smuggle a result in, nor can a quoted string.
  assert.deepEqual(parseAuthenticationResults('mx.example; spf=pass (dmarc=fail) smtp.mailfrom=x; x-note="; dmarc=fail"')?.results, [{ method: 'spf', result: 'pass' }]);
});

test('dmarc=fail counts only in a header of the configured authserv-id', () => {
  const ours = 'MX.Cloudflare.net; dkim=none; dmarc=fail (p=reject) header.from=example.org';
  const forged = 'mx.forged.example; dmarc=fail header.from=example.org';
  assert.equal(dmarcFailed([ours], 'mx.cloudflare.net'), true, 'authserv-id compared case-insensitively');
  assert.equal(dmarcFailed([forged], 'mx.cloudflare.net'), false, 'another authserv-id is ignored');
  assert.equal(dmarcFailed([forged, ours], 'mx.cloudflare.net'), true, 'any header of ours, in any position');
  assert.equal(dmarcFailed(['mx.cloudflare.net; dmarc=pass; dkim=fail'], 'mx.cloudflare.net'), false);
  assert.equal(dmarcFailed(['mx.cloudflare.net.evil.example; dmarc=fail'], 'mx.cloudflare.net'), false, 'the whole id, not a prefix');
  assert.equal(dmarcFailed([ours], undefined), false, 'no authserv-id: nothing trusted');
  assert.equal(dmarcFailed([ours], ' '), false);
  const d = replyDecision({ from: 'ceo@example.org', returnPath: 'ceo@example.org', headers: lookup({ 'Authentication-Results': [forged, ours] }), authservId: 'mx.cloudflare.net' });
  assert.deepEqual(d, { reply: false, reason: 'dmarc=fail in the Authentication-Results of mx.cloudflare.net' });
  assert.equal(replyDecision({ from: 'ceo@example.org', returnPath: 'ceo@example.org', headers: lookup({ 'Authentication-Results': forged }), authservId: 'mx.cloudflare.net' }).reply, true);
});

test('the reply budget allows so many replies and bytes per minute, refills steadily and names the bound', () => {
  const b = new ReplyBudget({ repliesPerMinute: 2, bytesPerMinute: 1000 });
  assert.deepEqual(b.take(100, 0), { ok: true });
  assert.deepEqual(b.take(100, 0), { ok: true });
  assert.deepEqual(b.available(0), { ok: false, reason: "the gateway's reply budget of 2 replies per minute is spent" });
  assert.deepEqual(b.take(100, 1000), { ok: false, reason: "the gateway's reply budget of 2 replies per minute is spent" });
  assert.equal(b.refused, 2);
  assert.deepEqual(b.take(100, 30_000), { ok: true }, 'one reply back after half a minute');
  assert.equal(b.take(100, 30_000).ok, false);
  const bytes = new ReplyBudget({ repliesPerMinute: 100, bytesPerMinute: 1000 });
  assert.equal(bytes.take(900, 0).ok, true);
  assert.deepEqual(bytes.take(200, 0), { ok: false, reason: "the gateway's reply budget of 1000 bytes per minute is spent (this reply: 200 bytes)" });
  assert.equal(bytes.take(100, 0).ok, true, 'a refusal takes nothing');
  assert.equal(bytes.take(2000, 600_000).ok, false, 'a reply over the whole budget never goes');
  assert.equal(new ReplyBudget().repliesPerMinute, 20);
  assert.throws(() => new ReplyBudget({ repliesPerMinute: 0 }), /repliesPerMinute must be a whole number ≥ 1/);
  assert.equal(replySize({ subject: 'Re: é', text: 'ab', html: '<p>' }), 6 + 2 + 3);
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
