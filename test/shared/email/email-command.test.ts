import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { commandCandidates, findEmailCommand, stripReplyPrefixes } from '../../../shared/email/email-command.ts';

const dir = join(import.meta.dirname, '../../fixtures/email');

interface Expected {
  source?: string;
  line?: string;
  command?: string;
  spec?: Record<string, unknown>;
  fromName?: string;
  found?: boolean;
  failedLine?: string;
  reply?: boolean;
}

const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.eml'))
  .map((f) => ({ name: f.replace(/\.eml$/, ''), expected: JSON.parse(readFileSync(join(dir, f.replace(/\.eml$/, '.json')), 'utf8')) as Expected }))
  .filter((f) => f.expected.reply === undefined);

test('every command fixture has an expectation', () => {
  assert.ok(fixtures.length >= 8, `only ${fixtures.length} fixtures`);
});

for (const { name, expected } of fixtures) {
  test(`fixture ${name}: the command is found as real clients write it`, async () => {
    // The same parser as the Worker, so a fixture proves what workerd will see.
    const mail = await PostalMime.parse(readFileSync(join(dir, `${name}.eml`)));
    const r = findEmailCommand({ subject: mail.subject, text: mail.text, html: mail.html });
    if (expected.found === false) {
      assert.equal(r.found, false);
      assert.ok(!r.found && r.failed, 'a failed command line is reported');
      assert.equal(r.failed!.line, expected.failedLine);
      assert.match(r.failed!.usage, /^usage: ping/);
      assert.ok(r.failed!.message.length > 0 && !r.failed!.message.includes('\n'));
      return;
    }
    assert.ok(r.found, `no command found in ${name}`);
    assert.equal(r.line, expected.line);
    assert.equal(r.source, expected.source);
    assert.equal(r.command.command, expected.command);
    if (expected.spec) {
      assert.ok('spec' in r.command);
      const spec = r.command.spec as Record<string, unknown>;
      for (const [k, v] of Object.entries(expected.spec)) assert.deepEqual(spec[k], v, `${name}: spec.${k}`);
    }
    if (expected.fromName) assert.equal(mail.from?.name, expected.fromName);
  });
}

test('quoted lines and everything after the signature are ignored', () => {
  const body = '> ping 192.0.2.1\n\n\u00a0\ntraceroute example.com\n-- \nping 192.0.2.2';
  assert.deepEqual(commandCandidates(body), ['traceroute example.com']);
  const r = findEmailCommand({ text: '> ping 192.0.2.1\n-- \nping 192.0.2.2' });
  assert.equal(r.found, false);
});

test('a signature separator without its trailing space still ends the body', () => {
  assert.deepEqual(commandCandidates('hello\n--\nping 192.0.2.2'), ['hello']);
});

test('Outlook history without > markers is not searched', () => {
  const r = findEmailCommand({ text: 'thanks\n\n-----Original Message-----\nFrom: x\nping 192.0.2.1' });
  assert.equal(r.found, false);
});

test('the subject is used with reply prefixes stripped, the body wins over it', () => {
  assert.equal(stripReplyPrefixes('Re: RE: Fwd: AW: Re[2]: ping x'), 'ping x');
  const fromSubject = findEmailCommand({ subject: 'Re: ping -c 2 example.com', text: 'thanks' });
  assert.ok(fromSubject.found && fromSubject.source === 'subject' && fromSubject.line === 'ping -c 2 example.com');
  const fromBody = findEmailCommand({ subject: 'Re: ping -c 2 example.com', text: 'traceroute example.org' });
  assert.ok(fromBody.found && fromBody.source === 'text' && fromBody.command.command === 'traceroute');
});

test('prose is not a command and an empty message finds nothing', () => {
  assert.deepEqual(findEmailCommand({ text: 'Dear team,\nplease have a look.' }), { found: false });
  assert.deepEqual(findEmailCommand({}), { found: false });
});

test('a huge body is read only up to the line bound', () => {
  const text = 'blah blah\n'.repeat(1000) + 'ping example.com\n';
  assert.equal(findEmailCommand({ text }).found, false);
  assert.equal(findEmailCommand({ text }, { maxLines: 2000 }).found, true);
});
