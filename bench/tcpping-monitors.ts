/**
 * Many tcpping monitors (issue 14 "Performance": 1,000 concurrent TCPPING monitors at 200 ms,
 * agent CPU and RSS stated, < 10 % of a core): --conns monitors at --interval through the agent's
 * real monitor machinery in this process (MonitorService: assignments, the tcpping engine, minute
 * rows, reports taken by a callback as the hub would) against a TCP echo server (our responder) in
 * another process. After a warm-up (connections open, first rows sent), --repeat windows of
 * --seconds each: this process's CPU (user and system, as a share of one core), its RSS peak, the
 * echo server's CPU apart, and the load average.
 *
 * The anchor, in the same run against the same server: bench/tcpping-floor.c, the least a client
 * can spend on this traffic (the same connections and frames, replies read through epoll, nothing
 * else), compiled with `cc -O2` and run for as many windows after ours; skipped when there is no
 * C compiler. Most of either figure is the kernel's TCP work: on loopback a sender's write also
 * runs the receiver's TCP input.
 *
 * As root it re-runs itself in a network namespace of its own (bench/netns-bench.ts), so that
 * loopback traffic of other processes on the box does not share its loopback. The young
 * generation is held as `meshprobe agent` holds it (agent/runtime/young-generation.ts); `--young
 * default` leaves V8's sizing alone. `--legacy` runs the monitors with tcp-echo-metrics' 16-byte
 * frames and `--fixed-timeout` without the adaptive timeout.
 *
 *   node bench/tcpping-monitors.ts [--conns 1000] [--interval 200] [--seconds 20] [--warmup 5]
 *     [--repeat 3] [--young held|default] [--legacy] [--fixed-timeout] [--json]
 *   node --cpu-prof --cpu-prof-dir /tmp/prof bench/tcpping-monitors.ts --repeat 1   (profile: run it inside by hand)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { MonitorService } from '../agent/monitors/monitor-service.ts';
import { holdYoungGeneration } from '../agent/runtime/young-generation.ts';
import type { MonitorAssignment } from '../shared/model/monitor-types.ts';
import { cpuSeconds, inOwnNetns, loadAverage, median } from './netns-bench.ts';

const { values } = parseArgs({
  options: {
    conns: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    repeat: { type: 'string', default: '3' },
    young: { type: 'string', default: 'held' },
    legacy: { type: 'boolean' },
    'fixed-timeout': { type: 'boolean' },
    'no-netns': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const isRoot = process.getuid?.() === 0;

const SERVER = `
import('./agent/servers/tcp-echo-responder.ts').then(async ({ TcpEchoResponder }) => {
  const r = new TcpEchoResponder({ maxPerSource: 100000, maxConnections: 100000 });
  const a = await r.listen('127.0.0.1', 0);
  console.log(a.port);
});`;

await inOwnNetns('mp-tcpping-bench', fileURLToPath(import.meta.url), inside, isRoot && !values['no-netns']);

interface Run {
  cpu: number;
  user: number;
  system: number;
  server: number;
  rssMB: number;
  load: number;
}

async function inside(ns: string | undefined): Promise<void> {
  const conns = Number(values.conns);
  const intervalMs = Number(values.interval);
  const seconds = Number(values.seconds);
  const repeat = Number(values.repeat);
  if (values.young === 'held') holdYoungGeneration();
  const where = ns ? `in netns ${ns}` : isRoot ? 'on the host (--no-netns)' : 'on the host (not root: no namespace)';

  const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', SERVER], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = Number(await new Promise<string>((r) => createInterface({ input: server.stdout! }).once('line', r)));
  const resolver = { resolve: async (host: string) => ({ address: host, family: 4 as const }) };

  const service = new MonitorService({ agent: 'bench', resolver, policy: 'lan' });
  let rowsReported = 0;
  service.onReport(async (report) => {
    rowsReported += report.rows.length;
  });
  const options = { ...(values.legacy ? { legacy: true as const } : {}), ...(values['fixed-timeout'] ? { fixedTimeout: true as const } : {}) };
  const assignments: MonitorAssignment[] = Array.from({ length: conns }, (_, i) => ({ id: i + 1, type: 'tcpping', target: `127.0.0.1:${port}`, intervalMs, timeoutMs: 1000, rev: 1, ...options }));
  service.assign(assignments, { policy: 'lan' });
  await sleep(Number(values.warmup) * 1000);

  const runs: Run[] = [];
  for (let i = 0; i < repeat; i++) {
    const cpu0 = process.cpuUsage();
    const s0 = cpuSeconds(server.pid!);
    const load0 = loadAverage();
    const t0 = performance.now();
    let rss = process.memoryUsage().rss;
    const sampler = setInterval(() => (rss = Math.max(rss, process.memoryUsage().rss)), 500);
    await sleep(seconds * 1000);
    clearInterval(sampler);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const run: Run = {
      cpu: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
      user: (cpu.user / 1000 / wallMs) * 100,
      system: (cpu.system / 1000 / wallMs) * 100,
      server: ((cpuSeconds(server.pid!) - s0) / (wallMs / 1000)) * 100,
      rssMB: rss / 2 ** 20,
      load: (load0 + loadAverage()) / 2,
    };
    runs.push(run);
    if (!values.json) console.log(`  run ${i + 1}: agent ${run.cpu.toFixed(1)} % of a core (user ${run.user.toFixed(1)}, system ${run.system.toFixed(1)}), RSS peak ${run.rssMB.toFixed(0)} MB; echo server ${run.server.toFixed(1)} %; load ${run.load.toFixed(2)}`);
  }
  service.close();
  await sleep(1000);
  const floor = anchorRuns(port, conns, intervalMs, seconds, repeat);
  server.kill();

  const out = {
    conns,
    intervalMs,
    seconds,
    where,
    options,
    young: values.young,
    rowsReported,
    runs,
    cpuShareOfCore: median(runs.map((r) => r.cpu)) / 100,
    rssMB: Math.max(...runs.map((r) => r.rssMB)),
    serverCpuShareOfCore: median(runs.map((r) => r.server)) / 100,
    load: median(runs.map((r) => r.load)),
    floor: floor.length ? { runs: floor, cpuShareOfCore: median(floor.map((r) => r.cpu)) / 100 } : null,
  };
  if (values.json) console.log(JSON.stringify(out));
  else {
    console.log(
      `${conns} tcpping monitors at ${intervalMs} ms ${where}, ${repeat} × ${seconds} s (agent's MonitorService, ${rowsReported} rows reported): ` +
        `${(out.cpuShareOfCore * 100).toFixed(1)} % of a core (median; target < 10 %), RSS peak ${out.rssMB.toFixed(0)} MB; echo server ${(out.serverCpuShareOfCore * 100).toFixed(1)} %; load ${out.load.toFixed(2)}`,
    );
    if (out.floor) console.log(`the same traffic from a bare C client (bench/tcpping-floor.c), same server, ${repeat} × ${seconds} s: ${(out.floor.cpuShareOfCore * 100).toFixed(1)} % of a core (median); agent / C = ${(out.cpuShareOfCore / out.floor.cpuShareOfCore).toFixed(2)}×`);
    else console.log('no C compiler (cc): the bare C client anchor was skipped');
  }
}

interface FloorRun {
  cpu: number;
  user: number;
  system: number;
  replies: number;
}

/** bench/tcpping-floor.c against the same server, `repeat` windows; none without a C compiler. */
function anchorRuns(port: number, conns: number, intervalMs: number, seconds: number, repeat: number): FloorRun[] {
  const dir = mkdtempSync(join(tmpdir(), 'mp-tcpping-floor-'));
  try {
    const exe = join(dir, 'tcpping-floor');
    try {
      execFileSync('cc', ['-O2', '-o', exe, join(root, 'bench', 'tcpping-floor.c')], { stdio: 'ignore' });
    } catch {
      return [];
    }
    const runs: FloorRun[] = [];
    for (let i = 0; i < repeat; i++) {
      const r = JSON.parse(execFileSync(exe, [String(port), String(conns), String(intervalMs), String(seconds)], { encoding: 'utf8' })) as FloorRun;
      runs.push(r);
      if (!values.json) console.log(`  C run ${i + 1}: ${r.cpu.toFixed(1)} % of a core (user ${r.user.toFixed(1)}, system ${r.system.toFixed(1)}), ${r.replies} replies; load ${loadAverage().toFixed(2)}`);
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
