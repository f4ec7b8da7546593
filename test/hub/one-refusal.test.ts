// One refusal everywhere (issue 11, item 18): each bad request gets the same one line from the
// grammar (as the CLI prints it), POST /v1/cli, POST /v1/measurements (a 400 body) and the MCP
// tools (an isError result), because all of them validate through shared/model/validate-spec.ts. The
// grammar only puts the command and the flag typed in front of the line. A real hub on
// 127.0.0.1:0 with a real agent; the MCP server is the real handler and SDK client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { parseCommand } from '../../shared/command/grammar.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';

let t: TestHub;
let mcp: McpTestServer;
let client: Client;
let admin: string;

before(async () => {
  t = await startTestHub({ agents: [new LocalAgent({ name: 'local' })] });
  admin = await t.token(['admin']);
  mcp = await serveMcp(new McpHttpHandler({
    hub: { url: t.url },
    mode: 'stateless',
    verifier: new BearerVerifier({ jwks: new URL(`${t.url}/.well-known/jwks.json`), issuer: t.hub.tokens.issuer, audience: t.hub.tokens.audience }),
  }));
  client = new Client({ name: 'one-refusal-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(mcp.url, { requestInit: { headers: { authorization: `Bearer ${await t.token(['measure'], 'mcp-user')}` } } }));
});

after(async () => {
  await client?.close();
  await mcp?.close();
  await t?.close();
});

interface Case {
  /** The JSON body of POST /v1/measurements; the MCP tool is its type, the arguments the rest. */
  json: Record<string, unknown> & { type: string };
  /** The line every JSON and MCP caller gets. */
  message: string;
  /** The command line, and the line the grammar prints for it (undefined: no command line can say it). */
  line?: string;
  grammar?: string;
}

const cases: Case[] = [
  {
    json: { type: 'ping', targets: ['127.1.0.0/24'] },
    message: '127.1.0.0/24 is a prefix; use probe to sweep it',
    line: 'ping 127.1.0.0/24',
    grammar: 'ping: 127.1.0.0/24 is a prefix; use probe to sweep it',
  },
  {
    json: { type: 'traceroute', targets: ['198.18.0.0/15'] },
    message: '198.18.0.0/15 is a prefix; use probe to sweep it',
    line: 'traceroute 198.18.0.0/15',
    grammar: 'traceroute: 198.18.0.0/15 is a prefix; use probe to sweep it',
  },
  {
    json: { type: 'probe', targets: ['127.1.0.1'] },
    message: '127.1.0.1 is an address, not a prefix; write 127.1.0.1/32 for one host',
    line: 'probe 127.1.0.1',
    grammar: 'probe: 127.1.0.1 is an address, not a prefix; write 127.1.0.1/32 for one host',
  },
  {
    json: { type: 'probe', targets: ['10.0.0.0/8'] },
    message: '10.0.0.0/8 has 16777216 addresses; the largest IPv4 sweep is a /16 (65536 addresses)',
    line: 'probe 10.0.0.0/8',
    grammar: 'probe: 10.0.0.0/8 has 16777216 addresses; the largest IPv4 sweep is a /16 (65536 addresses)',
  },
  {
    json: { type: 'ping', targets: ['127.0.0.1'], count: 10_001 },
    message: 'count must be at most 10000',
    line: 'ping -c 10001 127.0.0.1',
    grammar: 'ping: -c: count must be at most 10000',
  },
  {
    json: { type: 'ping', targets: ['127.0.0.1'], port: 80 },
    message: 'port needs protocol tcp or udp',
    line: 'ping -p 80 127.0.0.1',
    grammar: 'ping: -p: port needs protocol tcp or udp',
  },
  {
    json: { type: 'ping', targets: ['::1'], ipVersion: 4 },
    message: 'ipVersion 4 given but ::1 is an IPv6 address',
    line: 'ping -4 ::1',
    grammar: 'ping: -4 given but ::1 is an IPv6 address',
  },
  {
    json: { type: 'ping', targets: ['127.0.0.1'], deadlineMs: 3_600_001 },
    message: 'deadlineMs must be at most 3600000',
  },
  {
    json: { type: 'traceroute', targets: ['127.0.0.1'], deadlineMs: 1000 },
    message: 'deadlineMs applies to ping only, not traceroute',
  },
  // zod's own texts ("Unrecognized key", "expected array, received undefined") never leak.
  {
    json: { type: 'ping', targets: ['127.0.0.1'], bogus: 1 },
    message: "unknown field 'bogus' (known: type, targets, from, limit, count, intervalMs, timeoutMs, ipVersion, protocol, port, size, ttl, maxHops, queriesPerHop, rate, deadlineMs, numeric, queryType, server, transport, dohUrl, trace, roots, dnssec, insecure, method, headers, http2, http3, resolve, maxBody, follow)",
  },
  { json: { type: 'ping' }, message: 'targets is required' },
  { json: { type: 'ping', targets: '127.0.0.1' }, message: 'targets must be a list, not text' },
  { json: { type: 'ping', targets: ['127.0.0.1'], count: '3' }, message: 'count must be a number' },
];

async function viaJson(body: unknown): Promise<{ status: number; message: string }> {
  const res = await fetch(`${t.url}/v1/measurements`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, message: res.status === 200 ? text : (JSON.parse(text) as { error: { message: string } }).error.message };
}

async function viaMcp(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
}

async function viaCliRoute(line: string): Promise<{ status: number; first: string }> {
  const res = await fetch(`${t.url}/v1/cli`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: line });
  return { status: res.status, first: (await res.text()).split('\n')[0]! };
}

for (const c of cases) {
  test(`one refusal for ${JSON.stringify(c.json)}: "${c.message.slice(0, 60)}"`, async () => {
    const json = await viaJson(c.json);
    assert.equal(json.status, 400, 'POST /v1/measurements refuses with 400 before anything runs');
    assert.equal(json.message, c.message);

    const { type, ...args } = c.json;
    const r = await viaMcp(type, args);
    assert.equal(r.isError, true);
    assert.deepEqual(r.content, [{ type: 'text', text: c.message }], 'the MCP tool error is the same single line');

    if (c.line !== undefined) {
      const g = parseCommand(c.line);
      assert.equal(g.ok, false);
      if (!g.ok) assert.equal(g.message, c.grammar);
      assert.ok(c.grammar!.endsWith(c.message.replace(/^ipVersion 4/, '')), 'the grammar adds only the command and the flag');
      const cli = await viaCliRoute(c.line);
      assert.equal(cli.status, 400);
      assert.equal(cli.first, c.grammar);
    }
  });
}
