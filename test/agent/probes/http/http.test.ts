/**
 * The http runner against real servers on loopback (test/helpers/http-server.ts): per-phase
 * timings checked against injected delays, HTTP/1.1 and HTTP/2 over TLS with a test CA, TLS
 * details, redirects, caps, and the SSRF matrix: refused with a reason and, as the server
 * counts, no connection made.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LocalAgent } from '../../../../agent/runtime/local-agent.ts';
import { TargetGuard } from '../../../../agent/runtime/target-guard.ts';
import { connectRefusal } from '../../../../agent/runtime/connect-check.ts';
import type { AnswerEvent, MeasurementEvent } from '../../../../shared/model/events.ts';
import { parseEvent } from '../../../../shared/model/events.ts';
import { validateSpec } from '../../../../shared/model/validate-spec.ts';
import type { MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { HttpAnswer } from '../../../../shared/measurements/http/http-answer.ts';
import { renderText } from '../../../../shared/render/text-renderer.ts';
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.ts';
import { startHttpServer, type TestHttpServer } from '../../../helpers/http-server.ts';
import { makeTestCa, type TestCa } from '../../../helpers/test-ca.ts';

/** Generous: a 2-core box shared by several test runs. The ±2 ms comparison is in bench/. */
const MARGIN_MS = 400;

let ca: TestCa;
let dns: TestDnsServer;
let plain: TestHttpServer;
let h2: TestHttpServer;
let slowTls: TestHttpServer;

before(async () => {
  ca = makeTestCa(['web.test', 'localhost'], ['127.0.0.1']);
  ca.trust();
  dns = await startDnsServer({ 'web.test': ['127.0.0.1'], 'loop.test': ['127.0.0.1'], 'two.test': ['127.0.0.2'] }, { sequence: { 'rebind.test': ['127.0.0.2', '127.0.0.3'] } });
  plain = await startHttpServer();
  h2 = await startHttpServer({ tls: { key: ca.key, cert: ca.cert, h2: true } });
  slowTls = await startHttpServer({ tls: { key: ca.key, cert: ca.cert, delayTlsMs: 150 } });
  // The first request of a process compiles undici's HTTP parser and a good deal of code, which
  // shifts whichever phase it lands in by a few ms; an agent measures warm after its first run.
  await run({ targets: [`https://web.test:${h2.port}/`] });
  await run({ targets: [`https://web.test:${h2.port}/`], http2: true });
});
after(async () => {
  await Promise.all([plain.close(), h2.close(), slowTls.close(), dns.close()]);
  ca.untrust();
  ca.cleanup();
});

async function run(input: Omit<MeasurementSpecInput, 'type'>, o: { guard?: 'public' | 'lan'; ranges?: string[]; dnsServers?: string[] } = {}): Promise<MeasurementEvent[]> {
  const v = validateSpec({ type: 'http', ...input });
  assert.ok(v.ok, v.ok ? '' : v.message);
  const local = new LocalAgent({ name: 'a1', dnsServers: o.dnsServers ?? dns.servers });
  const agent = o.guard ? new TargetGuard({ inner: local, resolver: local.resolver, mode: o.guard, allowedRanges: o.ranges ?? [] }) : local;
  const events: MeasurementEvent[] = [];
  await agent.run(v.spec, { signal: new AbortController().signal, emit: (e) => events.push(e) });
  for (const e of events) assert.ok(parseEvent(e).ok, JSON.stringify(parseEvent(e)));
  return events;
}

const answers = (events: MeasurementEvent[]): HttpAnswer[] => events.filter((e): e is AnswerEvent => e.type === 'answer').map((e) => e.data as HttpAnswer);
const errorOf = (events: MeasurementEvent[]) => {
  const e = events.find((x) => x.type === 'error');
  assert.ok(e && e.type === 'error', `no error in ${JSON.stringify(events)}`);
  return e;
};
const within = (v: number | null, delay: number, what: string): void => {
  assert.ok(v !== null && v >= delay - 1 && v < delay + MARGIN_MS, `${what} ${v} ms, injected ${delay} ms`);
};

test('HTTP/1.1: status, headers, body and the time of each phase (dns, first byte, download) against injected delays', async () => {
  const slowDns = await startDnsServer({ 'web.test': ['127.0.0.1'] }, { delayMs: 120 });
  try {
    // A stall of this process longer than a phase (a loaded 2-core box) shows the phase's end
    // late and merges it into the next one: one more try before the bounds are asserted.
    const once = () => run({ targets: [`http://web.test:${plain.port}/slow?head=200&body=150`] }, { dnsServers: slowDns.servers });
    const fits = (e: MeasurementEvent[]) => {
      const t = answers(e)[0]?.timings;
      return t !== undefined && t.dnsMs >= 119 && t.firstByteMs >= 199 && t.downloadMs >= 149;
    };
    let events = await once();
    if (!fits(events)) events = await once();
    const [a] = answers(events);
    assert.ok(a);
    assert.equal(a.status, 200);
    assert.equal(a.httpVersion, '1.1');
    assert.equal(a.remoteAddress, '127.0.0.1');
    assert.equal(a.remotePort, plain.port);
    assert.ok(a.headers.some(([k, v]) => k === 'x-test' && v === 'yes'));
    assert.equal(a.body.text, 'first\nlast\n');
    within(a.timings.dnsMs, 120, 'dns');
    within(a.timings.firstByteMs, 200, 'first byte');
    within(a.timings.downloadMs, 150, 'download');
    assert.equal(a.timings.tlsMs, null);
    assert.ok(a.timings.connectMs >= 0 && a.timings.connectMs < MARGIN_MS);
    const sum = a.timings.dnsMs + a.timings.connectMs + a.timings.firstByteMs + a.timings.downloadMs;
    assert.ok(a.timings.totalMs >= sum - 0.01, `total ${a.timings.totalMs} < phases ${sum}`);
    assert.match(plain.requests.at(-1)!.userAgent, /^meshprobe\/\S+ /);
    const text = renderText(events);
    assert.match(text, /HTTP\/1\.1 200 OK {2}GET http:\/\/web\.test:\d+\/slow\?head=200&body=150 {2}from 127\.0\.0\.1:\d+, 11 bytes/);
    assert.match(text, /dns [0-9.]+ {2}connect [0-9.]+ {2}tls - {2}first byte [0-9.]+ {2}download [0-9.]+ {2}total [0-9.]+ ms/);
  } finally {
    await slowDns.close();
  }
});

test('HTTPS: the TLS handshake time covers an injected delay; TLS details name the certificate and its validity', async () => {
  const [a] = answers(await run({ targets: [`https://web.test:${slowTls.port}/`] }));
  assert.ok(a?.tls);
  within(a.timings.tlsMs, 150, 'tls');
  assert.match(a.tls.protocol, /^TLSv1\.[23]$/);
  assert.ok(a.tls.cipher.length > 0);
  assert.equal(a.tls.subject, 'CN=web.test');
  assert.equal(a.tls.issuer, 'CN=meshprobe test CA');
  assert.ok(a.tls.san.includes('DNS:web.test'));
  assert.equal(a.tls.trusted, true);
  assert.equal(a.tls.validForHost, true);
  assert.match(a.tls.validTo, /GMT$/);
});

test('--http2 speaks HTTP/2 (ALPN h2); without it the same server answers HTTP/1.1', async () => {
  const [two] = answers(await run({ targets: [`https://web.test:${h2.port}/`], http2: true }));
  assert.equal(two?.httpVersion, '2');
  assert.equal(two?.tls?.alpn, 'h2');
  assert.equal(h2.requests.at(-1)?.httpVersion, '2.0');
  const [one] = answers(await run({ targets: [`https://web.test:${h2.port}/`] }));
  assert.equal(one?.httpVersion, '1.1');
});

test('a certificate not valid for the host is refused unless --insecure, and reported either way', async () => {
  const resolve = [`wrong.test:${h2.port}:127.0.0.1`];
  const refused = await run({ targets: [`https://wrong.test:${h2.port}/`], resolve });
  // The certificate names web.test, localhost and 127.0.0.1, not wrong.test.
  assert.match(errorOf(refused).message, /certificate not valid for wrong\.test/);
  const [a] = answers(await run({ targets: [`https://wrong.test:${h2.port}/`], resolve, insecure: true }));
  assert.equal(a?.tls?.validForHost, false);
  assert.equal(a?.tls?.trusted, true);
  assert.equal(a?.status, 200);
});

test('--resolve connects to the address given for HOST:PORT without asking DNS', async () => {
  const before = dns.queries.length;
  const [a] = answers(await run({ targets: [`https://nowhere.test:${h2.port}/`], resolve: [`nowhere.test:${h2.port}:127.0.0.1`], insecure: true }));
  assert.equal(a?.remoteAddress, '127.0.0.1');
  assert.equal(a?.timings.dnsMs !== undefined && a.timings.dnsMs < 5, true);
  assert.equal(dns.queries.length, before);
});

test('redirects are reported, not followed, unless --follow; each hop is an answer', async () => {
  const target = `http://127.0.0.1:${plain.port}/redirect?to=/size%3Fn%3D3`;
  const one = answers(await run({ targets: [target] }));
  assert.deepEqual(one.map((a) => a.status), [302]);
  assert.equal(one[0]!.location, `http://127.0.0.1:${plain.port}/size?n=3`);
  const two = answers(await run({ targets: [target], follow: true }));
  assert.deepEqual(two.map((a) => [a.status, a.body.text]), [[302, ''], [200, 'yyy']]);
});

test('the body is cut at --max-body; response headers over the cap and a silent server are one-line errors', async () => {
  const [a] = answers(await run({ targets: [`http://127.0.0.1:${plain.port}/size?n=5000`], maxBody: 100 }));
  assert.equal(a?.body.bytes, 100);
  assert.equal(a?.body.truncated, true);
  assert.match(errorOf(await run({ targets: [`http://127.0.0.1:${plain.port}/big-header`] })).message, /response headers larger than 16384 bytes/);
  assert.match(errorOf(await run({ targets: [`http://127.0.0.1:${plain.port}/hang`], timeoutMs: 300 })).message, /no complete response from 127\.0\.0\.1:\d+ within 0\.3 s/);
});

test('--http3 is answered with a reason, not a silent fallback', async () => {
  const before = plain.connections;
  const e = errorOf(await run({ targets: [`http://127.0.0.1:${plain.port}/`], http3: true }));
  assert.match(e.message, /this agent cannot speak HTTP\/3/);
  assert.equal(plain.connections, before);
});

// The SSRF matrix: each refused with a reason, and the server never saw a connection.
for (const [name, url, extra] of [
  ['a loopback literal', (s: TestHttpServer) => `http://127.0.0.1:${s.port}/`, {}],
  ['a name that resolves to loopback', (s: TestHttpServer) => `http://loop.test:${s.port}/`, {}],
  ['a --resolve entry pointing at loopback', (s: TestHttpServer) => `http://example.test:${s.port}/`, { resolve: ['example.test:PORT:127.0.0.1'] }],
  ['an IPv4-mapped IPv6 loopback literal', (s: TestHttpServer) => `http://[::ffff:127.0.0.1]:${s.port}/`, {}],
] as const) {
  test(`public policy: ${name} is refused and no connection is made`, async () => {
    const before = plain.connections;
    const resolve = 'resolve' in extra ? extra.resolve.map((r) => r.replace('PORT', String(plain.port))) : undefined;
    const events = await run({ targets: [url(plain)], ...(resolve ? { resolve } : {}) }, { guard: 'public' });
    const e = errorOf(events);
    assert.equal(e.code, 'MP_ERR_POLICY');
    assert.match(e.message, /loopback.*refused by the public policy/);
    assert.equal(events.some((x) => x.type === 'start'), false);
    assert.equal(plain.connections, before);
  });
}

test('a name whose answer changes between two lookups: the agent connects to the address it checked, once', async () => {
  const two = await startHttpServer({ address: '127.0.0.2' });
  const three = await startHttpServer({ address: '127.0.0.3' });
  try {
    // Same port on both would be ideal; the URL names two's port, and three listens on its own.
    const events = await run({ targets: [`http://rebind.test:${two.port}/`] }, { guard: 'lan', ranges: ['127.0.0.2/32'] });
    assert.equal(answers(events)[0]?.remoteAddress, '127.0.0.2');
    assert.equal(two.connections, 1);
    assert.equal(three.connections, 0);
    assert.equal(dns.queries.filter((q) => q.name === 'rebind.test').length, 1);
  } finally {
    await Promise.all([two.close(), three.close()]);
  }
});

test('a redirect into refused space is refused at that hop, before any connection to it', async () => {
  const inside = await startHttpServer({ address: '127.0.0.2' });
  const outside = await startHttpServer({ address: '127.0.0.3' });
  try {
    const events = await run({ targets: [`http://127.0.0.2:${inside.port}/redirect?to=http://127.0.0.3:${outside.port}/`], follow: true }, { guard: 'lan', ranges: ['127.0.0.2/32'] });
    assert.deepEqual(answers(events).map((a) => a.status), [302]);
    const e = errorOf(events);
    assert.equal(e.code, 'MP_ERR_POLICY');
    assert.match(e.message, /the redirect to 127\.0\.0\.3 .*outside this agent's allowed ranges/);
    assert.equal(outside.connections, 0);
  } finally {
    await Promise.all([inside.close(), outside.close()]);
  }
});

test('the public policy allows only ports 53, 853, 80, 443 and 8080 (addresses are inputs to the pure check only)', () => {
  const policy = { mode: 'public' as const, allowedRanges: [], hubRanges: [], publicPorts: [53, 853, 80, 443, 8080] };
  assert.equal(connectRefusal(policy, '8.8.8.8', 443, 'x.example'), undefined);
  assert.match(connectRefusal(policy, '8.8.8.8', 22, 'x.example') ?? '', /port 22 is not allowed by the public policy \(ports 53, 853, 80, 443, 8080\)/);
  assert.match(connectRefusal(policy, '10.0.0.1', 80, 'the redirect to intranet') ?? '', /the redirect to intranet \(10\.0\.0\.1\) is a private address/);
  assert.equal(connectRefusal({ ...policy, mode: 'lan' }, '10.0.0.1', 22, 'x'), undefined);
});
