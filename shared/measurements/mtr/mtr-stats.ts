/**
 * mtr's per-hop bookkeeping, pure: probes sent and answered, the RTT columns (Last, Avg, Best,
 * Wrst, StDev, computed as mtr does: a running mean and sum of squares, the sample standard
 * deviation), the responders seen (several when ECMP answers differ), and the report in
 * `mtr --json`'s shape. The agent's runner (agent/probes/mtr/) feeds it; every front-end reads
 * the result from the events, so all show the same numbers.
 */
import type { HopEvent, HopResponder } from '../../model/events.ts';

/** One row of mtr's JSON report (`mtr --json`'s `report.hubs`). */
export type MtrHub = {
  count: number;
  host: string;
  'Loss%': number;
  Snt: number;
  Last: number;
  Avg: number;
  Best: number;
  Wrst: number;
  StDev: number;
};

/** mtr's JSON report (`mtr --json`'s `report`): the run and one row per hop; the summary's ToolReport. */
export type MtrReport = {
  mtr: { src: string; dst: string; tos: number; tests: number; psize: string; bitpattern: string };
  hubs: MtrHub[];
};

/** One hop's tallies over the rounds. */
export class MtrHop {
  readonly ttl: number;
  /** Probes sent to this TTL whose fate is known (answered or timed out). */
  settled = 0;
  received = 0;
  #mean = 0;
  #ssd = 0;
  #best = Infinity;
  #worst = 0;
  #last = 0;
  /** Responders in order of first answer, with their reply counts and latest RTT. */
  readonly responders = new Map<string, { replies: number; lastMs: number; name?: string; kind?: string; annotation?: string }>();

  constructor(ttl: number) {
    this.ttl = ttl;
  }

  /** A probe to this hop was lost (its wait ran out). */
  lost(): void {
    this.settled++;
  }

  /** A probe was answered by `from` after `rttMs`. */
  answered(from: string, rttMs: number, kind?: string, annotation?: string): void {
    this.settled++;
    this.received++;
    // mtr's net.c: Welford's running mean and sum of squared deviations.
    const old = this.#mean;
    this.#mean += (rttMs - old) / this.received;
    this.#ssd += (rttMs - old) * (rttMs - this.#mean);
    this.#best = Math.min(this.#best, rttMs);
    this.#worst = Math.max(this.#worst, rttMs);
    this.#last = rttMs;
    const r = this.responders.get(from) ?? { replies: 0, lastMs: 0 };
    r.replies++;
    r.lastMs = rttMs;
    if (kind) r.kind = kind;
    if (annotation) r.annotation = annotation;
    this.responders.set(from, r);
  }

  /** Loss in percent of the settled probes (0 before any settled). */
  get lossPct(): number {
    return this.settled ? ((this.settled - this.received) / this.settled) * 100 : 0;
  }

  /** Sample standard deviation, mtr's StDev (0 below two replies). */
  get stdevMs(): number {
    return this.received > 1 ? Math.sqrt(this.#ssd / (this.received - 1)) : 0;
  }

  /** The hop as an event (agent and target filled in by the caller). */
  event(agent: string, target: string, round: number, rateLimited: boolean): HopEvent {
    const responders: HopResponder[] = [...this.responders].slice(0, 64).map(([address, r]) => ({
      address,
      rttsMs: [round3(r.lastMs)],
      replies: r.replies,
      ...(r.name ? { name: r.name } : {}),
      ...(r.kind ? { kind: r.kind } : {}),
      ...(r.annotation ? { annotation: r.annotation } : {}),
    }));
    return {
      type: 'hop', agent, target, ttl: this.ttl, responders,
      sent: this.settled, received: this.received, lossPct: this.lossPct, round,
      ...(this.received
        ? { rtt: { lastMs: round3(this.#last), avgMs: round3(this.#mean), bestMs: round3(this.#best), worstMs: round3(this.#worst), stdevMs: round3(this.stdevMs) } }
        : {}),
      ...(rateLimited ? { rateLimited: true } : {}),
    };
  }
}

/**
 * Which hops lost more than a hop after them (mtr's reading: loss that does not carry on to later
 * hops is the router's answering, such as ICMP rate limiting, not the path's forwarding). A hop
 * is flagged only when its excess over the least lossy later hop is significant (a two-proportion
 * z-test at 99 %, z ≥ 2.58), so that equal forwarding loss seen with sampling noise is not.
 * `hops` in TTL order.
 */
export function rateLimitedHops(hops: readonly { lossPct: number; settled: number }[]): boolean[] {
  const out = hops.map(() => false);
  let best: { lossPct: number; settled: number } | undefined;
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i]!;
    if (h.settled > 0 && best && h.lossPct > best.lossPct) {
      const p1 = h.lossPct / 100;
      const p2 = best.lossPct / 100;
      const pooled = (p1 * h.settled + p2 * best.settled) / (h.settled + best.settled);
      const se = Math.sqrt(pooled * (1 - pooled) * (1 / h.settled + 1 / best.settled));
      out[i] = se > 0 && (p1 - p2) / se >= 2.58;
    }
    if (h.settled > 0 && (!best || h.lossPct < best.lossPct)) best = h;
  }
  return out;
}

/** The report as `mtr --json` writes it, from the final hop events in TTL order. */
export function mtrReport(o: { src: string; dst: string; tests: number; psize: number }, hops: readonly HopEvent[]): MtrReport {
  return {
    mtr: { src: o.src, dst: o.dst, tos: 0, tests: o.tests, psize: String(o.psize), bitpattern: '0x00' },
    hubs: hops.map((h) => ({
      count: h.ttl,
      host: h.responders[0]?.address ?? '???',
      'Loss%': round3(h.lossPct),
      Snt: h.sent,
      Last: h.rtt?.lastMs ?? 0,
      Avg: h.rtt?.avgMs ?? 0,
      Best: h.rtt?.bestMs ?? 0,
      Wrst: h.rtt?.worstMs ?? 0,
      StDev: h.rtt?.stdevMs ?? 0,
    })),
  };
}

/**
 * The hops of an mtr part as its latest round lists them, in TTL order. Every round re-emits
 * every hop it lists, so a TTL not in the latest round (a first round saw the destination one hop
 * too far because its probe to the real TTL was lost) is dropped here.
 */
export function currentMtrHops(hops: ReadonlyMap<number, HopEvent>): HopEvent[] {
  let latest = 0;
  for (const h of hops.values()) latest = Math.max(latest, h.round ?? 0);
  return [...hops.values()].filter((h) => (h.round ?? 0) === latest).sort((a, b) => a.ttl - b.ttl);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
