/**
 * Relay overhead bench (issue 4): events per second and the latency an event gains on its way
 * agent → hub (WebSocket) → client (HTTP NDJSON), against the same agent streaming directly.
 * Hub and agent are separate processes; latency is measured with epoch timestamps
 * (performance.timeOrigin + now()) stamped by the agent and read by this client.
 *
 *   node --disable-warning=ExperimentalWarning bench/relay.ts [rate=10000] [events per round=6000] [rounds=10]
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitLines } from '../shared/ndjson.ts';
import { startNode } from '../test/helpers/node-process.ts';
import { epochMs } from './flood-agent.ts';

const json = process.argv.includes('--json');
const args = process.argv.slice(2).filter((a) => a !== '--json');
const rate = Number(args[0] ?? 10_000);
const totalEvents = Number(args[1] ?? 6_000);
const ROUNDS = Number(args[2] ?? 10);
// With --json the human lines go to stderr and one JSON line (for bench/run.ts) to stdout.
const say = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');
const targets = Math.max(1, Math.ceil(totalEvents / 10_000));
const count = Math.ceil(totalEvents / targets);

interface RunResult {
  events: number;
  seconds: number;
  latencies: number[];
}

async function stream(url: string, token: string | undefined, spec: unknown): Promise<RunResult> {
  const started = performance.now();
  const res = await fetch(url + '/v1/measurements', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(spec),
  });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  const latencies: number[] = [];
  let events = 0;
  for await (const line of splitLines(res.body!)) {
    events++;
    const at = epochMs();
    const e = JSON.parse(line) as { type: string; sentAt?: number };
    if (e.type === 'reply' && e.sentAt !== undefined) latencies.push(at - e.sentAt);
  }
  return { events, seconds: (performance.now() - started) / 1000, latencies };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

function describe(label: string, r: RunResult): { p50: number; p99: number; eps: number } {
  const s = [...r.latencies].sort((a, b) => a - b);
  const out = { p50: pct(s, 50), p99: pct(s, 99), eps: r.events / r.seconds };
  say(`${label.padEnd(8)} ${r.events} events in ${r.seconds.toFixed(2)} s = ${Math.round(out.eps)} events/s; latency p50 ${out.p50.toFixed(3)} ms, p99 ${out.p99.toFixed(3)} ms, max ${s.at(-1)!.toFixed(3)} ms`);
  return out;
}

const dataDir = await mkdtemp(join(tmpdir(), 'mp-bench-relay-'));
const hub = startNode('hub/main.ts', [], { MESHPROBE_LISTEN: '127.0.0.1:0', MESHPROBE_DATA_DIR: dataDir, MESHPROBE_SUBJECT_RATE: '0' });
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

  say(`relay bench: ${rate || 'max'} events/s; hub ${hubUrl}, direct ${directUrl}; ${ROUNDS} alternating rounds of ${targets * count} reply events each way`);
  // Warm up both paths (JIT, connections), then alternate short rounds so that both paths see
  // the same background load (this machine is shared); compare per-round p99s.
  await stream(directUrl, undefined, { ...spec, count: 500 });
  await stream(hubUrl, admin, { ...spec, count: 500 });
  const results: Record<'direct' | 'relay', RunResult[]> = { direct: [], relay: [] };
  const added: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const d = await stream(directUrl, undefined, spec);
    const r = await stream(hubUrl, admin, spec);
    results.direct.push(d);
    results.relay.push(r);
    const p99 = (x: RunResult) => pct([...x.latencies].sort((a, b) => a - b), 99);
    added.push(p99(r) - p99(d));
  }
  const merge = (rs: RunResult[]): RunResult => ({ events: rs.reduce((a, r) => a + r.events, 0), seconds: rs.reduce((a, r) => a + r.seconds, 0), latencies: rs.flatMap((r) => r.latencies) });
  const d = describe('direct', merge(results.direct));
  const r = describe('relay', merge(results.relay));
  const addedSorted = [...added].sort((a, b) => a - b);
  say(`added by the relay, all rounds pooled: p50 ${(r.p50 - d.p50).toFixed(3)} ms, p99 ${(r.p99 - d.p99).toFixed(3)} ms`);
  say(`added p99 per round (relay p99 - direct p99): median ${pct(addedSorted, 50).toFixed(3)} ms, best ${addedSorted[0]!.toFixed(3)} ms, worst ${addedSorted.at(-1)!.toFixed(3)} ms (target < 1 ms at 10k events/s)`);

  // The hub's own share: frame in from the agent → events written to the client, from its histogram.
  const metrics = await (await fetch(hubUrl + '/metrics')).text();
  const buckets = [...metrics.matchAll(/^meshprobe_hub_relay_latency_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)].map((m) => [m[1]!, Number(m[2])] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  const within = (q: number) => buckets.find(([, n]) => n >= q * total)?.[0];
  say(`hub-internal relay time per frame (${total} frames): p50 ≤ ${within(0.5)} s, p99 ≤ ${within(0.99)} s`);
  if (json) {
    process.stdout.write(
      JSON.stringify({
        rate,
        rounds: ROUNDS,
        eventsPerRound: targets * count,
        direct: d,
        relay: r,
        addedP50Ms: r.p50 - d.p50,
        addedP99PooledMs: r.p99 - d.p99,
        addedP99MedianMs: pct(addedSorted, 50),
        hubFrameP99S: within(0.99),
      }) + '\n',
    );
  }
} finally {
  await agent?.stop();
  await hub.stop();
  await rm(dataDir, { recursive: true, force: true });
}
