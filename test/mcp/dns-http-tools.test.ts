/**
 * The MCP tools `dns` and `http` end to end: the SDK's real Client over Streamable HTTP against
 * McpHttpHandler, in front of a real hub with two in-process agents. structuredContent validates
 * against the declared outputSchema, and the text content carries the substance (every record,
 * every timing, the TLS line) per agent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import type { DnsAnswer } from '../../shared/measurements/dns/dns-answer.ts';
import type { HttpAnswer } from '../../shared/measurements/http/http-answer.ts';
import { startDnsHttpFixture, type DnsHttpFixture } from '../helpers/dns-http-fixture.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';

let f: DnsHttpFixture;
let hub: TestHub;
let mcp: McpTestServer;
let client: Client;
let tools: Map<string, Tool>;
const ajv = new Ajv({ strict: false, allErrors: true });

before(async () => {
  f = await startDnsHttpFixture();
  hub = await startTestHub({ agents: f.agents });
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: hub.url },
    mode: 'stateless',
    verifier: new BearerVerifier({ jwks: new URL(`${hub.url}/.well-known/jwks.json`), issuer: hub.hub.tokens.issuer, audience: hub.hub.tokens.audience }),
  }));
  const token = (await hub.hub.tokens.issue({ sub: 'telegram:42', scopes: ['measure'], ttlS: 600 })).token;
  client = new Client({ name: 'mcp-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
});
after(async () => {
  await client?.close();
  await mcp?.close();
  await hub?.close();
  await f?.close();
});

function validated(name: string, r: CallToolResult): void {
  assert.notEqual(r.isError, true, JSON.stringify(r.content));
  const schema = tools.get(name)?.outputSchema;
  assert.ok(schema, `${name} declares an outputSchema`);
  const validate = ajv.compile(schema);
  assert.ok(validate(r.structuredContent), JSON.stringify(validate.errors));
}

const textOf = (r: CallToolResult): string => r.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');

test('dns from two agents: structuredContent fits the outputSchema, one part per agent with every field; the text has each agent\'s records', async () => {
  const r = (await client.callTool({ name: 'dns', arguments: { targets: ['www.example.test'], from: ['local', 'second'] } })) as CallToolResult;
  validated('dns', r);
  const s = r.structuredContent as { parts: { agent: string; target: string; answers: DnsAnswer[] }[] };
  assert.deepEqual(s.parts.map((p) => p.agent).sort(), ['local', 'second']);
  for (const p of s.parts) {
    assert.equal(p.answers.length, 1);
    const a = p.answers[0]!;
    assert.equal(a.rcode, 'NOERROR');
    assert.equal(a.server, `127.0.0.1#${f.dns.port}`);
    assert.deepEqual(a.answer.map((x) => x.data), ['127.0.0.7']);
    assert.deepEqual(a.question, { name: 'www.example.test.', type: 'A', class: 'IN' });
  }
  const text = textOf(r);
  for (const agent of ['local', 'second']) {
    // The head names the server asked, not a '(address)' that would read as the name's.
    assert.match(text, new RegExp(`^${agent} → www\\.example\\.test @127\\.0\\.0\\.1#${f.dns.port}: NOERROR, 1 record$`, 'm'), text);
  }
  assert.equal(text.match(/^ {2}www\.example\.test\.\t60\tIN\tA\t127\.0\.0\.7$/gm)?.length, 2, text);
  assert.match(text, /;; NOERROR, flags: qr rd ra; 1 answer; [0-9.]+ ms from 127\.0\.0\.1#\d+ \(udp/);
});

test('dns with queryType PTR asks for the reverse name', async () => {
  const r = (await client.callTool({ name: 'dns', arguments: { targets: ['127.0.0.7'], queryType: 'PTR', from: ['local'] } })) as CallToolResult;
  validated('dns', r);
  assert.match(textOf(r), /7\.0\.0\.127\.in-addr\.arpa\.\t60\tIN\tPTR\twww\.example\.test\./);
});

test('http --http2 from two agents: the response with timings and TLS in structuredContent; status, timing and TLS lines in the text', async () => {
  const r = (await client.callTool({ name: 'http', arguments: { targets: [f.httpsUrl], http2: true, from: ['local', 'second'] } })) as CallToolResult;
  validated('http', r);
  const s = r.structuredContent as { parts: { agent: string; responses: HttpAnswer[] }[] };
  assert.deepEqual(s.parts.map((p) => p.agent).sort(), ['local', 'second']);
  for (const p of s.parts) {
    const a = p.responses[0]!;
    assert.equal(a.status, 200);
    assert.equal(a.httpVersion, '2');
    assert.equal(a.tls?.alpn, 'h2');
    assert.equal(a.tls?.validForHost, true);
    assert.ok(a.timings.totalMs > 0);
  }
  const text = textOf(r);
  for (const agent of ['local', 'second']) assert.match(text, new RegExp(`^${agent} → ${f.httpsUrl.replace(/[.]/g, '\\.')} \\(127\\.0\\.0\\.1\\): HTTP 200, [0-9.]+ ms$`, 'm'), text);
  assert.equal(text.match(/^ {2}dns [0-9.]+ {2}connect [0-9.]+ {2}tls [0-9.]+ {2}first byte [0-9.]+ {2}download [0-9.]+ {2}total [0-9.]+ ms$/gm)?.length, 2, text);
  assert.match(text, /^ {2}tls TLSv1\.3 .* h2; CN=web\.test/m);
  assert.match(text, /^ {2}< x-test: yes$/m);
});

test('http with http3 is an error result in one line, not a silent fallback', async () => {
  const r = (await client.callTool({ name: 'http', arguments: { targets: [f.httpsUrl], http3: true, from: ['local'] } })) as CallToolResult;
  assert.match(textOf(r), /this agent cannot speak HTTP\/3/);
});
