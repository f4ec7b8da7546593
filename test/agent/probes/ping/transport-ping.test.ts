/**
 * TCP and UDP ping on loopback against real sockets: a listening node:net server (SYN-ACK), a
 * port that was listening and is now closed (RST), and a closed UDP port (ICMP port unreachable).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { runTransportPing } from '../../../../agent/probes/ping/transport-ping.ts';
import { Resolver } from '../../../../agent/runtime/resolver.ts';
import { parseSpec, type MeasurementSpecInput } from '../../../../shared/model/spec.ts';
import type { MeasurementEvent, ReplyEvent, StartEvent } from '../../../../shared/model/events.ts';
import { rawSkipReason } from '../../../helpers/raw-capability.ts';
import { ROOT } from '../../../helpers/node-process.ts';

let open: Server;
let openPort = 0;
let closedPort = 0;
before(async () => {
  open = createServer((s) => s.destroy());
  open.listen(0, '::');
  await once(open, 'listening');
  openPort = (open.address() as { port: number }).port;
  const gone = createServer();
  gone.listen(0, '::');
  await once(gone, 'listening');
  closedPort = (gone.address() as { port: number }).port;
  gone.close();
  await once(gone, 'close');
});
after(() => open.close());

async function ping(input: Omit<MeasurementSpecInput, 'type'>): Promise<MeasurementEvent[]> {
  const r = parseSpec({ type: 'ping', count: 3, intervalMs: 5, timeoutMs: 1000, ...input });
  assert.ok(r.ok, r.ok ? '' : r.message);
  const ev: MeasurementEvent[] = [];
  await runTransportPing(r.spec, { agent: 't', resolver: new Resolver(), signal: new AbortController().signal, emit: (e) => ev.push(e) });
  return ev;
}
const replies = (ev: MeasurementEvent[], target: string) => ev.filter((e): e is ReplyEvent => e.type === 'reply' && e.target === target);

test('TCP ping to a listening port: every probe gets a SYN-ACK with an RTT (v4 and v6)', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const ev = await ping({ targets: ['127.0.0.1', '::1'], protocol: 'tcp', port: openPort });
  for (const target of ['127.0.0.1', '::1']) {
    const r = replies(ev, target);
    assert.deepEqual(r.map((x) => x.seq), [1, 2, 3]);
    assert.ok(r.every((x) => x.kind === 'syn-ack' && x.rttMs > 0 && x.rttMs < 1000 && x.from === target));
    const s = ev.find((e) => e.type === 'summary' && e.target === target);
    assert.ok(s && s.type === 'summary' && s.received === 3 && s.lossPct === 0);
  }
  const start = ev.find((e): e is StartEvent => e.type === 'start')!;
  assert.equal(start.protocol, 'tcp');
  assert.equal(start.note, undefined, 'raw sockets, no fallback note');
});

test('TCP ping to a closed port (server started, then stopped): every probe gets a RST with an RTT', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const ev = await ping({ targets: ['127.0.0.1', '::1'], protocol: 'tcp', port: closedPort });
  for (const target of ['127.0.0.1', '::1']) {
    const r = replies(ev, target);
    assert.equal(r.length, 3);
    assert.ok(r.every((x) => x.kind === 'rst' && x.rttMs > 0));
  }
});

test('TCP ping takes the port from a host:port target', async (t) => {
  const skip = rawSkipReason();
  if (skip) return t.skip(skip);
  const ev = await ping({ targets: [`127.0.0.1:${openPort}`, `[::1]:${closedPort}`], protocol: 'tcp', count: 1 });
  assert.equal(replies(ev, `127.0.0.1:${openPort}`)[0]?.kind, 'syn-ack');
  assert.equal(replies(ev, `[::1]:${closedPort}`)[0]?.kind, 'rst');
});

test('UDP ping to a closed port measures the ICMP port-unreachable round trip (v4 and v6)', async () => {
  const ev = await ping({ targets: ['127.0.0.1', '::1'], protocol: 'udp', port: closedPort });
  for (const target of ['127.0.0.1', '::1']) {
    const r = replies(ev, target);
    assert.deepEqual(r.map((x) => x.seq), [1, 2, 3]);
    assert.ok(r.every((x) => x.kind === 'port-unreachable' && x.rttMs > 0 && x.from === target));
  }
});

test('a port outside 1..65535 in host:port is a clear error event, not a crash', async () => {
  const ev = await ping({ targets: ['127.0.0.1:70000'], protocol: 'tcp', count: 1 });
  assert.equal(ev.length, 1);
  assert.equal(ev[0]!.type, 'error');
  assert.match((ev[0] as { message: string }).message, /port must be 1\.\.65535/);
});

test('without CAP_NET_RAW, TCP ping falls back to connect() and says so in start.note', async (t) => {
  let setpriv = true;
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
  } catch {
    setpriv = false;
  }
  if (!setpriv || process.getuid?.() !== 0) return t.skip('needs root and setpriv to drop CAP_NET_RAW');
  const spec = JSON.stringify({ type: 'ping', targets: [`127.0.0.1`], protocol: 'tcp', port: openPort, count: 2, intervalMs: 5 });
  // The same runner the lab uses, in a process without CAP_NET_RAW.
  const out = execFileSync(
    'setpriv',
    ['--inh-caps=-net_raw', '--bounding-set=-net_raw', process.execPath, '--disable-warning=ExperimentalWarning', 'test/lab/run-agent.ts', spec],
    { encoding: 'utf8', cwd: ROOT },
  );
  const ev = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as MeasurementEvent);
  const start = ev.find((e): e is StartEvent => e.type === 'start');
  assert.match(start?.note ?? '', /connect\(\) fallback/);
  assert.deepEqual(replies(ev, '127.0.0.1').map((r) => r.kind), ['syn-ack', 'syn-ack']);
});
