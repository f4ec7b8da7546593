/**
 * The agent's half of the monitor protocol against an independent hub: a `ws` WebSocketServer
 * that speaks shared/wire/agent-protocol.ts (hello → welcome, monitors, report → ack) and keeps
 * rows as the hub's store does (keyed by monitor and minute, a row replaced only by a grown one).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentRuntime } from '../../../agent/runtime/agent-runtime.ts';
import { LocalAgent } from '../../../agent/runtime/local-agent.ts';
import type { MinuteRow, MonitorAssignment } from '../../../shared/model/monitor-types.ts';
import { AGENT_PROTOCOL_VERSION } from '../../../shared/wire/agent-protocol-constants.ts';
import { decodeAgentMessage } from '../../../shared/wire/agent-protocol.ts';
import { startNode } from '../../helpers/node-process.ts';
import { rawSkipReason } from '../../helpers/raw-capability.ts';

const skip = rawSkipReason();
const LIST: MonitorAssignment[] = [
  { id: 1, type: 'ping', target: '127.0.0.1', intervalMs: 100, timeoutMs: 500, rev: 1 },
  { id: 2, type: 'ping', target: '127.0.0.2', intervalMs: 200, timeoutMs: 500, rev: 1 },
];

interface TestHub {
  url: string;
  /** Stored rows by `m:t`. */
  rows: Map<string, MinuteRow>;
  /** Seqs of reports received, in order (with repeats), and of those acknowledged. */
  received: number[];
  acked: Set<number>;
  /** Seqs received again after they were acknowledged. */
  duplicates: number[];
  /** Whether agents may connect (false: upgrades are refused, as a hub that is down). */
  open: boolean;
  /** Drop the next report without storing or acknowledging it, then cut the connection. */
  dropNext: boolean;
  dropped: number[];
  cut(): void;
  close(): Promise<void>;
}

async function startHub(): Promise<TestHub> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1/agents/connect', verifyClient: (_info, cb) => cb(hub.open, 503, 'the hub is down') });
  await once(wss, 'listening');
  const sockets = new Set<WebSocket>();
  const hub: TestHub = {
    url: `http://127.0.0.1:${(wss.address() as { port: number }).port}`,
    rows: new Map(),
    received: [],
    acked: new Set(),
    duplicates: [],
    open: true,
    dropNext: false,
    dropped: [],
    cut: () => {
      for (const ws of sockets) ws.terminate();
    },
    close: async () => {
      hub.cut();
      await new Promise<void>((r) => wss.close(() => r()));
    },
  };
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => {
      const d = decodeAgentMessage(data.toString());
      assert.ok(d.ok, d.ok ? '' : d.reason);
      const m = d.message;
      if (m.t === 'hello') {
        ws.send(JSON.stringify({ t: 'welcome', v: AGENT_PROTOCOL_VERSION, heartbeatMs: 10_000, policy: 'lan' }));
        ws.send(JSON.stringify({ t: 'monitors', list: LIST, policy: 'lan' }));
      } else if (m.t === 'report') {
        if (hub.acked.has(m.seq)) hub.duplicates.push(m.seq);
        hub.received.push(m.seq);
        if (hub.dropNext && m.rows.length > 0) {
          hub.dropNext = false;
          hub.dropped.push(m.seq);
          ws.terminate();
          return;
        }
        for (const r of m.rows) {
          const key = `${r.m}:${r.t}`;
          const prev = hub.rows.get(key);
          if (!prev || r.sent > prev.sent) hub.rows.set(key, r);
        }
        hub.acked.add(m.seq);
        ws.send(JSON.stringify({ t: 'ack', seq: m.seq }));
      }
    });
  });
  return hub;
}

function clock(): { start: number; base: number; now: () => number } {
  const start = Date.now();
  const base = Math.ceil(start / 60_000) * 60_000;
  return { start, base, now: () => base + (Date.now() - start) * 60 };
}

/** Every minute of monitor `m` from its first to its last stored row, and how each looks. */
function minutes(hub: TestHub, m: number): MinuteRow[] {
  return [...hub.rows.values()].filter((r) => r.m === m).sort((a, b) => a.t - b.t);
}

function assertContiguous(rows: MinuteRow[], perMinute: number, what: string): void {
  for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.t - rows[i - 1]!.t, 60_000, `${what}: minute ${new Date(rows[i - 1]!.t).toISOString()} is followed by ${new Date(rows[i]!.t).toISOString()}`);
  // Whole minutes inside the range (not the first and last, which the test cut into).
  for (const r of rows.slice(1, -1)) assert.ok(r.sent >= perMinute * 0.5 && r.sent <= perMinute * 1.5, `${what}: ${r.sent} probes in the minute ${new Date(r.t).toISOString()}, expected ~${perMinute}`);
}

test('a cut from the hub loses no minute and duplicates none; the unacknowledged report is sent again', { skip: skip ?? false }, async () => {
  const c = clock();
  const hub = await startHub();
  // No periodic open-minute reports here (only the one after each monitor's first outcome): every
  // later report is one of ended minutes, which the agent must keep until it is acknowledged.
  const local = new LocalAgent({ name: 'mon1', loadRunnersNow: false, monitorOptions: { now: c.now, tickMs: 100, reportEveryMs: 600_000, retryMs: 200 } });
  const runtime = new AgentRuntime({ hub: hub.url, token: 'test', agent: local, resolver: local.resolver, initialBackoffMs: 50, maxBackoffMs: 200 });
  try {
    runtime.start();
    await sleep(2500);
    assert.ok(minutes(hub, 1).length >= 2, 'rows arrive while connected');
    // The hub takes the next report but dies before storing it; then stays down for ~4 minutes.
    hub.dropNext = true;
    hub.open = false;
    while (hub.dropped.length === 0) await sleep(20);
    await sleep(4000);
    const storedDuringCut = hub.rows.size;
    hub.open = true;
    await sleep(2500);
    assert.ok(hub.rows.size > storedDuringCut + 4, 'the minutes of the cut arrive after it');
  } finally {
    await runtime.stop();
    local.close();
  }
  await sleep(300);
  await hub.close();
  // The dropped report came again; no acknowledged report did.
  const dropped = hub.dropped[0]!;
  assert.ok(hub.received.filter((s) => s === dropped).length >= 2, `report ${dropped} was not sent again`);
  assert.deepEqual(hub.duplicates, [], 'acknowledged reports were sent again');
  assertContiguous(minutes(hub, 1), 10, 'monitor 1 (10 Hz, a minute is a second here)');
  assertContiguous(minutes(hub, 2), 5, 'monitor 2 (5 Hz)');
});

test('an agent process killed while the hub is away resumes from its data dir and delivers what it spooled', { skip: skip ?? false }, async () => {
  const c = clock();
  const hub = await startHub();
  const dir = await mkdtemp(join(tmpdir(), 'mp-monitor-agent-'));
  const args = [hub.url, dir, String(c.start), String(c.base)];
  let killedAt = 0;
  let agent = startNode('test/helpers/monitor-agent-process.ts', args);
  try {
    await agent.waitFor(/^connected:/, 10_000);
    await sleep(2000);
    hub.open = false;
    hub.cut();
    // Minutes close and are spooled while the hub is away; then the process dies without warning.
    await sleep(3000);
    const beforeKill = c.now();
    killedAt = beforeKill;
    await agent.stop('SIGKILL');
    const storedBefore = minutes(hub, 1).filter((r) => r.t < beforeKill - 60_000).length;
    // It comes back with no hub: it resumes its monitors from disk.
    agent = startNode('test/helpers/monitor-agent-process.ts', args);
    await agent.waitFor(/resuming 2 monitors/, 10_000);
    await agent.waitFor(/reports \(\d+ rows\) from before the restart wait for the hub/, 10_000);
    await sleep(1500);
    hub.open = true;
    await agent.waitFor(/^connected:/, 10_000);
    await sleep(2000);
    const after = minutes(hub, 1).filter((r) => r.t < beforeKill - 60_000).length;
    assert.ok(after > storedBefore + 1, `minutes spooled before the kill were not delivered (${storedBefore} → ${after})`);
  } finally {
    await agent.stop();
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  }
  // Every minute from the first to the last one that ended before the kill is there (the
  // process was down for a second or two, which is minutes on this clock: those are not measured).
  const rows = minutes(hub, 1).filter((r) => r.t < killedAt - 60_000);
  for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.t - rows[i - 1]!.t, 60_000, `a gap after ${new Date(rows[i - 1]!.t).toISOString()}`);
});
