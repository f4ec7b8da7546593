/**
 * The Pushgateway push (issue 14 item 5) against a local HTTP server standing in for the
 * Pushgateway: it records each request and parses the body with the independent text-format
 * reader. The grouping key in the path (job, instance; base64 when a value has a slash), PUT with
 * the text format's content type, a real hub pushing its monitor families every interval, and a
 * gateway that fails then comes back (logged once, then "works again").
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import test from 'node:test';
import type { AddressInfo } from 'node:net';
import { PushgatewayPusher, pushgatewayGroupUrl } from '../../../hub/http/pushgateway-push.ts';
import { parsePromText } from '../../helpers/prom-text.ts';
import { startTestHub } from '../../helpers/test-hub.ts';

interface Pushed {
  method: string;
  path: string;
  contentType: string;
  body: string;
}

async function gateway(status: () => number = () => 200): Promise<{ server: Server; url: string; pushes: Pushed[] }> {
  const pushes: Pushed[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    pushes.push({ method: req.method ?? '', path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
    const code = status();
    res.writeHead(code, { 'content-type': 'text/plain' });
    res.end(code === 200 ? '' : 'pushed metrics are invalid or inconsistent with existing metrics\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pushes };
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('grouping key: job and instance in the path, base64url when a value has a slash or is empty', () => {
  assert.equal(pushgatewayGroupUrl('http://gw:9091/', 'meshprobe', 'hub-1'), 'http://gw:9091/metrics/job/meshprobe/instance/hub-1');
  assert.equal(pushgatewayGroupUrl('http://gw:9091', 'meshprobe'), 'http://gw:9091/metrics/job/meshprobe');
  assert.equal(pushgatewayGroupUrl('http://gw:9091', 'a/b', 'x y'), `http://gw:9091/metrics/job@base64/${Buffer.from('a/b').toString('base64url')}/instance/x%20y`);
  assert.equal(pushgatewayGroupUrl('http://gw:9091', 'j', ''), 'http://gw:9091/metrics/job/j/instance@base64/=');
  assert.throws(() => new PushgatewayPusher({ url: 'ftp://gw', produce: () => '' }), /http\(s\) URL/);
  assert.throws(() => new PushgatewayPusher({ url: 'http://gw', intervalMs: 10, produce: () => '' }), /at least 1s/);
});

test('a real hub pushes its monitor families by PUT in the text format, every interval', async () => {
  const gw = await gateway();
  const t = await startTestHub({ pushgateway: { url: gw.url, job: 'meshprobe', instance: 'hub-1', intervalMs: 1000 } });
  try {
    await until('two pushes', () => gw.pushes.length >= 2, 5000);
    const p = gw.pushes[0]!;
    assert.equal(p.method, 'PUT');
    assert.equal(p.path, '/metrics/job/meshprobe/instance/hub-1');
    assert.match(p.contentType, /^text\/plain; version=0\.0\.4/);
    const families = parsePromText(p.body);
    assert.equal(families.get('meshprobe_monitor_rtt_seconds')?.type, 'histogram');
    assert.equal(families.get('tcp_echo_sent_total')?.type, 'counter');
    // Only the monitors' families: the hub's process metrics stay for scrapes.
    assert.ok(![...families.keys()].some((n) => n.startsWith('meshprobe_hub_')));
  } finally {
    await t.close();
    await new Promise<void>((r) => gw.server.close(() => r()));
  }
  const after = gw.pushes.length;
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(gw.pushes.length, after, 'no push after the hub closed');
});

test('a gateway that refuses, then accepts: logged once with its reason, then once that it works again', async () => {
  let code = 400;
  const gw = await gateway(() => code);
  const lines: string[] = [];
  const pusher = new PushgatewayPusher({ url: gw.url, job: 'j', intervalMs: 1000, produce: () => '# TYPE x counter\nx 1\n', log: (l) => lines.push(l) });
  try {
    await pusher.push();
    await pusher.push();
    assert.equal(pusher.failed, 2);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /cannot push metrics to http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/j: HTTP 400: pushed metrics are invalid/);
    code = 200;
    await pusher.push();
    assert.equal(pusher.pushed, 1);
    assert.match(lines[1]!, /works again/);
    await new Promise<void>((r) => gw.server.close(() => r()));
    gw.server.closeAllConnections();
    await pusher.push();
    assert.match(lines[2]!, /cannot push metrics to .*: (ECONNREFUSED|the gateway closed the connection) \(trying again every 1 s\)$/);
  } finally {
    await pusher.stop();
    gw.server.close();
  }
});
