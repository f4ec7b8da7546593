// The MCP tools end to end, in both transport modes: the SDK's real Client and
// StreamableHTTPClientTransport against McpHttpHandler on 127.0.0.1:0, in front of a real hub
// with a real LocalAgent that pings loopback. Names resolve through a test DNS server. Tokens
// are the hub's own, checked by the endpoint against the hub's JWKS over HTTP.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { PNG } from 'pngjs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress, Tool } from '@modelcontextprotocol/sdk/types.js';
import { LocalAgent } from '../../agent/runtime/local-agent.ts';
import { TargetGuard } from '../../agent/runtime/target-guard.ts';
import { startTestHub, type TestHub } from '../helpers/test-hub.ts';
import type { Hub } from '../../hub/http/server.ts';
import { BearerVerifier } from '../../mcp/auth.ts';
import { McpHttpHandler } from '../../mcp/http.ts';
import { serveMcp, type McpTestServer } from '../helpers/mcp-server.ts';
import { HubClient } from '../../shared/wire/hub-client.ts';
import { startDnsServer } from '../helpers/dns-server.ts';
import { countEchoRequests, echoCounterUnavailable, type EchoCounter } from '../helpers/echo-counter.ts';
import type { TestDnsServer } from '../helpers/dns-server.ts';
import { rawSkipReason } from '../helpers/raw-capability.ts';

let hub: Hub;
let dns: TestDnsServer;
let testHub: TestHub;

before(async () => {
  dns = await startDnsServer({ 'pingable.test': ['127.0.0.1'] });
  testHub = await startTestHub({ agents: [new LocalAgent({ name: 'local', dnsServers: dns.servers })] });
  hub = testHub.hub;
});

after(async () => {
  await testHub.close();
  await dns.close();
});

async function token(scope = 'measure'): Promise<string> {
  return (await hub.tokens.issue({ sub: 'telegram:42', scopes: [scope], ttlS: 600 })).token;
}

/** The hub as every other front-end reaches it. */
async function hubClient(): Promise<HubClient> {
  return new HubClient({ url: hub.url, token: await token() });
}

/**
 * The cancel travels client → MCP server → hub → agent: wait (up to 3 s) until the count holds
 * still for 300 ms, then require it to stay put for another second, well short of `asked`
 * (at 50 ms a ping of 200 would go on for ten seconds).
 */
async function assertStopsGrowing(counter: EchoCounter, asked: number, what: string): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let last = await counter.read();
  for (let waited = 0; waited < 3000; waited += 300) {
    await sleep(300);
    const now = await counter.read();
    if (now === last) break;
    last = now;
  }
  await sleep(1000);
  const later = await counter.read();
  assert.ok(last >= 3 && last < asked, `echo requests sent before ${what}: ${last} of ${asked}`);
  assert.equal(later, last, `echo requests kept going after ${what}: ${last} → ${later}`);
}

const ajv = new Ajv({ strict: false, allErrors: true });

for (const mode of ['stateless', 'stateful'] as const) {
  describe(`MCP tools over Streamable HTTP (${mode})`, () => {
    let mcp: McpTestServer;
    let url: URL;
    let client: Client;
    let tools: Map<string, Tool>;

    before(async () => {
      mcp = await serveMcp(new McpHttpHandler({
        hub: { url: hub.url },
        mode,
        verifier: new BearerVerifier({ jwks: new URL(`${hub.url}/.well-known/jwks.json`), issuer: hub.tokens.issuer, audience: hub.tokens.audience }),
      }));
      url = mcp.url;
      client = await connect();
      tools = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    });

    after(async () => {
      await client.close();
      await mcp.close();
    });

    async function connect(): Promise<Client> {
      const c = new Client({ name: 'mcp-test', version: '1.0.0' });
      await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${await token()}` } } }));
      return c;
    }

    function validateOutput(name: string, structured: unknown): void {
      const schema = tools.get(name)?.outputSchema;
      assert.ok(schema, `${name} declares an outputSchema`);
      const validate = ajv.compile(schema);
      assert.ok(validate(structured), JSON.stringify(validate.errors));
    }

    test('initialize: the server introduces itself with tools and instructions', () => {
      assert.equal(client.getServerVersion()?.name, 'meshprobe');
      assert.ok(client.getServerCapabilities()?.tools);
      assert.match(client.getInstructions() ?? '', /ping/);
      if (mode === 'stateless') assert.equal((client.transport as StreamableHTTPClientTransport).sessionId, undefined);
      else assert.match((client.transport as StreamableHTTPClientTransport).sessionId ?? '', /^[0-9a-f-]{36}$/);
    });

    test(mode === 'stateful' ? 'another subject cannot use this session (404)' : 'GET is refused with 405: no server stream without sessions', async () => {
      const other = (await hub.tokens.issue({ sub: 'telegram:99', scopes: ['measure'], ttlS: 600 })).token;
      const sid = (client.transport as StreamableHTTPClientTransport).sessionId;
      const res = await fetch(url, {
        method: mode === 'stateful' ? 'POST' : 'GET',
        headers: {
          authorization: `Bearer ${other}`,
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
          ...(sid ? { 'mcp-session-id': sid } : {}),
        },
        ...(mode === 'stateful' ? { body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list' }) } : {}),
      });
      assert.equal(res.status, mode === 'stateful' ? 404 : 405);
      await res.body?.cancel();
    });

    test('tools/list: the measurement tools, list_agents and the monitor tools, with valid JSON Schemas; only monitor_add/remove change anything', async () => {
      const listed = (await client.listTools()).tools;
      tools = new Map(listed.map((t) => [t.name, t]));
      assert.deepEqual([...tools.keys()].sort(), ['dns', 'http', 'ipinfo', 'list_agents', 'monitor_add', 'monitor_list', 'monitor_remove', 'monitor_show', 'mtr', 'owd', 'ping', 'probe', 'route', 'tcpconnect', 'tcpping', 'traceroute']);
      for (const t of listed) {
        assert.equal(t.inputSchema.type, 'object');
        assert.equal(t.outputSchema?.type, 'object');
        ajv.compile(t.inputSchema);
        ajv.compile(t.outputSchema!);
        assert.equal(t.annotations?.readOnlyHint, t.name !== 'monitor_add' && t.name !== 'monitor_remove', t.name);
        assert.ok((t.description ?? '').length > 60, `${t.name} has a description a model can choose by`);
      }
      for (const name of ['ping', 'traceroute', 'probe', 'mtr', 'dns', 'http', 'tcpping', 'owd', 'tcpconnect']) {
        const props = tools.get(name)!.inputSchema.properties as Record<string, Record<string, unknown>>;
        assert.ok(props.targets && props.from && props.limit, `${name} takes targets, from and limit`);
        assert.equal(tools.get(name)!.annotations?.openWorldHint, true);
      }
      const count = (tools.get('ping')!.inputSchema.properties as Record<string, Record<string, unknown>>).count!;
      assert.equal(count.minimum, 1);
      assert.equal(count.maximum, 10_000);
      // The described defaults are the ones shared/model/spec.ts applies: traceroute probes with ICMP.
      const traceProps = tools.get('traceroute')!.inputSchema.properties as Record<string, { description?: string }>;
      assert.match(traceProps.protocol!.description ?? '', /^icmp \(default/);
      assert.doesNotMatch(traceProps.protocol!.description ?? '', /udp \(default/);
      assert.match(traceProps.port!.description ?? '', /33434 for udp.*80 for tcp/);
    });

    test('ping 127.0.0.1 count 3: three replies and a summary that validate against the outputSchema, with progress', async (t) => {
      const skip = rawSkipReason();
      if (skip) return t.skip(skip);
      const progress: Progress[] = [];
      const r = (await client.callTool(
        { name: 'ping', arguments: { targets: ['127.0.0.1'], count: 3, intervalMs: 200 } },
        undefined,
        { onprogress: (p) => progress.push(p) },
      )) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      validateOutput('ping', r.structuredContent);
      const s = r.structuredContent as { parts: { agent: string; replies: { seq: number; from: string }[]; summary: { sent: number; received: number; lossPct: number; avgMs: number } }[]; totals: { received: number } };
      assert.equal(s.parts.length, 1);
      assert.equal(s.parts[0]!.agent, 'local');
      assert.deepEqual(s.parts[0]!.replies.map((x) => x.seq), [1, 2, 3]);
      assert.ok(s.parts[0]!.replies.every((x) => x.from === '127.0.0.1'));
      assert.equal(s.parts[0]!.summary.sent, 3);
      assert.equal(s.parts[0]!.summary.received, 3);
      assert.equal(s.parts[0]!.summary.lossPct, 0);
      assert.equal(s.totals.received, 3);
      const text = r.content.find((c) => c.type === 'text');
      assert.match(text && text.type === 'text' ? text.text : '', /^local → 127\.0\.0\.1: 3 sent, 3 received, 0% loss; rtt min\/avg\/max\/mdev [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms, p50\/p90\/p99 [\d.]+\/[\d.]+\/[\d.]+ ms\n  replies \(seq:ms\): 1:[\d.]+ 2:[\d.]+ 3:[\d.]+\ntotal: 1 part, 3 sent, 3 received, 0 failed, \d+ ms$/);
      // Replies 200 ms apart are each worth a notification; progress only grows; it ends at 3 of 3.
      assert.ok(progress.length >= 2, `progress notifications: ${JSON.stringify(progress)}`);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.progress > progress[i - 1]!.progress);
      assert.equal(progress.at(-1)!.progress, 3);
      assert.equal(progress.at(-1)!.total, 3);
      assert.match(progress[0]!.message ?? '', /bytes from 127\.0\.0\.1/);
    });

    test('a cancelled ping stops the agent: echo requests counted by nftables stop growing', async (t) => {
      const skip = rawSkipReason() ?? (await echoCounterUnavailable());
      if (skip) return t.skip(skip);
      // An address of our own in 127/8, so that nobody else's pings are counted.
      const address = `127.${20 + (process.pid % 200)}.${Math.floor(Math.random() * 250) + 1}.${mode === 'stateless' ? 7 : 8}`;
      const counter = await countEchoRequests(address);
      try {
        const ac = new AbortController();
        let replies = 0;
        const call = client.callTool(
          { name: 'ping', arguments: { targets: [address], count: 200, intervalMs: 50 } },
          undefined,
          {
            signal: ac.signal,
            onprogress: (p) => {
              replies = p.progress;
              if (replies >= 3) ac.abort('enough');
            },
          },
        );
        await assert.rejects(call);
        assert.ok(replies >= 3);
        await assertStopsGrowing(counter, 200, 'the cancel');
      } finally {
        await counter.close();
      }
      // The server still serves this client after a cancel.
      const again = (await client.callTool({ name: 'list_agents', arguments: {} })) as CallToolResult;
      assert.notEqual(again.isError, true);
    });

    test('a client that hangs up mid-call stops the agent too', async (t) => {
      const skip = rawSkipReason() ?? (await echoCounterUnavailable());
      if (skip) return t.skip(skip);
      const address = `127.${20 + (process.pid % 200)}.${Math.floor(Math.random() * 250) + 1}.${mode === 'stateless' ? 17 : 18}`;
      const counter = await countEchoRequests(address);
      try {
        const ac = new AbortController();
        const sid = (client.transport as StreamableHTTPClientTransport).sessionId;
        const res = await fetch(url, {
          method: 'POST',
          signal: ac.signal,
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            authorization: `Bearer ${await token()}`,
            'mcp-protocol-version': client.transport && 'protocolVersion' in client.transport ? String((client.transport as StreamableHTTPClientTransport).protocolVersion) : '2025-06-18',
            ...(sid ? { 'mcp-session-id': sid } : {}),
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 'hangup-1', method: 'tools/call', params: { name: 'ping', arguments: { targets: [address], count: 200, intervalMs: 50 }, _meta: { progressToken: 'p1' } } }),
        });
        assert.equal(res.status, 200);
        const reader = res.body!.getReader();
        let text = '';
        while ((text.match(/notifications\/progress/g) ?? []).length < 3) {
          const { value, done } = await reader.read();
          assert.equal(done, false, `the stream ended early: ${text}`);
          text += new TextDecoder().decode(value);
        }
        ac.abort();
        await assertStopsGrowing(counter, 200, 'the hang-up');
      } finally {
        await counter.close();
      }
    });

    test('a name that does not resolve is an isError result with the reason the hub gives every front-end', async () => {
      const r = (await client.callTool({ name: 'ping', arguments: { targets: ['nonexistent.test'], count: 1 } })) as CallToolResult;
      assert.equal(r.isError, true);
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      let hubReason = '';
      for await (const e of (await hubClient()).measure({ type: 'ping', targets: ['nonexistent.test'], count: 1 })) {
        if (e.type === 'error') hubReason = e.message;
      }
      assert.ok(hubReason, 'the hub reports an error event');
      assert.equal(text, hubReason);
      assert.doesNotMatch(text, /\n|at .*\.ts:\d+/);
    });

    test('arguments outside the spec are refused with the spec\'s own message', async () => {
      const r = (await client.callTool({ name: 'ping', arguments: { targets: ['127.0.0.1'], count: 0 } })) as CallToolResult;
      assert.equal(r.isError, true);
      assert.match(r.content[0]?.type === 'text' ? r.content[0].text : '', /count must be at least 1/);
      const empty = (await client.callTool({ name: 'ping', arguments: { targets: [] } })) as CallToolResult;
      assert.equal(empty.isError, true);
      assert.match(empty.content[0]?.type === 'text' ? empty.content[0].text : '', /give at least one target/);
    });

    test('a `from` that matches no agent is an isError result naming the selector', async () => {
      const r = (await client.callTool({ name: 'ping', arguments: { targets: ['127.0.0.1'], from: ['nosuchagent'], count: 1 } })) as CallToolResult;
      assert.equal(r.isError, true);
      assert.match(r.content[0]?.type === 'text' ? r.content[0].text : '', /nosuchagent/);
    });

    test('list_agents lists the hub\'s agents, validated against its outputSchema', async () => {
      const r = (await client.callTool({ name: 'list_agents', arguments: {} })) as CallToolResult;
      assert.notEqual(r.isError, true);
      validateOutput('list_agents', r.structuredContent);
      const s = r.structuredContent as { agents: { name: string; capabilities: string[] }[]; hub: { name: string } | null };
      assert.deepEqual(s.agents.map((a) => a.name), ['local']);
      assert.equal(s.hub?.name, 'meshprobe');
      assert.match(r.content[0]?.type === 'text' ? r.content[0].text : '', /^1 agent:\nlocal/);
    });

    test('traceroute to 127.0.0.1 reaches it in one hop, validated against the outputSchema', async (t) => {
      const skip = rawSkipReason();
      if (skip) return t.skip(skip);
      const caps = (await (await hubClient()).agents())[0]?.capabilities ?? [];
      if (!caps.includes('traceroute')) return t.skip('the local agent cannot trace (no traceroute capability)');
      const r = (await client.callTool({ name: 'traceroute', arguments: { targets: ['127.0.0.1'], protocol: 'icmp', queriesPerHop: 2 } })) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      validateOutput('traceroute', r.structuredContent);
      const s = r.structuredContent as { parts: { reached: boolean; hops: { ttl: number; responders: { address: string }[] }[] }[] };
      assert.equal(s.parts[0]!.reached, true);
      assert.equal(s.parts[0]!.hops.length, 1);
      assert.equal(s.parts[0]!.hops[0]!.responders[0]!.address, '127.0.0.1');
      // The text a model reads has the hop itself: TTL, address, each RTT, and the loss.
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      const name = (s.parts[0]!.hops[0]!.responders[0] as { name?: string }).name;
      const who = name ? `${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(127\\.0\\.0\\.1\\)` : '127\\.0\\.0\\.1';
      assert.match(text, new RegExp(`^local → 127\\.0\\.0\\.1: reached, 1 hop\\n {3}1  ${who}  [\\d.]+ ms  [\\d.]+ ms  \\(loss 0%\\)\\n`), text);
    });

    test('probe sweeps a loopback /29 and returns the hosts and a PNG bitmap', async (t) => {
      const skip = rawSkipReason();
      if (skip) return t.skip(skip);
      const caps = (await (await hubClient()).agents())[0]?.capabilities ?? [];
      if (!caps.includes('probe')) return t.skip('the local agent cannot sweep (no probe capability)');
      const r = (await client.callTool({ name: 'probe', arguments: { targets: ['127.9.9.0/29'] } })) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      validateOutput('probe', r.structuredContent);
      const s = r.structuredContent as { parts: { hostsUp: number; hostsTotal: number; up: { address: string }[] }[] };
      assert.equal(s.parts[0]!.hostsTotal, 8);
      assert.ok(s.parts[0]!.hostsUp >= 6, `hosts up: ${s.parts[0]!.hostsUp}`);
      const image = r.content.find((c) => c.type === 'image');
      assert.ok(image && image.type === 'image');
      assert.equal(image.mimeType, 'image/png');
      const png = PNG.sync.read(Buffer.from(image.data, 'base64'));
      assert.ok(png.width > 0 && png.height > 0);
      // The text names every live host (as ranges of the last octet), not a sample.
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      const [head, ...rest] = text.split('\n');
      assert.match(head!, new RegExp(`^local → 127\\.9\\.9\\.0/29: ${s.parts[0]!.hostsUp} of 8 hosts up`));
      const listed = new Set<string>();
      for (const item of rest.filter((l) => l.startsWith('  ')).join(' ').split(/,\s*/)) {
        const m = /^\s*127\.9\.9\.(\d+)(?:-(\d+))?$/.exec(item);
        assert.ok(m, `a host or range: ${JSON.stringify(item)} in ${text}`);
        for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) listed.add(`127.9.9.${i}`);
      }
      assert.deepEqual([...listed].sort(), s.parts[0]!.up.map((h) => h.address).sort(), text);
    });

    test('ping of two targets: the text has the statistics of each agent × target', async (t) => {
      const skip = rawSkipReason();
      if (skip) return t.skip(skip);
      const r = (await client.callTool({ name: 'ping', arguments: { targets: ['127.0.0.1', 'pingable.test'], count: 2, intervalMs: 50 } })) as CallToolResult;
      assert.notEqual(r.isError, true, JSON.stringify(r.content));
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      const stats = '2 sent, 2 received, 0% loss; rtt min/avg/max/mdev [\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+ ms, p50/p90/p99 [\\d.]+/[\\d.]+/[\\d.]+ ms';
      assert.match(text, new RegExp(`^local → 127\\.0\\.0\\.1: ${stats}$`, 'm'), text);
      assert.match(text, new RegExp(`^local → pingable\\.test \\(127\\.0\\.0\\.1\\): ${stats}$`, 'm'), text);
      assert.match(text, /^total: 2 parts, 4 sent, 4 received, 0 failed, \d+ ms$/m, text);
    });
  });
}

describe('MCP tools in front of a public hub (policy refusals)', () => {
  let publicHub: Hub;
  let mcp: McpTestServer;
  let client: Client;
  let publicTestHub: TestHub;

  before(async () => {
    const local = new LocalAgent({ name: 'pub1', dnsServers: dns.servers });
    publicTestHub = await startTestHub({
      policy: 'public',
      allowAnonymous: true,
      agents: [new TargetGuard({ inner: local, resolver: local.resolver, mode: 'public' })],
    });
    publicHub = publicTestHub.hub;
    mcp = await serveMcp(new McpHttpHandler({ hub: { url: publicHub.url } }));
    client = new Client({ name: 'mcp-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcp.url));
  });

  after(async () => {
    await client.close();
    await mcp.close();
    await publicTestHub.close();
  });

  /** What the hub answers any front-end for the same request: a refusal or an error event. */
  async function hubReason(spec: { type: 'ping'; targets: string[]; count: number }): Promise<string> {
    try {
      for await (const e of new HubClient({ url: publicHub.url }).measure(spec)) if (e.type === 'error') return e.message;
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  }

  for (const target of ['127.0.0.1', '::1', 'pingable.test']) {
    test(`ping ${target} is refused with the hub's one-line reason, as an isError result`, async () => {
      const r = (await client.callTool({ name: 'ping', arguments: { targets: [target], count: 1 } })) as CallToolResult;
      assert.equal(r.isError, true);
      const text = r.content[0]?.type === 'text' ? r.content[0].text : '';
      const expected = await hubReason({ type: 'ping', targets: [target], count: 1 });
      assert.ok(expected, 'the hub refuses it too');
      assert.equal(text, expected);
      assert.doesNotMatch(text, /\n/);
    });
  }
});
