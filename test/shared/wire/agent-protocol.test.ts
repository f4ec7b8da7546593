import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAgentMessage, decodeHubMessage } from '../../../shared/wire/agent-protocol.ts';
import { AGENT_PROTOCOL_VERSION, encodeMessage } from '../../../shared/wire/agent-protocol-constants.ts';

test('protocol frames round-trip through encode/decode', () => {
  const hello = { t: 'hello' as const, v: AGENT_PROTOCOL_VERSION, info: { name: 'lax1', country: 'US', asn: 64500, capabilities: ['icmp'], version: '0.1.0' }, allowedRanges: ['10.0.0.0/8'] };
  const d = decodeAgentMessage(encodeMessage(hello));
  assert.ok(d.ok);
  assert.deepEqual(d.message, hello);
  const run = { t: 'run' as const, id: 7, spec: { type: 'ping' as const, targets: ['127.0.0.1'], from: [], count: 3 }, policy: 'lan' as const };
  const r = decodeHubMessage(encodeMessage(run));
  assert.ok(r.ok);
  assert.deepEqual(r.message, run);
  const ev = decodeAgentMessage(JSON.stringify({ t: 'event', id: 7, e: { type: 'reply', seq: 1, extra: true } }));
  assert.ok(ev.ok && ev.message.t === 'event' && (ev.message.e as { extra?: unknown }).extra === true, 'the envelope leaves the event to parseEvent');
});

test('bad frames decode to a one-line reason, never a throw', () => {
  const cases: Array<[string, RegExp]> = [
    ['{', /not JSON/],
    ['{"t":"nope"}', /bad frame/],
    ['{"t":"hello","v":1,"info":{"name":"has space","capabilities":[],"version":"1"}}', /info\.name/],
    ['{"t":"event","id":-1,"e":{"type":"reply"}}', /id/],
  ];
  for (const [text, reason] of cases) {
    const d = decodeAgentMessage(text);
    assert.equal(d.ok, false, text);
    assert.match(d.ok ? '' : d.reason, reason);
    assert.ok(!(d.ok ? '' : d.reason).includes('\n'));
  }
  const badRun = decodeHubMessage(JSON.stringify({ t: 'run', id: 1, spec: { type: 'ping', targets: [] }, policy: 'lan' }));
  assert.equal(badRun.ok, false);
});

test('events frames batch several events of one run; the fast path and the schema agree on the bounds', () => {
  const ok = decodeAgentMessage(JSON.stringify({ t: 'events', id: 3, es: [{ type: 'reply', seq: 1 }, { type: 'reply', seq: 2 }] }));
  assert.ok(ok.ok && ok.message.t === 'events' && ok.message.es.length === 2);
  for (const bad of [
    { t: 'events', id: 3, es: [] },
    { t: 'events', id: 3, es: Array.from({ length: 1025 }, () => ({ type: 'reply' })) },
    { t: 'events', id: 1.5, es: [{ type: 'reply' }] },
  ]) {
    const d = decodeAgentMessage(JSON.stringify(bad));
    assert.equal(d.ok, false, JSON.stringify(bad).slice(0, 60));
  }
});
