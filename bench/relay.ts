/**
 * Relay overhead bench (issue 4, design §10): the latency an event gains on its way
 * agent → hub (WebSocket) → client (HTTP NDJSON), against the same agent streaming directly,
 * and the events per second of both paths.
 *
 * How it measures (and why):
 * - One clock for every process: the agent stamps each reply with its send time (in `kind`) from
 *   process.hrtime (CLOCK_MONOTONIC, shared by all processes of this machine), and this client
 *   reads the same clock. Epoch clocks (performance.timeOrigin) carry a per-process offset.
 * - The arrival time is taken first thing in the socket's 'data' callback, for the whole
 *   chunk, before any line splitting or parsing, over plain node:http (no web streams, no
 *   async iterator hops, no JSON.parse: the stamp is read with indexOf). So the client adds as
 *   little as it can, and adds it to both paths alike.
 * - The client's own GC pauses delay its reading of both paths; they are observed
 *   (PerformanceObserver 'gc') and reported per round, and samples that arrived in a chunk read
 *   during or right after one of this process's GC pauses are counted separately.
 * - Direct and relay rounds alternate ABBA (D R, R D, D R, …) after a warm-up of both paths,
 *   so that both see the same background load of this shared machine; each round reports
 *   p50/p99/p99.9 of both paths; the headline is the median over rounds.
 * - The hub's own time per relayed frame (decode → written to the client socket) comes from its
 *   relay histogram, differenced over the measured rounds only; its CPU time per relayed event
 *   from the scheduler's accounting around each relay round (a steadier figure than latency on
 *   a shared machine, for comparing hub changes).
 *
 *   node --disable-warning=ExperimentalWarning bench/relay.ts [rate=10000] [events per round=10000] [rounds=10] [--json]
 */
import { request, Agent } from 'node:http';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { startNode } from '../test/helpers/node-process.ts';
import { monoMs } from './flood-agent.ts';

const json = process.argv.includes('--json');
const args = process.argv.slice(2).filter((a) => a !== '--json');
const rate = Number(args[0] ?? 10_000);
const totalEvents = Number(args[1] ?? 10_000);
const ROUNDS = Number(args[2] ?? 10);
// With --json the human lines go to stderr and one JSON line (for bench/run.ts) to stdout.
const say = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
const targets = Math.max(1, Math.ceil(totalEvents / 10_000));
const count = Math.ceil(totalEvents / targets);

/** A chunk read within this long after one of our GC pauses ended counts as GC-delayed. */
const GC_SHADOW_MS = 0.5;

// This process's GC pauses, in performance.now() time, while a round runs.
let gcPauses: { start: number; end: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
}).observe({ entryTypes: ['gc'] });
// monoMs() − performance.now() is constant within a process; the smallest of a few samples is
// the tightest estimate.
let perfOffset = Infinity;
for (let i = 0; i < 1000; i++) {
  const a = performance.now();
  const m = monoMs();
  const b = performance.now();
  perfOffset = Math.min(perfOffset, m - (a + b) / 2);
}

interface RunResult {
  events: number;
  seconds: number;
  /** Delivery latency of every reply (ms), in arrival order. */
  latencies: Float64Array;
  /** Arrival time of each sample (performance.now() ms), to match against GC pauses. */
  arrivals: Float64Array;
  n: number;
  gc: { count: number; ms: number };
  gcDelayed: number;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
/** Where FloodAgent puts its send time (in `kind`, a field the hub's event schema relays). */
const SENT_AT = '"kind":"t';

function stream(url: string, token: string | undefined, spec: unknown, expected: number): Promise<RunResult> {
  const body = JSON.stringify(spec);
  const latencies = new Float64Array(expected + 16);
  const arrivals = new Float64Array(expected + 16);
  gcPauses = [];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url + '/v1/measurements', {
      method: 'POST',
      agent: keepAlive,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`${url}: ${res.statusCode}`));
      }
      let n = 0;
      let events = 0;
      let partial = '';
      res.on('data', (chunk: Buffer) => {
        const at = monoMs(); // first thing: the chunk is here
        const text = partial + chunk.toString('latin1');
        let from = 0;
        let nl: number;
        while ((nl = text.indexOf('\n', from)) !== -1) {
          events++;
          const s = text.indexOf(SENT_AT, from);
          if (s !== -1 && s < nl && n < latencies.length) {
            latencies[n] = at - Number.parseFloat(text.slice(s + SENT_AT.length, nl));
            arrivals[n++] = at - perfOffset;
          }
          from = nl + 1;
        }
        partial = text.slice(from);
      });
      res.on('error', reject);
      res.on('end', () => {
        const seconds = (performance.now() - started) / 1000;
        const pauses = gcPauses;
        let gcDelayed = 0;
        for (let i = 0; i < n; i++) {
          const a = arrivals[i]!;
          if (pauses.some((p) => a >= p.start && a <= p.end + GC_SHADOW_MS)) gcDelayed++;
        }
        resolve({ events, seconds, latencies, arrivals, n, gc: { count: pauses.length, ms: pauses.reduce((s, p) => s + p.end - p.start, 0) }, gcDelayed });
      });
    });
    req.end(body);
  });
}

interface Figures {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

const pct = (sorted: ArrayLike<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const median = (xs: number[]): number => pct([...xs].sort((a, b) => a - b), 50);

function figures(samples: Float64Array): Figures {
  const s = Float64Array.from(samples).sort();
  return { p50: pct(s, 50), p99: pct(s, 99), p999: pct(s, 99.9), max: s[s.length - 1] ?? NaN };
}
const f3 = (x: number) => x.toFixed(3);
const fig = (f: Figures) => `p50 ${f3(f.p50)}  p99 ${f3(f.p99)}  p99.9 ${f3(f.p999)}  max ${f3(f.max)}`;

/** The hub's relay histogram (cumulative [le, count] pairs) and its CPU seconds so far. */
async function hubMetrics(hubUrl: string): Promise<{ histogram: [string, number][] }> {
  const metrics = await (await fetch(hubUrl + '/metrics')).text();
  const histogram = [...metrics.matchAll(/^meshprobe_hub_relay_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])] as [string, number]);
  return { histogram };
}

/**
 * CPU time (ms) of all threads of process `pid` so far, from the scheduler's own nanosecond
 * accounting (/proc/PID/task/TID/schedstat, Linux). Tick-sampled figures (getrusage, prom-client's
 * process_cpu) are biased for a process that wakes a thousand times a second for a few µs each.
 */
async function cpuMs(pid: number): Promise<number> {
  let ns = 0;
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const stat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '0');
    ns += Number(stat.split(' ')[0]);
  }
  return ns / 1e6;
}

const dataDir = await mkdtemp(join(tmpdir(), 'mp-bench-relay-'));
const hub = startNode('bin/start.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_SUBJECT_RATE: '0' });
let agent: ReturnType<typeof startNode> | undefined;
try {
  const hubUrl = (await hub.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  const admin = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
  const minted = await fetch(hubUrl + '/v1/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
    body: JSON.stringify({ sub: 'agent:flood1', scope: 'agent', ttl: '1h' }),
  });
  const agentToken = ((await minted.json()) as { token: string }).token;
  agent = startNode('bench/relay-agent.ts', [hubUrl, agentToken, String(rate)]);
  const directUrl = (await agent.waitFor(/^direct (http:\/\/\S+)/))[1]!;
  const spec = { type: 'ping', targets: Array.from({ length: targets }, (_, i) => `127.0.0.${i + 1}`), count, from: ['flood1'] };
  const perRound = targets * count;
  const run = (path: 'direct' | 'relay') => (path === 'direct' ? stream(directUrl, undefined, spec, perRound) : stream(hubUrl, admin, spec, perRound));

  say(`relay bench: ${rate || 'max'} events/s; hub ${hubUrl}, direct ${directUrl}; ${ROUNDS} rounds (ABBA order) of ${perRound} reply events each way; latencies in ms`);
  // Warm up both paths (JIT in all three processes, connections, heap sizes).
  for (let i = 0; i < 2; i++) {
    await run('direct');
    await run('relay');
  }
  const before = await hubMetrics(hubUrl);
  // The hub's CPU time while it relays (it idles during direct rounds), per relayed event.
  let hubCpuMs = 0;
  const results: Record<'direct' | 'relay', RunResult[]> = { direct: [], relay: [] };
  const per: Record<'direct' | 'relay', Figures[]> = { direct: [], relay: [] };
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? (['direct', 'relay'] as const) : (['relay', 'direct'] as const);
    for (const path of order) {
      const cpu0 = path === 'relay' ? await cpuMs(hub.child.pid!).catch(() => NaN) : 0;
      results[path].push(await run(path));
      if (path === 'relay') hubCpuMs += (await cpuMs(hub.child.pid!).catch(() => NaN)) - cpu0;
    }
    const d = results.direct[i]!;
    const r = results.relay[i]!;
    const fd = figures(d.latencies.subarray(0, d.n));
    const fr = figures(r.latencies.subarray(0, r.n));
    per.direct.push(fd);
    per.relay.push(fr);
    say(
      `round ${String(i + 1).padStart(2)} ${order[0]![0]}${order[1]![0]}  direct ${fig(fd)}  |  relay ${fig(fr)}  |  added p50 ${f3(fr.p50 - fd.p50)} p99 ${f3(fr.p99 - fd.p99)} p99.9 ${f3(fr.p999 - fd.p999)}` +
        `  | client GC d ${d.gc.count}/${d.gc.ms.toFixed(1)}ms r ${r.gc.count}/${r.gc.ms.toFixed(1)}ms`,
    );
  }
  const after = await hubMetrics(hubUrl);

  const med = (path: 'direct' | 'relay', k: keyof Figures) => median(per[path].map((f) => f[k]));
  const medAdded = (k: keyof Figures) => median(per.relay.map((f, i) => f[k] - per.direct[i]![k]));
  const eps = (rs: RunResult[]) => rs.reduce((a, r) => a + r.events, 0) / rs.reduce((a, r) => a + r.seconds, 0);
  const pooled = (rs: RunResult[]) => figures(Float64Array.from(rs.flatMap((r) => [...r.latencies.subarray(0, r.n)])));
  const gcShare = (rs: RunResult[]) => rs.reduce((a, r) => a + r.gcDelayed, 0) / rs.reduce((a, r) => a + r.n, 0);
  const summary = {
    direct: { p50: med('direct', 'p50'), p99: med('direct', 'p99'), p999: med('direct', 'p999'), eps: eps(results.direct) },
    relay: { p50: med('relay', 'p50'), p99: med('relay', 'p99'), p999: med('relay', 'p999'), eps: eps(results.relay) },
  };
  const pd = pooled(results.direct);
  const pr = pooled(results.relay);
  say(`median of ${ROUNDS} rounds  direct p50 ${f3(summary.direct.p50)}  p99 ${f3(summary.direct.p99)}  p99.9 ${f3(summary.direct.p999)}`);
  say(`median of ${ROUNDS} rounds  relay  p50 ${f3(summary.relay.p50)}  p99 ${f3(summary.relay.p99)}  p99.9 ${f3(summary.relay.p999)}`);
  say(`added by the relay, median of per-round differences: p50 ${f3(medAdded('p50'))}  p99 ${f3(medAdded('p99'))}  p99.9 ${f3(medAdded('p999'))} ms (target: p99 < 1 ms at 10k events/s)`);
  say(`all rounds pooled: direct ${fig(pd)}  |  relay ${fig(pr)}  |  added p99 ${f3(pr.p99 - pd.p99)}`);
  say(`throughput: direct ${Math.round(summary.direct.eps)} events/s, relay ${Math.round(summary.relay.eps)} events/s (${(summary.relay.eps / summary.direct.eps).toFixed(2)}×)`);
  say(`samples read right after this client's own GC pauses: direct ${(gcShare(results.direct) * 100).toFixed(2)} %, relay ${(gcShare(results.relay) * 100).toFixed(2)} %`);

  // The hub's own share: frame in from the agent → its events written to the client socket.
  const buckets = after.histogram.map(([le, n], i) => [le, n - (before.histogram[i]?.[1] ?? 0)] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  const within = (q: number) => buckets.find(([, n]) => n >= q * total)?.[0];
  const relayed = results.relay.reduce((a, r) => a + r.events, 0);
  const hubCpuUsPerEvent = (hubCpuMs * 1e3) / relayed;
  say(`hub CPU while relaying (all its threads): ${hubCpuUsPerEvent.toFixed(2)} µs per event (${((hubCpuUsPerEvent * summary.relay.eps) / 1e4).toFixed(1)} % of a core at ${Math.round(summary.relay.eps)} events/s)`);
  say(`hub-internal time per relayed frame (${total} frames in the measured rounds): p50 ≤ ${within(0.5)} s, p99 ≤ ${within(0.99)} s, p99.9 ≤ ${within(0.999)} s`);
  if (json) {
    process.stdout.write(
      JSON.stringify({
        rate,
        rounds: ROUNDS,
        eventsPerRound: perRound,
        direct: summary.direct,
        relay: summary.relay,
        addedP50Ms: medAdded('p50'),
        addedP99MedianMs: medAdded('p99'),
        addedP999MedianMs: medAdded('p999'),
        addedP99PooledMs: pr.p99 - pd.p99,
        hubFrameP99S: within(0.99),
        hubCpuUsPerEvent,
      }) + '\n',
    );
  }
} finally {
  keepAlive.destroy();
  await agent?.stop();
  await hub.stop();
  await rm(dataDir, { recursive: true, force: true });
}
