// Pure-function tests: the addresses are inputs only; no traffic.
//
// Until issue 12 the sweep (shared/net/cidr.ts) and the target policy (shared/net/address-policy.ts)
// each parsed prefixes and addresses, with different shapes and different edge cases: `/08` was a
// /8 to the sweep but no prefix to the policy, so the hub's checks skipped what the agent swept.
// Now one parser serves both. This table is the decision for each tricky form, and checks that
// every entry point (the grammar's CIDR check, the policy, the agent's --allow and the hub's
// MESHPROBE_AGENT_RANGES) reads it the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr } from '../../../shared/net/cidr.ts';
import { formatIp, isIp, parseIp, TARGET_ADDRESS } from '../../../shared/net/ip-address.ts';
import { classifyAddress, isAllowed, isPrefixAllowed } from '../../../shared/net/address-policy.ts';
import { parseAgentRanges } from '../../../hub/core/agent-ranges.ts';
import { parseCommand } from '../../../shared/command/grammar.ts';

/** [input, the prefix it is, or the one-line refusal]. */
const prefixes: Array<[string, string]> = [
  // IPv4-mapped IPv6: a v6 prefix like any other; the policy judges the IPv4 addresses it embeds.
  ['::ffff:10.0.0.0/104', '::ffff:10.0.0.0/104'],
  ['::ffff:127.0.0.1/128', '::ffff:127.0.0.1/128'],
  // Zone ids pick a link, not addresses: meaningless in a range, refused wherever they sit.
  ['fe80::%eth0/64', "'fe80::%eth0/64' has a zone index; a zone names a link, not a range of addresses"],
  ['fe80::/64%eth0', "'fe80::/64%eth0' has a zone index; a zone names a link, not a range of addresses"],
  // Leading zeros: octal to some tools, so neither an octet nor a length may have one.
  ['010.0.0.0/8', "'010.0.0.0' has an octet with a leading zero (octal to some tools)"],
  ['10.0.0.0/08', "'/08' has a leading zero; write /8"],
  ['10.0.0.0/008', "'/008' has a leading zero; write /8"],
  // /0 is a prefix (the policy refuses it in public mode; the sweep bound refuses its size).
  ['0.0.0.0/0', '0.0.0.0/0'],
  ['::/0', '::/0'],
  ['10.0.0.0/33', "'/33' is not a prefix length (0–32 for IPv4)"],
  ['2001:db8::/129', "'/129' is not a prefix length (0–128 for IPv6)"],
  ['10.0.0.0/-1', "'/-1' is not a prefix length (0–32 for IPv4)"],
  ['10.0.0.0/+8', "'/+8' is not a prefix length (0–32 for IPv4)"],
  ['10.0.0.0/8/8', "'/8/8' is not a prefix length (0–32 for IPv4)"],
  ['10.0.0.0/', "'/' is not a prefix length (0–32 for IPv4)"],
  // Host bits set: cleared, as fping -g does (the prefix covers the same addresses either way).
  ['10.1.2.3/16', '10.1.0.0/16'],
  ['2001:DB8::1/120', '2001:db8::/120'],
  // Hex, shorthand and integer IPv4 forms are hostnames to a resolver, never prefixes here.
  ['0x7f.1/8', "'0x7f.1' is a hex IPv4 form; write a dotted quad such as 127.0.0.1"],
  ['0x7f000001/32', "'0x7f000001' is a hex IPv4 form; write a dotted quad such as 127.0.0.1"],
  ['127.1/8', "'127.1' is a shorthand IPv4 form; write all four octets, e.g. 127.0.0.1"],
  ['2130706433/32', "'2130706433' is a shorthand IPv4 form; write all four octets, e.g. 127.0.0.1"],
  ['256.0.0.0/8', "'256.0.0.0' has an octet over 255"],
  // Whitespace around is trimmed; inside, it splits the word and is refused.
  [' 198.18.0.0/15\t', '198.18.0.0/15'],
  ['10.0.0.0 /8', "'10.0.0.0 /8' contains whitespace; write a prefix as one word, e.g. 192.0.2.0/24"],
  ['10.0.0.0/ 8', "'10.0.0.0/ 8' contains whitespace; write a prefix as one word, e.g. 192.0.2.0/24"],
  ['[2001:db8::]/32', "'[2001:db8::]/32' has brackets; they go around an IPv6 address before a port, not in a prefix"],
  ['example.test/24', "'example.test' is not an IPv4 or IPv6 address"],
  ['', "'' is not a CIDR prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/120)"],
];

for (const [input, want] of prefixes) {
  const accepted = !want.startsWith("'");
  test(`prefix ${JSON.stringify(input)}: ${accepted ? want : 'refused'} by every entry point`, () => {
    const sweep = parseCidr(input);
    assert.deepEqual(sweep.ok ? sweep.prefix.text : sweep.message, want, 'sweep / grammar');
    const range = parseCidr(input, { bareAddress: true });
    assert.deepEqual(range.ok ? range.prefix.text : range.message, want, 'allow-list');
    const policy = isPrefixAllowed(input, 'lan');
    assert.equal(policy.ok, accepted, 'policy');
    if (!policy.ok && !accepted) assert.equal(policy.reason, want, 'policy names the same problem');
    if (input.trim() !== '' && !/[\s,;]/.test(input.trim())) {
      if (accepted) assert.doesNotThrow(() => parseAgentRanges(`lax1=${input}`), 'hub ranges');
      else assert.throws(() => parseAgentRanges(`lax1=${input}`), /is not a CIDR prefix/, 'hub ranges');
      const cmd = parseCommand(`probe ${input.trim()}`);
      if (!accepted) assert.deepEqual(cmd, { ...cmd, ok: false }, 'grammar refuses');
      if (!accepted && !cmd.ok) assert.match(cmd.message, new RegExp(`^probe: ${want.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
  });
}

test('a bare address: a sweep asks for the length, an allow-list takes it as one host', () => {
  assert.deepEqual(parseCidr('10.0.0.1'), { ok: false, message: '10.0.0.1 is an address, not a prefix; write 10.0.0.1/32 for one host' });
  const r = parseCidr('10.0.0.1', { bareAddress: true });
  assert.equal(r.ok && r.prefix.text, '10.0.0.1/32');
  assert.equal(isPrefixAllowed('10.0.0.1', 'lan', { allowedRanges: ['10.0.0.1'] }).ok, true);
  assert.doesNotThrow(() => parseAgentRanges('lax1=10.0.0.1'));
  assert.equal(parseCidr('fe80::1%eth0', { bareAddress: true }).ok, false, 'a zone is refused in a range even on a bare address');
});

/** [input, strict literal (grammar, sweep, codecs), target form (policy, hub gates, agent guard)]. */
const addresses: Array<[string, string | undefined, string | undefined]> = [
  ['::ffff:127.0.0.1', '::ffff:127.0.0.1', '::ffff:127.0.0.1'],
  ['::FFFF:7F00:1', '::ffff:127.0.0.1', '::ffff:127.0.0.1'],
  // A zone is dropped where a target may carry one; an empty zone or one on IPv4 is a typo.
  ['fe80::1%eth0', undefined, 'fe80::1'],
  ['fe80::1%', undefined, undefined],
  ['127.0.0.1%eth0', undefined, undefined],
  ['[::1]', undefined, '::1'],
  ['[fe80::1%eth0]', undefined, 'fe80::1'],
  ['010.0.0.1', undefined, undefined],
  ['0x7f.1', undefined, undefined],
  ['0x7f000001', undefined, undefined],
  ['127.1', undefined, undefined],
  ['2130706433', undefined, undefined],
  [' 127.0.0.1 ', '127.0.0.1', '127.0.0.1'],
  ['127.0.0.1 ::1', undefined, undefined],
  ['1.2.3.4/32', undefined, undefined],
];

for (const [input, strict, target] of addresses) {
  test(`address ${JSON.stringify(input)}: strict ${strict ?? 'refused'}, as a target ${target ?? 'refused'}`, () => {
    const a = parseIp(input);
    assert.equal(a && formatIp(a.family, a.value), strict);
    const t = parseIp(input, TARGET_ADDRESS);
    assert.equal(t && formatIp(t.family, t.value), target);
    assert.equal(isIp(input, TARGET_ADDRESS), target !== undefined);
    // The policy classifies exactly what the target form accepts, and refuses the rest until resolved.
    assert.equal(classifyAddress(input) !== undefined, target !== undefined);
    assert.equal(isAllowed(input, 'lan').ok, target !== undefined);
  });
}

test('the policy classifies a mapped or zoned address by the address itself', () => {
  assert.equal(classifyAddress('::ffff:127.0.0.1')?.kind, 'loopback');
  assert.equal(classifyAddress('fe80::1%eth0')?.kind, 'link-local');
  assert.equal(isPrefixAllowed('::ffff:10.0.0.0/104', 'public').ok, false);
});
