
import { rawNow, type RawPacket } from '../../socket/raw-socket.ts';
import { parseIcmp, } from '../../packet/icmp-packet.ts';
import { normalizeIp } from '../../../shared/net/ip-address.ts';
import { computeStats } from '../../../shared/model/stats.ts';
import type { MeasurementSpec, } from '../../../shared/model/spec.ts';
import { tracerouteParams, type TracerouteParams } from '../../../shared/measurements/traceroute/traceroute-params.ts';
import type { HopEvent, HopResponder } from '../../../shared/model/events.ts';
import { tcpAnswer } from '../../packet/tcp-answer.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';
import { matchIcmp, openProbeSockets, probePacer, type Answer, type Probe, type ProbePacer, type TraceKey } from '../hop-probe.ts';

/** Probes in flight at once: eight hops' worth, like traceroute's 16 simultaneous queries. */
const WINDOW_HOPS = 8;
/** A probe still unanswered after a later hop answered gets this many of that hop's RTTs… */
const NEAR_FACTOR = 10;
/** …but at least this long (routers answer from their slow path). */
const NEAR_FLOOR_MS = 200;
/** Reverse DNS gets this long before a hop is emitted without a name. */
const RDNS_WAIT_MS = 1000;

/** Runs one traceroute and emits start, hop… and summary. Throws only when a socket cannot open. */
export async function traceroute(spec: MeasurementSpec, ctx: ProbeContext): Promise<void> {
  const run = new TraceRun(tracerouteParams(spec), ctx);
  const { sockets, tcpHold, send } = await openProbeSockets(run.p, run.key, (batch) => run.onIcmp(batch), (batch) => run.onTcp(batch));
  run.emitStart();
  await run.probe(send);
  for (const s of sockets) s.close();
  tcpHold?.close();
  await run.emitSummary();
}

/**
 * One trace's state and steps: plan (the window of probes), send (through the pacer), collect
 * (answers matched to their probe), and hand complete hops to the {@link HopAssembly}.
 */
class TraceRun {
  readonly p: TracerouteParams;
  /** What answers must quote back; `srcPort` is filled in when the sockets open. */
  readonly key: TraceKey;
  readonly #ctx: ProbeContext;
  readonly #t0 = performance.now();
  readonly #total: number;
  readonly #probes: Probe[] = [];
  readonly #hops: HopAssembly;
  /** The lowest TTL on which the destination (or an unreachable) answered. */
  #destTtl: number | undefined;
  #finished = false;
  /** Index of the next probe to plan. */
  #next = 0;
  #wake: () => void = () => {};

  constructor(p: TracerouteParams, ctx: ProbeContext) {
    this.p = p;
    this.#ctx = ctx;
    this.#total = p.maxHops * p.queries;
    this.key = {
      protocol: p.protocol, family: ctx.family, dst: normalizeIp(ctx.address) ?? ctx.address, port: p.port, srcPort: 0,
      id: (Math.random() * 0xffff) | 0,
      seqBase: (Math.random() * 0x10000) | 0,
      tcpSeqBase: (Math.random() * 0x1_0000_0000) >>> 0,
    };
    this.#hops = new HopAssembly(ctx, p.queries);
  }

  /** Collect: ICMP answers (echo replies, time exceeded, unreachables). */
  onIcmp(batch: RawPacket[]): void {
    for (const pkt of batch) {
      const m = parseIcmp(pkt.data, { family: this.key.family });
      const hit = m && matchIcmp(m, pkt.address, this.key);
      if (hit) this.#record(hit.index, hit.answer, pkt.time);
    }
  }

  /** Collect: the destination's SYN-ACK or RST. */
  onTcp(batch: RawPacket[]): void {
    for (const pkt of batch) {
      const a = tcpAnswer(pkt, this.key.family, this.key.dst, this.p.port, this.key.srcPort);
      if (a) this.#record((a.header.ack - 1 - this.key.tcpSeqBase) >>> 0, { from: pkt.address, kind: a.kind, final: true }, pkt.time);
    }
  }

  emitStart(): void {
    const { p, key } = this;
    this.#ctx.emit({
      type: 'start', agent: this.#ctx.agent, target: this.#ctx.target, measurement: 'traceroute', address: key.dst, family: key.family,
      protocol: p.protocol,
      params: { maxHops: p.maxHops, queriesPerHop: p.queries, port: p.port, timeoutMs: p.timeoutMs, ...(p.protocol !== 'tcp' ? { size: p.size } : {}), ...(p.protocol === 'tcp' ? { sourcePort: key.srcPort } : {}) },
    });
  }

  /** Plans and sends probes until every hop is in (or the run was aborted). */
  async probe(send: (pr: Probe) => number): Promise<void> {
    const pacer = probePacer<Probe>((pr) => this.#send(pr, send));
    const signal = this.#ctx.signal;
    await new Promise<void>((resolve) => {
      let settled = false;
      const tick = () => {
        if (settled) return; // an immediate queued before the end must not pump closed sockets
        this.#pump(pacer);
        if (this.#finished) {
          settled = true;
          pacer.stop();
          clearInterval(timer);
          signal.removeEventListener('abort', tick);
          resolve();
        }
      };
      this.#wake = () => queueMicrotask(tick);
      // Deadlines are checked after the poll phase (setImmediate), so an answer already queued in
      // a socket is read before its probe expires on a late loop (see ping-schedule.ts).
      const timer = setInterval(() => setImmediate(tick), 5);
      signal.addEventListener('abort', tick);
      tick();
    });
  }

  /** Waits for the last hops (and their names), then emits the summary. */
  async emitSummary(): Promise<void> {
    await this.#hops.done;
    const dst = this.key.dst;
    const listed = this.#probes.filter((x) => x.ttl <= (this.#destTtl ?? this.p.maxHops));
    const rtts = listed.filter((x) => x.answer).map((x) => x.answer!.rttMs);
    const last = this.#hops.emitted.at(-1);
    const reached = this.#destTtl !== undefined && !!last && last.ttl === this.#destTtl && last.responders.some((r) => r.address === dst);
    this.#ctx.emit({
      type: 'summary', agent: this.#ctx.agent, target: this.#ctx.target, measurement: 'traceroute', address: dst,
      ...computeStats(listed.length, rtts),
      durationMs: round3(performance.now() - this.#t0),
      reached,
      hops: this.#hops.emitted.length,
    });
  }

  #record(index: number, a: Omit<Answer, 'rttMs'>, time: number): void {
    const pr = this.#probes[index];
    if (!pr || pr.answer || this.#finished) return;
    // A late answer after the deadline still counts: it is real, only slow.
    pr.answer = { ...a, rttMs: Math.max(0, time - pr.sentAt) };
    pr.done = true;
    if (a.final && (this.#destTtl === undefined || pr.ttl < this.#destTtl)) this.#destTtl = pr.ttl;
    // Lower TTLs that are still silent now get "near" deadlines (see NEAR_FACTOR).
    const near = Math.max(NEAR_FACTOR * pr.answer.rttMs, NEAR_FLOOR_MS);
    for (const q of this.#probes) {
      if (q.ttl >= pr.ttl || q.done || !q.sent) continue;
      q.deadline = Math.min(q.deadline, q.sentAt + near);
    }
    this.#wake();
  }

  /** Send: one probe as the pacer lets it go; false when it is not sent after all. */
  #send(pr: Probe, send: (pr: Probe) => number): boolean {
    if (pr.done || this.#finished || this.#ctx.signal.aborted) {
      // Beyond the destination by now, or the run ended: it never leaves.
      pr.sent = true;
      pr.sentAt = rawNow();
      pr.done = true;
      return false;
    }
    pr.sent = true;
    try {
      const t = send(pr);
      pr.sentAt = t;
      pr.deadline = t + this.p.timeoutMs;
    } catch {
      // Refused locally (e.g. no route, a full send buffer): counts as lost.
      pr.sentAt = rawNow();
      pr.done = true;
      this.#wake();
    }
    return true;
  }

  /** Settles probes past their deadline, and every probe beyond the destination. */
  #expire(): void {
    const now = rawNow();
    for (const pr of this.#probes) {
      if (!pr.done && now >= pr.deadline) pr.done = true;
    }
    if (this.#destTtl !== undefined) {
      // Nothing beyond the destination matters any more.
      for (const pr of this.#probes) if (pr.ttl > this.#destTtl) pr.done = true;
    }
  }

  /** Plan: the next probes, TTL-major, up to the window (queued ones count as in flight). */
  #plan(): Probe[] {
    const inflight = this.#probes.filter((x) => !x.done).length;
    const windowProbes = WINDOW_HOPS * this.p.queries;
    const batch: Probe[] = [];
    while (!this.#ctx.signal.aborted && this.#next < this.#total && inflight + batch.length < windowProbes) {
      const ttl = Math.floor(this.#next / this.p.queries) + 1;
      if (this.#destTtl !== undefined && ttl > this.#destTtl) break;
      const pr: Probe = { index: this.#next, ttl, sent: false, sentAt: 0, deadline: Infinity, done: false };
      this.#probes.push(pr);
      batch.push(pr);
      this.#next++;
    }
    return batch;
  }

  #pump(pacer: ProbePacer<Probe>): void {
    this.#expire();
    const batch = this.#plan();
    if (batch.length) pacer.enqueue(batch);
    this.#hops.flush(this.#probes, this.p.maxHops, this.#destTtl);
    const allSent = this.#next >= this.#total || (this.#destTtl !== undefined && Math.floor(this.#next / this.p.queries) + 1 > this.#destTtl);
    const lastTtl = this.#destTtl ?? this.p.maxHops;
    if (this.#ctx.signal.aborted || (allSent && this.#hops.nextTtl > lastTtl) || (allSent && this.#probes.every((x) => x.done))) this.#finished = true;
  }
}

/** Assemble: hops in TTL order, each emitted once complete; names resolved while later hops finish. */
class HopAssembly {
  /** The hops emitted so far, in TTL order. */
  readonly emitted: HopEvent[] = [];
  readonly #ctx: ProbeContext;
  readonly #queries: number;
  readonly #names = new Map<string, Promise<string | undefined>>();
  #chain = Promise.resolve();
  #nextTtl = 1;

  constructor(ctx: ProbeContext, queries: number) {
    this.#ctx = ctx;
    this.#queries = queries;
  }

  /** The next TTL to emit. */
  get nextTtl(): number {
    return this.#nextTtl;
  }

  /** Resolves once every hop handed over has been emitted. */
  get done(): Promise<void> {
    return this.#chain;
  }

  /** Emits (in order, after their names) the hops now complete, up to the destination's TTL. */
  flush(probes: Probe[], maxHops: number, destTtl: number | undefined): void {
    while (this.#nextTtl <= maxHops && (destTtl === undefined || this.#nextTtl <= destTtl) && this.#complete(probes, this.#nextTtl)) {
      const ttl = this.#nextTtl++;
      const mine = probes.slice((ttl - 1) * this.#queries, ttl * this.#queries);
      for (const pr of mine) if (pr.answer) void this.#lookup(pr.answer.from);
      this.#chain = this.#chain.then(async () => {
        const hop = await assembleHop(this.#ctx, ttl, mine, this.#lookup);
        this.emitted.push(hop);
        this.#ctx.emit(hop);
      });
    }
  }

  #complete(probes: Probe[], ttl: number): boolean {
    for (let q = 0; q < this.#queries; q++) {
      const pr = probes[(ttl - 1) * this.#queries + q];
      if (!pr?.done) return false;
    }
    return true;
  }

  /** The reverse name of `address`, asked once per trace and waited for at most RDNS_WAIT_MS. */
  readonly #lookup = (address: string): Promise<string | undefined> => {
    let n = this.#names.get(address);
    if (!n) {
      n = this.#ctx.reverse
        ? Promise.race([this.#ctx.reverse(address).catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), RDNS_WAIT_MS).unref())])
        : Promise.resolve(undefined);
      this.#names.set(address, n);
    }
    return n;
  };
}


/** Assemble: one hop's event from its probes, answers grouped by responder in probe order, with names. */
async function assembleHop(
  ctx: ProbeContext,
  ttl: number,
  mine: Probe[],
  lookup: (address: string) => Promise<string | undefined>,
): Promise<HopEvent> {
  const responders: HopResponder[] = [];
  for (const pr of mine) {
    const a = pr.answer;
    if (!a) continue;
    let r = responders.find((x) => x.address === a.from);
    if (!r) {
      r = { address: a.from, rttsMs: [], kind: a.kind };
      if (a.annotation) r.annotation = a.annotation;
      if (a.mtu !== undefined) r.mtu = a.mtu;
      responders.push(r);
    }
    r.rttsMs.push(round3(a.rttMs));
  }
  for (const r of responders) {
    const name = await lookup(r.address);
    if (name) r.name = name;
  }
  const received = mine.filter((x) => x.answer).length;
  return {
    type: 'hop', agent: ctx.agent, target: ctx.target, ttl, responders,
    sent: mine.length, received, lossPct: ((mine.length - received) / mine.length) * 100,
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Traces every target of `spec` (LocalAgent's entry point). */
export function runTraceroute(spec: MeasurementSpec, o: ProbeRunOptions): Promise<void> {
  return perTarget(spec, o, (ctx) => traceroute(spec, ctx));
}
