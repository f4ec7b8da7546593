/**
 * Monitors through the whole product (issue 13 "Performance"), in a network namespace of its own
 * (the script re-runs itself inside it, so the hub it starts on 127.0.0.1 is reachable):
 *
 * 1. `npm start` (bin/start.ts: hub + embedded agent in one process) with N monitors (default
 *    2,000) at 1 Hz added through the REST API with the admin token: CPU of the whole process
 *    tree over the window, alternately with `fping -l -p 1000 -i 0 -q` (and -Q 3600, silent) on
 *    the same addresses; the bound is tree ≤ 3 × fping. Then the time from `POST
 *    /v1/monitors` to the first sample in `GET /v1/monitors/{id}` (`monitor show`) for a 1 s
 *    monitor, with the N running (bound: 2 intervals).
 * 2. The hub alone at 10,000 targets: bin/start.ts with a remote agent process (agent/main.ts,
 *    with a data dir) that runs all monitors (`from: edge`): CPU of each process, and what the
 *    hub writes (/proc/<pid>/io write_bytes, WAL and checkpoints included) against the minute
 *    rows it keeps (45 bytes each on disk, docs/monitors.md "Storage").
 *
 * Runs with a warm compile cache, as `meshprobe agent` does from its second start.
 * Run by hand as root:
 *   node bench/monitor-tree.ts [--monitors 2000] [--big 10000] [--seconds 60] [--warmup 30] [--repeat 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchAddress, cpuSeconds, inOwnNetns, loadAverage, median, processTree, rssMb, runFping, treeCpu, type FpingRun } from './netns-bench.ts';

const { values } = parseArgs({
  options: {
    monitors: { type: 'string', default: '2000' },
    big: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '30' },
    repeat: { type: 'string', default: '3' },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

await inOwnNetns('mp-tree-bench', fileURLToPath(import.meta.url), inside);

interface Started {
  proc: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

function nodeProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started & { match: RegExpExecArray }> {
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) resolve({ proc, url: m[1] ?? '', exited, match: m });
    };
    proc.stdout!.on('data', look);
    proc.stderr!.on('data', look);
    void exited.then(() => reject(new Error(`${args.join(' ')} exited: ${out}`)));
  });
}

async function inside(ns: string | undefined): Promise<void> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const repeat = Number(values.repeat);
  const cache = mkdtempSync(join(tmpdir(), 'mp-tree-cache-'));
  const nsRef = { name: ns ?? '', exec: () => { throw new Error('inside already'); }, close: () => {} };
  const fmt = (r: { cpu: number; load: number }) => `${r.cpu.toFixed(1)} % (load ${r.load.toFixed(1)})`;
  console.log(`monitor tree bench in netns ${ns}, ${seconds} s windows after ${warmup} s, load now ${loadAverage().toFixed(1)}`);

  // ---- 1. npm start with N monitors, against fping on the same addresses ----
  const n = Number(values.monitors);
  {
    const dataDir = mkdtempSync(join(tmpdir(), 'mp-tree-'));
    const env = { ...process.env, NODE_COMPILE_CACHE: cache, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_MONITOR_MAX_PPS_PER_AGENT: '0', MESHPROBE_MONITOR_MAX_PER_SUBJECT: '0', MESHPROBE_SUBJECT_RATE: '0' };
    const hub = await nodeProcess(['bin/start.ts'], env, /listening on (http:\/\/\S+)/);
    try {
      const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const t0 = performance.now();
      await addMonitors(hub.url, admin, n, undefined);
      console.log(`  ${n} monitors added through POST /v1/monitors in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(warmup * 1000);
      const tree: { cpu: number; load: number; rss: number }[] = [];
      const fq: FpingRun[] = [];
      const fQ: FpingRun[] = [];
      for (let i = 0; i < repeat; i++) {
        const m = await treeCpu(hub.proc.pid!, seconds);
        tree.push({ cpu: m.total, load: m.load, rss: processTree(hub.proc.pid!).reduce((a, p) => a + rssMb(p), 0) });
        console.log(`  run ${i + 1}: npm start tree, ${n} monitors: ${fmt(tree.at(-1)!)}, RSS ${tree.at(-1)!.rss.toFixed(0)} MB`);
        // fping while the tree idles would share the CPU: the hub is stopped from probing by
        // SIGSTOP (its sockets stay, nothing is sent) for fping's window.
        process.kill(hub.proc.pid!, 'SIGSTOP');
        try {
          for (const [quiet, list] of [['-q', fq], ['-Q', fQ]] as const) {
            const f = await runFping(nsRef as never, n, { warmup: 12, seconds, quiet });
            if (typeof f === 'string') console.log(`  run ${i + 1}: fping ${quiet} exited: ${f}`);
            else {
              list.push(f);
              console.log(`  run ${i + 1}: fping ${quiet} ${n}: ${fmt(f)}`);
            }
          }
        } finally {
          process.kill(hub.proc.pid!, 'SIGCONT');
        }
        await sleep(10_000); // the hub and agent catch up after the stop
      }
      const first: number[] = [];
      for (let i = 0; i < 5; i++) first.push(await firstSample(hub.url, admin, i));
      const mt = median(tree.map((r) => r.cpu));
      console.log(`  npm start tree, ${n} monitors at 1 Hz: CPU ${mt.toFixed(1)} % of a core (median of ${repeat}, load ${median(tree.map((r) => r.load)).toFixed(1)})`);
      for (const [quiet, list] of [['-q', fq], ['-Q 3600', fQ]] as const) {
        if (!list.length) continue;
        const f = median(list.map((r) => r.cpu));
        console.log(`  fping ${quiet}, same ${n} addresses: CPU ${f.toFixed(1)} %; tree/fping ${(mt / f).toFixed(2)}× (bound 3×)`);
      }
      console.log(`  monitor add → first sample in monitor show, 1 s interval, ${n} running: median ${median(first).toFixed(0)} ms, max ${Math.max(...first).toFixed(0)} ms of ${first.length} (bound 2 intervals: 2000 ms)`);
    } finally {
      hub.proc.kill('SIGTERM');
      await hub.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  // ---- 2. the hub alone, a remote agent running 10,000 monitors ----
  const big = Number(values.big);
  if (big > 0) {
    const dataDir = mkdtempSync(join(tmpdir(), 'mp-tree-hub-'));
    const agentDir = mkdtempSync(join(tmpdir(), 'mp-tree-agent-'));
    const env = { ...process.env, NODE_COMPILE_CACHE: cache, MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_MONITOR_MAX_PPS_PER_AGENT: '0', MESHPROBE_MONITOR_MAX_PER_SUBJECT: '0', MESHPROBE_SUBJECT_RATE: '0' };
    const hub = await nodeProcess(['bin/start.ts'], env, /listening on (http:\/\/\S+)/);
    let agent: Started | undefined;
    try {
      const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const token = ((await (await api(hub.url, admin, 'POST', '/v1/tokens', { sub: 'agent:edge', scope: 'agent', ttl: '1h' })).json()) as { token: string }).token;
      agent = await nodeProcess(['agent/main.ts', '--hub', hub.url, '--name', 'edge', '--token', token, '--data-dir', agentDir], { ...process.env, NODE_COMPILE_CACHE: cache }, /(connected to)/);
      const t0 = performance.now();
      await addMonitors(hub.url, admin, big, 'edge');
      console.log(`  ${big} monitors on a remote agent, added in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await sleep(warmup * 1000);
      const hubCpu: number[] = [];
      const agentCpu: number[] = [];
      const written: number[] = [];
      for (let i = 0; i < repeat; i++) {
        const w0 = writeBytes(hub.proc.pid!);
        const a0 = cpuSeconds(agent.proc.pid!);
        const t = performance.now();
        const m = await treeCpu(hub.proc.pid!, seconds);
        const wall = (performance.now() - t) / 1000;
        hubCpu.push(m.total);
        agentCpu.push(((cpuSeconds(agent.proc.pid!) - a0) / wall) * 100);
        written.push(((writeBytes(hub.proc.pid!) - w0) / wall) * 60);
        console.log(`  run ${i + 1}: hub ${fmt({ cpu: m.total, load: m.load })}, agent ${agentCpu.at(-1)!.toFixed(1)} %, hub writes ${(written.at(-1)! / 1e6).toFixed(1)} MB/min; RSS hub ${rssMb(hub.proc.pid!).toFixed(0)} MB, agent ${rssMb(agent.proc.pid!).toFixed(0)} MB`);
      }
      const w = median(written);
      console.log(`  hub with ${big} monitors on one remote agent: CPU ${median(hubCpu).toFixed(1)} % of a core (bound 10 %), the agent ${median(agentCpu).toFixed(1)} %`);
      console.log(`  hub writes ${(w / 1e6).toFixed(1)} MB a minute for ${big} minute rows kept (${(big * 45 / 1e6).toFixed(2)} MB at 45 bytes each): write amplification ${(w / (big * 45)).toFixed(0)}×`);
    } finally {
      agent?.proc.kill('SIGTERM');
      hub.proc.kill('SIGTERM');
      await Promise.all([agent?.exited, hub.exited]);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(agentDir, { recursive: true, force: true });
    }
  }
  rmSync(cache, { recursive: true, force: true });
}

function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(url + path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
}

/** Adds monitors m0 … m(n−1) on the bench addresses, 8 requests at a time. */
async function addMonitors(url: string, admin: string, n: number, from: string | undefined): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await api(url, admin, 'POST', '/v1/monitors', { target: benchAddress(i), name: `m${i}`, interval: '1s', ...(from ? { from: [from] } : {}) });
      if (res.status !== 201) throw new Error(`monitor ${i}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** ms from POST /v1/monitors (1 s) to the first sample in GET /v1/monitors/{id}. */
async function firstSample(url: string, admin: string, i: number): Promise<number> {
  const t0 = performance.now();
  const res = await api(url, admin, 'POST', '/v1/monitors', { target: `127.3.0.${10 + i}`, name: `first${i}`, interval: '1s' });
  const body = (await res.json()) as { id: number };
  if (res.status !== 201) throw new Error(`monitor first${i}: ${res.status} ${JSON.stringify(body)}`);
  const { id } = body;
  for (;;) {
    const show = (await (await api(url, admin, 'GET', `/v1/monitors/${id}`)).json()) as { stats?: { sent: number }[] };
    if (!show.stats) throw new Error(`monitor show ${id}: ${JSON.stringify(show)}`);
    if (show.stats.some((s) => s.sent > 0)) return performance.now() - t0;
    if (performance.now() - t0 > 30_000) return Number.POSITIVE_INFINITY;
    await sleep(20);
  }
}

/** Bytes a process caused to be written to storage (/proc/<pid>/io). */
function writeBytes(pid: number): number {
  return Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}
