// `list` enriched (issue 16): GET /v1/agents adds what the hub's enrichment knows of the address
// a remote agent connected from (here loopback: its label), never the address itself; what the
// agent announced stays; the local agent (no connection) gets nothing. The list renderers show
// the announced AS first, else the looked-up one, else the label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Enricher } from '../../../../hub/enrich/enricher.ts';
import type { AgentInfo } from '../../../../shared/wire/agent-link.ts';
import { formatAgentList } from '../../../../shared/render/agent-list.ts';
import { MonitorAgent } from '../../../helpers/monitor-agent.ts';
import { ScriptedAgent } from '../../../helpers/scripted-agent.ts';
import { startTestHub } from '../../../helpers/test-hub.ts';

test('GET /v1/agents carries the enrichment of a remote agent\'s connecting address, not the address', async () => {
  const enricher = new Enricher();
  const asked: string[] = [];
  const t = await startTestHub({
    agents: [new ScriptedAgent({ name: 'local1' })],
    enrichAgent: (address) => {
      asked.push(address);
      return enricher.lookup(address);
    },
  });
  let agent: MonitorAgent | undefined;
  try {
    agent = await MonitorAgent.connect(t.url, (await t.hub.tokens.issue({ sub: 'agent:lax1', scopes: ['agent'] })).token, 'lax1');
    const res = await fetch(`${t.url}/v1/agents`, { headers: { authorization: `Bearer ${await t.token(['read'])}` } });
    assert.equal(res.status, 200);
    const { agents } = (await res.json()) as { agents: AgentInfo[] };
    const lax1 = agents.find((a) => a.name === 'lax1');
    const local1 = agents.find((a) => a.name === 'local1');
    assert.deepEqual(lax1?.info, { label: 'loopback' });
    assert.equal(local1?.info, undefined);
    assert.deepEqual(asked, ['127.0.0.1'], 'the IPv4-mapped socket address is looked up as IPv4');
    assert.ok(!JSON.stringify(agents).includes('127.0.0.1'), 'the address itself is not published');
  } finally {
    await agent?.close();
    await t.close();
  }
});

test('list shows the announced AS, else the looked-up AS with its name, else the range label', () => {
  const agents: AgentInfo[] = [
    { name: 'fra1', asn: 64500, isp: 'Own Net', capabilities: ['icmp'], version: '1', info: { asn: 64999, asName: 'Other' } },
    { name: 'lax1', capabilities: ['icmp'], version: '1', info: { asn: 64501, asName: 'Looked Up', country: 'US' } },
    { name: 'lab1', capabilities: ['icmp'], version: '1', info: { label: 'RFC1918' } },
  ];
  const lines = formatAgentList(agents, { layout: 'lines' }).split('\n');
  assert.deepEqual(lines, ['3 agents:', 'fra1  AS64500 Own Net  icmp', 'lax1  US  AS64501 Looked Up  icmp', 'lab1  RFC1918  icmp']);
  assert.ok(lines.every((l) => l.length <= 36));
  const table = formatAgentList(agents);
  assert.match(table, /^lab1 +- +RFC1918 +icmp +1$/m);
  assert.match(table, /^lax1 +US +AS64501 +icmp +1$/m);
});
