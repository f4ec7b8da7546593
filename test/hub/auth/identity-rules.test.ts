import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIdentityRules, scopesFor } from '../../../hub/auth/identity-rules.ts';

test('no rules let nobody in', () => {
  assert.deepEqual(scopesFor(parseIdentityRules(''), { subject: 'oidc:1', email: 'a@example.com' }), []);
});

test('a domain rule matches verified addresses at that domain only, not subdomains', () => {
  const rules = parseIdentityRules('domain:example.com');
  assert.deepEqual(scopesFor(rules, { subject: 'oidc:1', email: 'Ann@Example.COM' }), ['measure', 'read']);
  assert.deepEqual(scopesFor(rules, { subject: 'oidc:2', email: 'bob@evil.example.com' }), []);
  assert.deepEqual(scopesFor(rules, { subject: 'oidc:3' }), []);
});

test('every matching rule adds its scopes; org, login and subject rules match', () => {
  const rules = parseIdentityRules('github-org:acme=measure; github:octo=monitor:write+monitor:read; sub:oidc:7=admin');
  assert.deepEqual(scopesFor(rules, { subject: 'github:42', login: 'Octo', orgs: ['ACME'] }), ['measure', 'monitor:read', 'monitor:write']);
  assert.deepEqual(scopesFor(rules, { subject: 'oidc:7' }), ['admin']);
  assert.deepEqual(scopesFor(rules, { subject: 'github:43', login: 'other', orgs: ['other'] }), []);
});

test('a rule that gives an agent or delegate scope, or an unknown kind, is refused with its text', () => {
  assert.throws(() => parseIdentityRules('*=agent'), /rule '\*=agent' gives agent, which is no scope for people/);
  assert.throws(() => parseIdentityRules('domain:x.org=delegate measure'), /gives delegate/);
  assert.throws(() => parseIdentityRules('team:x'), /'team:x' is not \*, domain:NAME/);
});
