/**
 * dns and http through a real hub with two in-process agents (issue 15 item 3): the JSON events
 * of POST /v1/measurements carry every field of the answer, POST /v1/cli prints them as dig and
 * curl would (compact, and in full with -v) with the agent × answer and agent × timing matrices,
 * and `help dns` / `help http` answer there too. Everything resolves through a test DNS server
 * and connects to servers on loopback.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerEvent, MeasurementEvent } from '../../shared/model/events.ts';
import { DnsAnswer } from '../../shared/measurements/dns/dns-answer.ts';
import { HttpAnswer, HttpTimings, HttpTls } from '../../shared/measurements/http/http-answer.ts';
import { startDnsHttpFixture, type DnsHttpFixture } from '../helpers/dns-http-fixture.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

let f: DnsHttpFixture;
let hub: TestHub;

before(async () => {
  f = await startDnsHttpFixture();
  hub = await startTestHub({ allowAnonymous: true, agents: f.agents });
});
after(async () => {
  await hub?.close();
  await f?.close();
});

async function cli(line: string): Promise<string> {
  const res = await fetch(`${hub.url}/v1/cli`, { method: 'POST', body: line });
  assert.equal(res.status, 200);
  return res.text();
}

const answersOf = (events: MeasurementEvent[]): AnswerEvent[] => events.filter((e): e is AnswerEvent => e.type === 'answer');

/** Every key of a zod object's shape that is not optional. */
function requiredKeys(shape: Record<string, { isOptional(): boolean }>): string[] {
  return Object.entries(shape).filter(([, s]) => !s.isOptional()).map(([k]) => k).sort();
}

test('POST /v1/measurements dns from two agents: start, one answer with every field, summary per agent, then done', async () => {
  const events = await hub.measure({ type: 'dns', targets: ['www.example.test'], from: ['local', 'second'] });
  assert.equal(events.at(-1)?.type, 'done');
  const answers = answersOf(events);
  assert.deepEqual(answers.map((a) => a.agent).sort(), ['local', 'second']);
  for (const a of answers) {
    assert.equal(a.measurement, 'dns');
    const data = a.data as Record<string, unknown>;
    for (const k of requiredKeys(DnsAnswer.shape)) assert.ok(k in data, `answer data has ${k}: ${JSON.stringify(data)}`);
    const d = DnsAnswer.parse(data);
    assert.equal(d.rcode, 'NOERROR');
    assert.equal(d.transport, 'udp');
    assert.equal(d.server, `127.0.0.1#${f.dns.port}`);
    assert.deepEqual(d.question, { name: 'www.example.test.', type: 'A', class: 'IN' });
    assert.deepEqual(d.answer.map((r) => r.data), ['127.0.0.7']);
    assert.ok(d.flags.includes('qr') && d.flags.includes('rd'));
    assert.ok(d.bytes > 0 && d.timeMs > 0);
  }
  for (const agent of ['local', 'second']) {
    const mine = events.filter((e) => 'agent' in e && e.agent === agent).map((e) => e.type);
    assert.deepEqual(mine, ['start', 'answer', 'summary'], agent);
  }
});

test('POST /v1/measurements http --http2: status, headers, body, every timing, the TLS details and the address used', async () => {
  const events = await hub.measure({ type: 'http', targets: [f.httpsUrl], http2: true, from: ['local'] });
  const [a] = answersOf(events);
  assert.ok(a, JSON.stringify(events));
  const data = a.data as Record<string, unknown>;
  for (const k of requiredKeys(HttpAnswer.shape)) assert.ok(k in data, `answer data has ${k}`);
  for (const k of requiredKeys(HttpTimings.shape)) assert.ok(k in (data['timings'] as object), `timings has ${k}`);
  for (const k of requiredKeys(HttpTls.shape)) assert.ok(k in (data['tls'] as object), `tls has ${k}`);
  const h = HttpAnswer.parse(data);
  assert.equal(h.status, 200);
  assert.equal(h.httpVersion, '2');
  assert.equal(h.remoteAddress, '127.0.0.1');
  assert.equal(h.remotePort, f.tls.port);
  assert.equal(h.tls?.alpn, 'h2');
  assert.equal(h.tls?.subject, 'CN=web.test');
  assert.equal(h.tls?.validForHost, true);
  assert.equal(h.body.text, 'first\nlast\n');
  assert.ok(h.headers.some(([k, v]) => k === 'x-test' && v === 'yes'));
  assert.ok(h.timings.tlsMs !== null && h.timings.tlsMs > 0);
  assert.match(f.tls.requests.at(-1)!.userAgent, /^meshprobe\//);
});

test('/v1/cli dns from two agents: dig lines per agent, then the agent × answer matrix', async () => {
  const text = await cli('dns -s local,second www.example.test');
  for (const agent of ['local', 'second']) {
    assert.match(text, new RegExp(`^\\[${agent}\\] www\\.example\\.test\\.\\t60\\tIN\\tA\\t127\\.0\\.0\\.7$`, 'm'), text);
    assert.match(text, new RegExp(`^\\[${agent}\\] ;; NOERROR, flags: qr rd ra; 1 answer; [0-9.]+ ms from 127\\.0\\.0\\.1#${f.dns.port} \\(udp, \\d+ bytes\\)$`, 'm'), text);
    assert.match(text, new RegExp(`^${agent} +www\\.example\\.test +127\\.0\\.0\\.7 +[0-9.]+ ms$`, 'm'), text);
  }
  assert.match(text, /^agent +name +answer +time$/m);
  assert.doesNotMatch(text, /QUESTION SECTION/);
});

test('/v1/cli dns -v prints every section as dig does; --type MX and -x as asked', async () => {
  const v = await cli('dns -v -s local --type AAAA www.example.test');
  assert.match(v, /;; ->>HEADER<<- status: NOERROR, flags: qr rd ra; ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0/);
  assert.match(v, /;; QUESTION SECTION:\n;www\.example\.test\.\t\tIN\tAAAA/);
  assert.match(v, /;; ANSWER SECTION:\nwww\.example\.test\.\t60\tIN\tAAAA\t::7/);
  const mx = await cli('dns -s local --type MX example.test');
  assert.match(mx, /^example\.test\.\t300\tIN\tMX\t10 mx\.example\.test\.$/m);
  const ptr = await cli('dns -s local -x 127.0.0.7');
  assert.match(ptr, /^; <<>> meshprobe dns <<>> 127\.0\.0\.7 PTR @127\.0\.0\.1 \(udp\)$/m);
  assert.match(ptr, /^7\.0\.0\.127\.in-addr\.arpa\.\t60\tIN\tPTR\twww\.example\.test\.$/m);
});

test('/v1/cli http from two agents: curl-like lines per agent, then the agent × timing matrix; -v adds headers and body', async () => {
  const text = await cli(`http -s local,second --http2 ${f.httpsUrl}`);
  for (const agent of ['local', 'second']) {
    assert.match(text, new RegExp(`^\\[${agent}\\] HTTP/2 200 OK  GET ${f.httpsUrl.replace(/[.]/g, '\\.')}  from 127\\.0\\.0\\.1:${f.tls.port}, 11 bytes$`, 'm'), text);
    assert.match(text, new RegExp(`^\\[${agent}\\] dns [0-9.]+  connect [0-9.]+  tls [0-9.]+  first byte [0-9.]+  download [0-9.]+  total [0-9.]+ ms$`, 'm'), text);
    assert.match(text, new RegExp(`^\\[${agent}\\] tls TLSv1\\.3 \\S+ h2; CN=web\\.test, issuer CN=meshprobe test CA; valid to .+; trusted, valid for the host$`, 'm'), text);
    assert.match(text, new RegExp(`^${agent} +${f.httpsUrl.replace(/[.]/g, '\\.')} +200( +[0-9.]+){5}$`, 'm'), text);
  }
  assert.match(text, /^agent +url +status +lookup +connect +tls +first byte +total ms$/m);
  assert.doesNotMatch(text, /< x-test/);
  const v = await cli(`http -v -s local ${f.httpUrl}`);
  assert.match(v, /^< x-test: yes$/m);
  assert.match(v, /^first\nlast$/m);
  assert.match(v, /^dns [0-9.]+  connect [0-9.]+  tls -  first byte/m);
});

test('/v1/cli http --http3 answers one line that the agent cannot speak HTTP/3', async () => {
  const before = f.tls.connections;
  const text = await cli(`http -s local --http3 ${f.httpsUrl}`);
  assert.equal(text.trim(), 'meshprobe: this agent cannot speak HTTP/3 (Node has no QUIC in its stable API); ask without --http3 for HTTP/1.1 or --http2');
  assert.equal(f.tls.connections, before);
});

test('help dns and help http, and dns --help, answer the usage in /v1/cli', async () => {
  const dns = await cli('help dns');
  assert.match(dns, /^usage: dns /m);
  assert.match(dns, /--proto udp\|tcp\|dot\|doh/);
  assert.match(dns, /--trace/);
  assert.equal(await cli('dns --help'), dns);
  const http = await cli('help http');
  assert.match(http, /^usage: http /m);
  assert.match(http, /--http3/);
  assert.match(http, /--resolve HOST:PORT:ADDR/);
});
