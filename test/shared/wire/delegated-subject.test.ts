// The delegated-subject check (pure): which X-Meshprobe-On-Behalf-Of values the hub accepts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delegatedSubjectProblem, emailSubject, MAX_DELEGATED_SUBJECT_LENGTH } from '../../../shared/wire/delegated-subject.ts';

test('telegram:<digits> and email:<address> are accepted', () => {
  for (const s of ['telegram:1', 'telegram:123456789012', 'email:alice@example.org', 'email:a.b+tag@mail.example.co.uk', 'email:root@localhost']) {
    assert.equal(delegatedSubjectProblem(s), undefined, s);
  }
});

test('everything else gets a one-line reason naming the rule', () => {
  const cases: [string, RegExp][] = [
    ['', /is empty/],
    ['telegram:', /not telegram:<user id> or email:<address>/],
    ['telegram:0', /not telegram/],
    ['telegram:12a', /not telegram/],
    ['telegram:-5', /not telegram/],
    ['email:alice', /not telegram/],
    ['email:a@b@example.org', /not telegram/],
    ['email:<a@example.org>', /not telegram/],
    ['email:a b@example.org', /contains white space \(U\+0020\)/],
    ['admin', /not telegram/],
    ['agent:lax1', /not telegram/],
    ['service:telegram', /not telegram/],
    ['telegram:1\n', /contains a control or invisible character \(U\+000A\)/],
    ['email:a\u0000@example.org', /control or invisible character \(U\+0000\)/],
    ['email:a\u007f@example.org', /control or invisible character \(U\+007F\)/],
    ['email:a\u200b@example.org', /control or invisible character \(U\+200B\)/],
    ['telegram:1\u00a0', /white space \(U\+00A0\)/],
    [`email:${'a'.repeat(MAX_DELEGATED_SUBJECT_LENGTH)}@example.org`, /characters long; the limit is 260/],
  ];
  for (const [input, reason] of cases) {
    const problem = delegatedSubjectProblem(input);
    assert.ok(problem, JSON.stringify(input));
    assert.match(problem, reason, JSON.stringify(input));
    assert.ok(!problem.includes('\n'), JSON.stringify(input));
  }
});

test('emailSubject lower-cases and trims, so one sender is one key', () => {
  assert.equal(emailSubject('  Alice@Example.ORG '), 'email:alice@example.org');
});
