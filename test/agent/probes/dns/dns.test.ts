/**
 * The dns runner against real DNS servers on loopback (test/helpers/dns-server.ts): UDP, TCP,
 * truncation falling back to TCP, DoT and DoH with a test CA, reverse lookups, DNSSEC's DO bit,
 * a three-level delegation for --trace, and the policy: a refused server is never contacted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { LocalAgent } from '../../../../agent/runtime/local-agent.ts';
import { TargetGuard } from '../../../../agent/runtime/target-guard.ts';
import type { AnswerEvent, MeasurementEvent } from '../../../../shared/model/events.ts';
import { parseEvent } from '../../../../shared/model/events.ts';
import { validateSpec } from '../../../../shared/model/validate-spec.ts';
import type { MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { DnsAnswer } from '../../../../shared/measurements/dns/dns-answer.ts';
import { renderText } from '../../../../shared/render/text-renderer.ts';
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.ts';
import { makeTestCa, type TestCa } from '../../../helpers/test-ca.ts';

let dns: TestDnsServer;
let ca: TestCa;
const many = Array.from({ length: 40 }, (_, i) => `127.0.3.${i + 1}`);

before(async () => {
  ca = makeTestCa(['dns.test', 'localhost'], ['127.0.0.1']);
  ca.trust();
  dns = await startDnsServer(
    { 'www.example.test': ['127.0.0.7'], 'big.example.test': many, 'dns.test': ['127.0.0.1'] },
    {
      tcp: true,
      truncateOver: 20,
      tls: { key: ca.key, cert: ca.cert },
      extra: [
        { type: 'MX', name: 'example.test', ttl: 300, class: 'IN', data: { preference: 10, exchange: 'mx.example.test' } },
        { type: 'TXT', name: 'example.test', ttl: 300, class: 'IN', data: ['v=spf1 -all'] },
      ],
    },
  );
});
after(async () => {
  await dns.close();
  ca.untrust();
  ca.cleanup();
});

async function run(input: Omit<MeasurementSpecInput, 'type'>, o: { guard?: 'public' | 'lan'; ranges?: string[]; dnsRoots?: string[] } = {}): Promise<MeasurementEvent[]> {
  const v = validateSpec({ type: 'dns', ...input });
  assert.ok(v.ok, v.ok ? '' : v.message);
  const local = new LocalAgent({ name: 'a1', dnsServers: dns.servers, ...(o.dnsRoots ? { dnsRoots: o.dnsRoots } : {}) });
  const agent = o.guard ? new TargetGuard({ inner: local, resolver: local.resolver, mode: o.guard, allowedRanges: o.ranges ?? [] }) : local;
  const events: MeasurementEvent[] = [];
  await agent.run(v.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  // Every event is one the hub would relay.
  for (const e of events) assert.ok(parseEvent(e).ok, JSON.stringify(parseEvent(e)));
  return events;
}

const answers = (events: MeasurementEvent[]): DnsAnswer[] => events.filter((e): e is AnswerEvent => e.type === 'answer').map((e) => e.data as DnsAnswer);

test('an A query over UDP to the agent\'s own server answers the zone\'s address with rcode, flags, server and time', async () => {
  const events = await run({ targets: ['www.example.test'] });
  const [a] = answers(events);
  assert.ok(a);
  assert.equal(a.rcode, 'NOERROR');
  assert.deepEqual(a.answer.map((r) => [r.name, r.type, r.data]), [['www.example.test.', 'A', '127.0.0.7']]);
  assert.equal(a.transport, 'udp');
  assert.equal(a.server, `127.0.0.1#${dns.port}`);
  assert.ok(a.flags.includes('qr') && a.flags.includes('rd') && a.flags.includes('ra'));
  assert.ok(a.timeMs > 0 && a.timeMs < 2000);
  assert.equal(events.at(-1)?.type, 'summary');
  const text = renderText(events);
  assert.match(text, /www\.example\.test\.\s+60\s+IN\s+A\s+127\.0\.0\.7/);
  assert.match(text, /;; NOERROR, flags: qr rd ra; 1 answer; [0-9.]+ ms from 127\.0\.0\.1#\d+ \(udp/);
});

test('MX and TXT records are shown in presentation form; an unknown name is NXDOMAIN', async () => {
  const mx = answers(await run({ targets: ['example.test'], queryType: 'MX' }))[0]!;
  assert.deepEqual(mx.answer.map((r) => r.data), ['10 mx.example.test.']);
  const txt = answers(await run({ targets: ['example.test'], queryType: 'TXT' }))[0]!;
  assert.deepEqual(txt.answer.map((r) => r.data), ['"v=spf1 -all"']);
  const nx = answers(await run({ targets: ['nope.example.test'] }))[0]!;
  assert.equal(nx.rcode, 'NXDOMAIN');
});

test('-x asks for the PTR of the reverse name', async () => {
  const a = answers(await run({ targets: ['127.0.0.7'], queryType: 'PTR' }))[0]!;
  assert.equal(a.question.name, '7.0.0.127.in-addr.arpa.');
  assert.deepEqual(a.answer.map((r) => r.data), ['www.example.test.']);
});

test('a truncated UDP answer is asked again over TCP and says so', async () => {
  const before = dns.queries.length;
  const a = answers(await run({ targets: ['big.example.test'] }))[0]!;
  assert.equal(a.transport, 'tcp');
  assert.match(a.note ?? '', /truncated/);
  assert.equal(a.answer.length, many.length);
  assert.deepEqual(dns.queries.slice(before).map((q) => q.transport), ['udp', 'tcp']);
});

test('--proto tcp asks over TCP; --dnssec sets the DO bit', async () => {
  const before = dns.queries.length;
  const a = answers(await run({ targets: ['www.example.test'], transport: 'tcp', dnssec: true }))[0]!;
  assert.equal(a.transport, 'tcp');
  assert.deepEqual(dns.queries.slice(before).map((q) => [q.transport, q.dnssec]), [['tcp', true]]);
});

test('DoT verifies the certificate against the server name and answers over TLS', async () => {
  const a = answers(await run({ targets: ['www.example.test'], transport: 'dot', server: `dns.test:${dns.dotPort}` }))[0]!;
  assert.equal(a.transport, 'dot');
  assert.equal(a.serverName, 'dns.test');
  assert.deepEqual(a.answer.map((r) => r.data), ['127.0.0.7']);
});

test('DoT refuses a certificate that does not name the server, unless --insecure', async () => {
  // localhost.example is served by the same certificate, which does not name it.
  const other = await startDnsServer({ 'wrong.test': ['127.0.0.1'] });
  try {
    const v = validateSpec({ type: 'dns', targets: ['www.example.test'], transport: 'dot', server: `wrong.test:${dns.dotPort}` });
    assert.ok(v.ok);
    const local = new LocalAgent({ name: 'a1', dnsServers: other.servers });
    const events: MeasurementEvent[] = [];
    await local.run(v.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
    const err = events.find((e) => e.type === 'error');
    assert.ok(err && err.type === 'error');
    assert.match(err.message, /certificate not valid for wrong\.test/);
    const ok: MeasurementEvent[] = [];
    await local.run({ ...v.spec, insecure: true }, { signal: new AbortController().signal, emit: (e) => ok.push(e) });
    assert.equal(answers(ok)[0]?.answer[0]?.data, '127.0.0.7');
  } finally {
    await other.close();
  }
});

test('DoH answers over POST, and over GET for a {?dns} URL template', async () => {
  const before = dns.queries.length;
  const post = answers(await run({ targets: ['www.example.test'], dohUrl: `https://dns.test:${dns.dohPort}/dns-query` }))[0]!;
  assert.equal(post.transport, 'doh');
  assert.deepEqual(post.answer.map((r) => r.data), ['127.0.0.7']);
  const get = answers(await run({ targets: ['www.example.test'], dohUrl: `https://dns.test:${dns.dohPort}/dns-query{?dns}` }))[0]!;
  assert.deepEqual(get.answer.map((r) => r.data), ['127.0.0.7']);
  // The DoH host's name itself is looked up over UDP first.
  assert.deepEqual(dns.queries.slice(before).filter((q) => q.name === 'www.example.test').map((q) => q.transport), ['doh', 'doh']);
});

test('a server that never answers gives one error line naming it and the timeout', async () => {
  const silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  try {
    const events = await run({ targets: ['www.example.test'], server: `127.0.0.1:${silent.address().port}`, timeoutMs: 100 });
    const err = events.find((e) => e.type === 'error');
    assert.ok(err && err.type === 'error');
    assert.match(err.message, /no answer from 127\.0\.0\.1#\d+ \(udp\) within 0\.1 s/);
  } finally {
    silent.close();
  }
});

test('under the public policy a --server on loopback is refused and never asked', async () => {
  const before = dns.queries.length;
  const events = await run({ targets: ['www.example.test'], server: `127.0.0.1:${dns.port}` }, { guard: 'public' });
  const err = events.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.equal(err.code, 'MP_ERR_POLICY');
  assert.match(err.message, /the DNS server 127\.0\.0\.1 .*loopback.*public policy/);
  assert.equal(dns.queries.length, before);
  assert.equal(events.some((e) => e.type === 'start'), false);
});

test('a --server name that resolves to a refused address is refused and never asked', async () => {
  const before = dns.queries.length;
  const events = await run({ targets: ['www.example.test'], transport: 'dot', server: `dns.test:${dns.dotPort}` }, { guard: 'lan', ranges: ['127.0.0.7/32'] });
  const err = events.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.match(err.message, /the DNS server dns\.test \(127\.0\.0\.1\) .*outside this agent's allowed ranges/);
  assert.equal(dns.queries.filter((q) => q.transport === 'dot').length, dns.queries.slice(0, before).filter((q) => q.transport === 'dot').length);
});

test('--trace follows a three-level delegation from the roots, one answer per step', async (t) => {
  // Root and TLD servers refer; the authoritative server answers. The next levels listen on
  // port 53 of their own loopback addresses (glue carries no port), which needs root.
  const auth = await startDnsServer({ 'www.example.test': ['127.0.0.9'] }, { address: '127.0.10.3', port: 53, authoritative: true }).catch((e: Error) => e);
  if (auth instanceof Error) {
    t.skip(`cannot bind 127.0.10.3:53 (${auth.message}): the delegation needs root`);
    return;
  }
  const tld = await startDnsServer({}, { address: '127.0.10.2', port: 53, delegations: [{ zone: 'example.test', ns: [{ name: 'ns.example.test', address: '127.0.10.3' }] }] });
  const root = await startDnsServer({}, { address: '127.0.10.1', delegations: [{ zone: 'test', ns: [{ name: 'ns.tld.test', address: '127.0.10.2' }] }] });
  try {
    const events = await run({ targets: ['www.example.test'], trace: true, roots: [`127.0.10.1:${root.port}`] });
    const steps = answers(events);
    assert.deepEqual(steps.map((s) => [s.zone, s.server]), [['.', `127.0.10.1#${root.port}`], ['test.', '127.0.10.2#53'], ['example.test.', '127.0.10.3#53']]);
    assert.deepEqual(steps.map((s) => s.serverName), [undefined, 'ns.tld.test', 'ns.example.test']);
    assert.ok(steps[2]!.flags.includes('aa'));
    assert.deepEqual(steps[2]!.answer.map((r) => r.data), ['127.0.0.9']);
    // Iterative: no query asked for recursion.
    for (const s of [root, tld, auth]) assert.ok(s.queries.every((q) => q.rd === false));
    const text = renderText(events);
    assert.match(text, /test\.\s+3600\s+IN\s+NS\s+ns\.tld\.test\./);
    assert.match(text, /www\.example\.test\.\s+60\s+IN\s+A\s+127\.0\.0\.9/);
    // The roots may come from the agent's MESHPROBE_DNS_ROOTS too.
    const viaSetting = answers(await run({ targets: ['www.example.test'], trace: true }, { dnsRoots: [`127.0.10.1:${root.port}`] }));
    assert.equal(viaSetting.length, 3);
    // Under allowed ranges that exclude the authoritative server, the trace stops there, refused.
    const before = auth.queries.length;
    const refused = await run({ targets: ['www.example.test'], trace: true, roots: [`127.0.10.1:${root.port}`] }, { guard: 'lan', ranges: ['127.0.10.1/32', '127.0.10.2/32'] });
    const err = refused.find((e) => e.type === 'error');
    assert.ok(err && err.type === 'error');
    assert.match(err.message, /the name server ns\.example\.test \(127\.0\.10\.3\)/);
    assert.equal(auth.queries.length, before);
  } finally {
    await Promise.all([root.close(), tld.close(), auth.close()]);
  }
});

test('dns-packet round trip of the query the agent sends: one question, EDNS0 OPT', async () => {
  const { encodeQuery } = await import('../../../../agent/probes/dns/dns-wire.ts');
  const q = dnsPacket.decode(encodeQuery({ name: 'example.test', type: 'HTTPS', rd: true, dnssec: true }, 7));
  assert.equal(q.id, 7);
  assert.equal(q.questions?.[0]?.type, 'UNKNOWN_65');
  assert.equal(q.additionals?.[0]?.type, 'OPT');
});
