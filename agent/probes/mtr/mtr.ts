/**
 * mtr: rounds of a trace, one probe per TTL each round, `interval` apart, on one set of sockets
 * opened once (agent/probes/hop-probe.ts {@link openProbeSockets}; answers matched by what they quote back,
 * {@link matchIcmp}, so ECMP responders stay apart). Each probe settles as answered or, after
 * `timeoutMs`, lost; per hop the tallies are mtr's (shared/measurements/mtr/mtr-stats.ts).
 *
 * After every round the hops so far are emitted as `hop` events carrying `round` (a later one
 * of the same TTL replaces the earlier), and at the end the final hops and a summary with the
 * report in `mtr --json`'s shape. Loss is counted per hop from its own probes: a hop that loses
 * more than a later hop is flagged `rateLimited`, not blamed for the path's loss.
 *
 * The destination's TTL is the lowest on which it (or an unreachable) answered; probes beyond
 * it are not sent in later rounds and any tallies beyond it are dropped (a first round whose
 * probe to the destination's TTL was lost sees the destination one hop further).
 */
import { rawNow, type RawPacket } from '../../socket/raw-socket.ts';
import { parseIcmp } from '../../packet/icmp-packet.ts';
import { tcpAnswer } from '../../packet/tcp-answer.ts';
import { normalizeIp } from '../../../shared/net/ip-address.ts';
import { computeStats } from '../../../shared/model/stats.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import type { HopEvent } from '../../../shared/model/events.ts';
import { mtrParams } from '../../../shared/measurements/mtr/mtr-params.ts';
import { MtrHop, mtrReport, rateLimitedHops } from '../../../shared/measurements/mtr/mtr-stats.ts';
import { matchIcmp, openProbeSockets, probePacer, type Answer, type Probe, type TraceKey } from '../hop-probe.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';

/** A probe of a round: a trace probe, plus its round (the slot `index` is reused after wrapping). */
interface MtrProbe extends Probe {
  round: number;
}

/** Reverse DNS gets this long before a hop is shown without a name (it fills in later rounds). */
const RDNS_WAIT_MS = 1000;

/** Runs one mtr and emits start, hop… (per round) and summary. Throws only when a socket cannot open. */
export async function mtr(spec: MeasurementSpec, ctx: ProbeContext): Promise<void> {
  const p = mtrParams(spec);
  const t0 = performance.now();
  const key: TraceKey = {
    protocol: p.protocol, family: ctx.family, dst: normalizeIp(ctx.address) ?? ctx.address, port: p.port, srcPort: 0,
    id: (Math.random() * 0xffff) | 0,
    seqBase: (Math.random() * 0x10000) | 0,
    tcpSeqBase: (Math.random() * 0x1_0000_0000) >>> 0,
  };
  // Probe slots: what an answer quotes back (ICMP sequence, UDP port offset, TCP sequence).
  const slots = p.protocol === 'udp' ? 65_536 - p.port : 65_536;
  const inflight = new Map<number, MtrProbe>();
  const hops: MtrHop[] = [];
  const rtts: number[][] = [];
  const names = new Map<string, string | undefined>();
  let destTtl: number | undefined;
  let nextSlot = 0;

  const hop = (ttl: number) => (hops[ttl - 1] ??= new MtrHop(ttl));
  const lookup = (address: string) => {
    if (names.has(address) || !ctx.reverse) return;
    names.set(address, undefined);
    const timer = new Promise<undefined>((r) => setTimeout(() => r(undefined), RDNS_WAIT_MS).unref());
    void Promise.race([ctx.reverse(address).catch(() => undefined), timer]).then((n) => {
      if (n) names.set(address, n);
    });
  };
  const settle = (pr: MtrProbe, a: Answer | undefined) => {
    inflight.delete(pr.index);
    pr.done = true;
    if (destTtl !== undefined && pr.ttl > destTtl) return;
    if (a) {
      hop(pr.ttl).answered(a.from, a.rttMs, a.kind, a.annotation);
      (rtts[pr.ttl - 1] ??= []).push(a.rttMs);
      lookup(a.from);
      if (a.final && (destTtl === undefined || pr.ttl < destTtl)) {
        destTtl = pr.ttl;
        hops.length = Math.min(hops.length, destTtl);
        rtts.length = Math.min(rtts.length, destTtl);
      }
    } else {
      hop(pr.ttl).lost();
    }
  };
  const record = (slot: number, a: Omit<Answer, 'rttMs'>, time: number) => {
    const pr = inflight.get(slot);
    if (!pr?.sent) return;
    settle(pr, { ...a, rttMs: Math.max(0, time - pr.sentAt) });
  };
  const onIcmp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const m = parseIcmp(pkt.data, { family: key.family });
      const hit = m && matchIcmp(m, pkt.address, key);
      if (hit) record(hit.index, hit.answer, pkt.time);
    }
  };
  const onTcp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const a = tcpAnswer(pkt, key.family, key.dst, p.port, key.srcPort);
      if (a) record((a.header.ack - 1 - key.tcpSeqBase) >>> 0, { from: pkt.address, kind: a.kind, final: true }, pkt.time);
    }
  };

  const tp = { protocol: p.protocol, maxHops: p.maxHops, queries: 1, port: p.port, timeoutMs: p.timeoutMs, size: p.size };
  const { sockets, tcpHold, send } = await openProbeSockets(tp, key, onIcmp, onTcp);
  ctx.emit({
    type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'mtr', address: key.dst, family: key.family, protocol: p.protocol,
    params: { count: p.count, intervalMs: p.intervalMs, maxHops: p.maxHops, timeoutMs: p.timeoutMs, port: p.port, size: p.size },
  });

  /** The hops to list: up to the destination, else up to the last that answered. */
  const listed = (): MtrHop[] => {
    let last = destTtl ?? hops.reduce((n, h, i) => (h && h.received > 0 ? i + 1 : n), 0);
    if (last === 0) last = Math.min(p.maxHops, hops.length);
    return Array.from({ length: last }, (_, i) => hop(i + 1));
  };
  const hopEvents = (round: number): HopEvent[] => {
    const list = listed();
    const limited = rateLimitedHops(list.map((h) => ({ lossPct: h.lossPct, settled: h.settled })));
    return list.map((h, i) => {
      const e = h.event(ctx.agent, ctx.target, round, limited[i]!);
      for (const r of e.responders) {
        const n = names.get(r.address);
        if (n) r.name = n;
      }
      return e;
    });
  };

  const pacer = probePacer<MtrProbe>((pr) => {
    if (ctx.signal.aborted || (destTtl !== undefined && pr.ttl > destTtl)) {
      inflight.delete(pr.index);
      pr.done = true;
      return false;
    }
    pr.sent = true;
    try {
      pr.sentAt = send(pr);
      pr.deadline = pr.sentAt + p.timeoutMs;
    } catch {
      // Refused locally (no route, a full send buffer): lost.
      pr.sentAt = rawNow();
      settle(pr, undefined);
    }
    return true;
  });

  let round = 0;
  let emittedRound = 0;
  const startRound = () => {
    const top = destTtl ?? p.maxHops;
    const batch: MtrProbe[] = [];
    for (let ttl = 1; ttl <= top; ttl++) {
      const slot = nextSlot;
      nextSlot = (nextSlot + 1) % slots;
      // A slot still waiting from long ago (possible only with a tiny UDP port range): it is lost.
      const old = inflight.get(slot);
      if (old) settle(old, undefined);
      const pr: MtrProbe = { index: slot, ttl, round, sent: false, sentAt: 0, deadline: Infinity, done: false };
      inflight.set(slot, pr);
      batch.push(pr);
    }
    round++;
    pacer.enqueue(batch);
  };

  await new Promise<void>((resolve) => {
    let settled = false;
    const tick = () => {
      if (settled) return;
      const now = rawNow();
      for (const pr of [...inflight.values()]) if (pr.sent && now >= pr.deadline) settle(pr, undefined);
      const elapsed = performance.now() - t0;
      if (round > emittedRound && round >= 1 && (round < p.count ? elapsed >= round * p.intervalMs : false)) {
        // The previous round's view, just before the next round leaves.
        for (const e of hopEvents(round)) ctx.emit(e);
        emittedRound = round;
      }
      if (!ctx.signal.aborted && round < p.count && elapsed >= round * p.intervalMs) startRound();
      const allSent = round >= p.count && pacer.waiting === 0;
      if (ctx.signal.aborted || (allSent && inflight.size === 0)) {
        settled = true;
        pacer.stop();
        clearInterval(timer);
        ctx.signal.removeEventListener('abort', tick);
        resolve();
      }
    };
    const timer = setInterval(() => setImmediate(tick), 5);
    ctx.signal.addEventListener('abort', tick);
    tick();
  });
  for (const s of sockets) s.close();
  tcpHold?.close();

  const final = hopEvents(round);
  for (const e of final) ctx.emit(e);
  const destHop = final.at(-1);
  const destRtts = destTtl !== undefined ? (rtts[destTtl - 1] ?? []) : [];
  const psize = p.size + (key.family === 4 ? 28 : 48);
  ctx.emit({
    type: 'summary', agent: ctx.agent, target: ctx.target, measurement: 'mtr', address: key.dst,
    ...computeStats(destTtl !== undefined ? (destHop?.sent ?? 0) : round, destRtts),
    durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
    reached: destTtl !== undefined,
    hops: final.length,
    report: mtrReport({ src: ctx.agent, dst: ctx.target, tests: round, psize }, final),
  });
}

/** Runs mtr to every target of `spec` (LocalAgent's entry point). */
export function runMtr(spec: MeasurementSpec, o: ProbeRunOptions): Promise<void> {
  return perTarget(spec, o, (ctx) => mtr(spec, ctx));
}
