/**
 * `meshprobe echo-server` as a process: it serves what it is asked on the addresses given, its
 * counters on /metrics (parsed strictly), and `--serve` refuses what it does not know.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { parseServeOption } from '../../../agent/servers/serve-command.ts';
import { servedProtocols } from '../../../agent/probes/registry.ts';
import { encodeEchoFrame } from '../../../agent/packet/tcp-echo-frame.ts';
import { startNode, type NodeProcess } from '../../helpers/node-process.ts';
import { parsePromText } from '../../helpers/prom-text.ts';

const procs: NodeProcess[] = [];
after(async () => {
  await Promise.all(procs.map((p) => p.stop()));
});

test('--serve reads NAME[:PORT[/PORT]] per protocol and refuses the unknown', async () => {
  const protocols = await servedProtocols();
  const plans = parseServeOption('tcpping,owd:9000/9001', protocols);
  assert.ok(Array.isArray(plans));
  assert.deepEqual(plans.map((p) => [p.protocol.name, p.addresses.map((a) => a.port)]), [['tcpping', [4000]], ['owd', [9000, 9001]]]);
  assert.match(String(parseServeOption('smtp', protocols)), /unknown protocol 'smtp'/);
  assert.match(String(parseServeOption('tcpping:1/2', protocols)), /at most 1 port/);
  assert.match(String(parseServeOption('tcpping:99999', protocols)), /not a port number/);
});

test('echo-server echoes, counts a bad magic, and shows its counters on /metrics', async () => {
  const p = startNode('bin/cli.ts', ['echo-server', '--tcpping', '127.0.0.1:0', '--owd-udp', '127.0.0.1:0', '--name', 'peer', '--metrics-listen', '127.0.0.1:0']);
  procs.push(p);
  const metrics = (await p.waitFor(/^metrics on (http:\S+)/))[1]!;
  const port = Number((await p.waitFor(/^serving tcpping on tcp 127\.0\.0\.1:(\d+)/))[1]);
  await p.waitFor(/^serving owd on udp 127\.0\.0\.1:\d+$/);
  const echo = await new Promise<Buffer>((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(encodeEchoFrame({ seq: 1n, sentNs: 2n })));
    s.once('data', (b) => {
      s.destroy();
      resolve(b);
    });
    s.once('error', reject);
  });
  assert.deepEqual([...echo], [...encodeEchoFrame({ seq: 1n, sentNs: 2n })]);
  await new Promise<void>((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write('TCPPONG\0' + 'x'.repeat(16)));
    s.once('close', () => resolve());
    s.on('error', () => {});
  });
  const text = await (await fetch(metrics)).text();
  const families = parsePromText(text);
  const value = (name: string, labels: Record<string, string> = {}) =>
    families.get(name)?.samples.find((s) => s.name.startsWith(name) && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(value('meshprobe_echo_frames_total', { framing: 'magic' }), 1);
  assert.equal(value('meshprobe_echo_bad_frames_total'), 1);
  assert.equal(families.get('meshprobe_owd_seconds')?.type, 'histogram');
  assert.equal(families.get('meshprobe_echo_connections_total')?.type, 'counter');
});

test('echo-server without anything to serve says what to give', async () => {
  const p = startNode('bin/cli.ts', ['echo-server']);
  procs.push(p);
  await p.waitFor(/nothing to serve: give at least one of --tcpping, --owd-tcp, --owd-udp/);
  assert.equal(await p.exited, 2);
});
