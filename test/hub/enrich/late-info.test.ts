/**
 * Late enrichment (issue 16: "never blocks the first line; fill in as it arrives"): a hub whose
 * online provider (a local server in ipinfo.io's JSON shape that answers after a delay) is still
 * working on a hop's address sends the hop at once, then one `info` event for that address when
 * the answer is in, before `done`; the fold puts it into the hop. Addresses of special ranges are
 * never asked, so they get no `info` event. The responder addresses are data in events of an
 * in-process agent: no packet goes anywhere.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo as NetAddress } from 'node:net';
import { after, before, test } from 'node:test';
import { createEnrichment, type Enrichment } from '../../../hub/enrich/enrichment.ts';
import { LateInfo } from '../../../hub/enrich/late-info.ts';
import type { InfoEvent, MeasurementEvent } from '../../../shared/model/events.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { MeasurementFold } from '../../../shared/render/measurement-fold.ts';
import type { AgentLink, AgentRunOptions } from '../../../shared/wire/agent-link.ts';
import { startTestHub, type TestHub } from '../../helpers/test-hub.ts';

const DELAY_MS = 300;
let provider: Server;
let url: string;
let asked: string[] = [];

before(async () => {
  provider = createServer((req, res) => {
    asked.push(req.url ?? '');
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ip: '8.8.8.8', city: 'Mountain View', country: 'US', org: 'AS15169 Google LLC' })), DELAY_MS);
  });
  provider.listen(0, '127.0.0.1');
  await once(provider, 'listening');
  url = `http://127.0.0.1:${(provider.address() as NetAddress).port}`;
});
after(() => provider.close());

/** A traceroute agent whose path has a special-range hop and a public one (as data only). */
class PathAgent implements AgentLink {
  readonly info = { name: 'lax1', capabilities: ['icmp', 'traceroute'], version: 'test' };
  async run(spec: MeasurementSpec, { emit }: AgentRunOptions): Promise<void> {
    const target = spec.targets[0]!;
    const base = { agent: 'lax1', target };
    emit({ type: 'start', ...base, measurement: 'traceroute', address: '127.0.0.1', family: 4, protocol: 'icmp', params: {} });
    emit({ type: 'hop', ...base, ttl: 1, responders: [{ address: '198.18.0.1', rttsMs: [0.1] }], sent: 1, received: 1, lossPct: 0 });
    emit({ type: 'hop', ...base, ttl: 2, responders: [{ address: '8.8.8.8', rttsMs: [0.2] }], sent: 1, received: 1, lossPct: 0 });
    emit({ type: 'hop', ...base, ttl: 3, responders: [{ address: '8.8.8.8', rttsMs: [0.3] }], sent: 1, received: 1, lossPct: 0 });
    emit({ type: 'summary', ...base, measurement: 'traceroute', durationMs: 1, sent: 3, received: 3, lossPct: 0, minMs: 0.1, avgMs: 0.2, maxMs: 0.3, mdevMs: 0.1, p50Ms: 0.2, p90Ms: 0.3, p99Ms: 0.3 });
  }
}

function enrichment(): Enrichment {
  return createEnrichment({ order: ['labels', 'ipinfo'], ipinfoToken: 'tok', providerUrls: { ipinfo: url }, bundledDirectory: null });
}

test('a hub sends the hop at once and one info event for its address when the provider answers, before done', async () => {
  asked = [];
  const en = enrichment();
  const enricher = en.enricher;
  const t: TestHub = await startTestHub({ agents: [new PathAgent()], enrich: (e) => enricher.enrich(e), enrichStream: (emit) => new LateInfo(enricher, emit) });
  try {
    const started = Date.now();
    const token = await t.token(['measure']);
    const events = await t.measure({ type: 'traceroute', targets: ['127.0.0.1'] }, { token });
    const types = events.map((e) => e.type);
    assert.deepEqual(types, ['start', 'hop', 'hop', 'hop', 'summary', 'info', 'done']);
    const hop2 = events.find((e) => e.type === 'hop' && e.ttl === 2) as Extract<MeasurementEvent, { type: 'hop' }>;
    assert.equal(hop2.responders[0]!.info, undefined, 'the hop left before the answer');
    const info = events.filter((e): e is InfoEvent => e.type === 'info');
    assert.deepEqual(info, [{ type: 'info', address: '8.8.8.8', info: { asn: 15169, asName: 'Google LLC', country: 'US', city: 'Mountain View' } }], 'once, though two hops show it');
    assert.equal(asked.length, 1, 'the special-range hop was never asked about');
    assert.ok(Date.now() - started >= DELAY_MS - 50, 'done waited for the answer');

    const fold = new MeasurementFold();
    for (const e of events) fold.add(e);
    const part = [...fold.parts][0]!;
    assert.equal(part.hops.get(2)!.responders[0]!.info?.asn, 15169);
    assert.equal(part.hops.get(3)!.responders[0]!.info?.asn, 15169);
    assert.deepEqual(part.hops.get(1)!.responders[0]!.info, { label: 'benchmark' }, 'what was known at once stays');

    // A second run: the provider's answer is cached, the hops carry it at once, no info event.
    const again = await t.measure({ type: 'traceroute', targets: ['127.0.0.1'] }, { token });
    assert.equal(again.filter((e) => e.type === 'info').length, 0);
    assert.equal((again.find((e) => e.type === 'hop' && e.ttl === 2) as Extract<MeasurementEvent, { type: 'hop' }>).responders[0]!.info?.asn, 15169);
    assert.equal(asked.length, 1);
  } finally {
    await t.close();
    en.close();
  }
});

test('LateInfo follows at most maxAddresses addresses and sends nothing after close', async () => {
  asked = [];
  const en = enrichment();
  const sent: InfoEvent[] = [];
  const late = new LateInfo(en.enricher, (e) => sent.push(e), { maxAddresses: 0 });
  late.enrich({ type: 'hop', agent: 'a', target: 't', ttl: 1, responders: [{ address: '8.8.4.4', rttsMs: [1] }], sent: 1, received: 1, lossPct: 0 });
  assert.equal(late.pending, false);
  const closing = new LateInfo(en.enricher, (e) => sent.push(e));
  closing.enrich({ type: 'hop', agent: 'a', target: 't', ttl: 1, responders: [{ address: '9.9.9.9', rttsMs: [1] }], sent: 1, received: 1, lossPct: 0 });
  assert.equal(closing.pending, true);
  closing.close();
  await closing.drain();
  assert.deepEqual(sent, []);
  en.close();
});
