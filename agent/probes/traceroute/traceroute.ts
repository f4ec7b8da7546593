/**
 * traceroute: ICMP echo, UDP (destination ports from 33434 up, one per probe) and TCP SYN
 * flavours over IPv4 and IPv6.
 *
 * Every TTL is probed in parallel (a sliding window of probes, TTL-major, so the destination's
 * ICMP rate limit spends its burst on the lowest TTLs); per-packet TTLs travel as cmsg on one
 * socket. The steps of one trace:
 *  - plan: the next probes of the window (TraceRun's `plan`);
 *  - send: {@link openProbeSockets}, then one probe per event-loop turn ({@link probePacer}),
 *    each with its own send time read right before its sendmsg, as ping's are;
 *  - collect: replies carry the kernel's receive stamp and are matched by what they quote back
 *    (ICMP id/seq, UDP destination port, TCP sequence number; {@link matchIcmp}), so
 *    responders that differ per probe (ECMP) stay apart;
 *  - assemble: hops in TTL order as soon as each is complete ({@link assembleHop}), none beyond
 *    the first TTL on which the destination answered.
 * An RTT is thus the probe's own, not its place in a burst.
 */
import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { RawSocket, rawNow, type RawPacket } from '../../socket/raw-socket.ts';
import { sourceAddressFor } from '../../socket/source-address.ts';
import { buildEchoRequest, parseIcmp, type IcmpMessage } from '../../packet/icmp-packet.ts';
import { buildTcpSyn } from '../../packet/tcp-packet.ts';
import { normalizeIp } from '../../../shared/net/ip-address.ts';
import { computeStats } from '../../../shared/model/stats.ts';
import type { MeasurementSpec, Protocol } from '../../../shared/model/spec.ts';
import { tracerouteParams, type TracerouteParams } from '../../../shared/measurements/traceroute/traceroute-params.ts';
import type { HopEvent, HopResponder } from '../../../shared/model/events.ts';
import { tcpAnswer } from '../../packet/tcp-answer.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';

/** Probes in flight at once: eight hops' worth, like traceroute's 16 simultaneous queries. */
const WINDOW_HOPS = 8;
/** A probe still unanswered after a later hop answered gets this many of that hop's RTTs… */
const NEAR_FACTOR = 10;
/** …but at least this long (routers answer from their slow path). */
const NEAR_FLOOR_MS = 200;
/** Reverse DNS gets this long before a hop is emitted without a name. */
const RDNS_WAIT_MS = 1000;

/** An answer to one probe (exported for the repeated-rounds runner, which shares these sockets). */
export interface Answer {
  from: string;
  rttMs: number;
  kind: string;
  annotation?: string;
  mtu?: number;
  /** The trace ends here (the destination or an unreachable answered). */
  final: boolean;
}

/** One probe of a trace (exported for the repeated-rounds runner, which sends its own rounds through the same sockets). */
export interface Probe {
  index: number;
  ttl: number;
  /** Left (or was refused); until then it waits in the pacer and has no send time. */
  sent: boolean;
  sentAt: number;
  deadline: number;
  done: boolean;
  answer?: Answer;
}

/** iputils/traceroute annotation of an ICMP unreachable code, or undefined for "port unreachable". */
export function unreachableAnnotation(family: 4 | 6, code: number, mtu?: number): string | undefined {
  if (family === 4) {
    switch (code) {
      case 0: case 6: case 11: return '!N';
      case 1: case 7: case 12: return '!H';
      case 2: return '!P';
      case 3: return undefined;
      case 4: return `!F-${mtu ?? 0}`;
      case 5: return '!S';
      case 9: case 10: case 13: return '!X';
      case 14: return '!V';
      case 15: return '!C';
      default: return `!<${code}>`;
    }
  }
  switch (code) {
    case 0: return '!N';
    case 1: case 5: case 6: return '!X';
    case 2: return '!S';
    case 3: return '!H';
    case 4: return undefined;
    default: return `!<${code}>`;
  }
}

/** Probes waiting to leave, sent one per event-loop turn. */
export interface ProbePacer<T> {
  /** Queues probes; the first leaves now unless one already left in this turn. */
  enqueue(items: T[]): void;
  /** Queued and not yet sent. */
  readonly waiting: number;
  /** Drops what is queued; nothing is sent after this. */
  stop(): void;
}

/**
 * Paces a burst: `send` is called for one item, then the next waits for the following turn of
 * the event loop (setImmediate runs after the poll phase), so the answer to one probe is read,
 * and its kernel work done, before the next probe leaves — probes do not queue behind each
 * other in the stack, and a burst costs a few µs per probe instead of sharing one send time.
 * `send` returns false for an item it skipped (no turn is spent on it).
 */
export function probePacer<T>(send: (item: T) => boolean): ProbePacer<T> {
  const queue: T[] = [];
  let spent = false; // one item left in this turn
  let stopped = false;
  const next = () => {
    spent = false;
    if (!stopped) sendOne();
  };
  const sendOne = () => {
    while (queue.length && !stopped) {
      if (send(queue.shift()!)) {
        spent = true;
        setImmediate(next);
        return;
      }
    }
  };
  return {
    enqueue(items) {
      if (stopped) return;
      queue.push(...items);
      if (!spent) sendOne();
    },
    get waiting() {
      return queue.length;
    },
    stop() {
      stopped = true;
      queue.length = 0;
    },
  };
}

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

/** What a reply must quote back to be an answer to this trace's probes. */
export interface TraceKey {
  protocol: Protocol;
  family: 4 | 6;
  /** Canonical destination address. */
  dst: string;
  /** UDP: first destination port; TCP: the destination port. */
  port: number;
  /** UDP/TCP source port (known once the sockets are open). */
  srcPort: number;
  /** ICMP echo identifier, and the sequence of probe 0. */
  id: number;
  seqBase: number;
  /** TCP sequence number of probe 0. */
  tcpSeqBase: number;
}

/**
 * Collect: which probe an ICMP message answers, and what it says; undefined when it is not an
 * answer to this trace. Replies are matched by what they quote back (ICMP id/seq, UDP
 * destination port, TCP sequence), so responders that differ per probe (ECMP) stay apart.
 */
export function matchIcmp(m: IcmpMessage, from: string, k: TraceKey): { index: number; answer: Omit<Answer, 'rttMs'> } | undefined {
  if (m.kind === 'echo-reply') {
    if (k.protocol !== 'icmp' || m.identifier !== k.id) return undefined;
    return { index: (m.sequence - k.seqBase) & 0xffff, answer: { from, kind: 'reply', final: true } };
  }
  if (m.kind !== 'error' || !m.original) return undefined;
  const o = m.original;
  // The codec formats quoted addresses canonically (ip-address.ts), as normalizeIp does dst.
  if (o.ip.destination !== k.dst) return undefined;
  let index: number;
  if (k.protocol === 'icmp') {
    if (!o.icmp || o.icmp.identifier !== k.id) return undefined;
    index = (o.icmp.sequence - k.seqBase) & 0xffff;
  } else if (k.protocol === 'udp') {
    if (!o.udp || o.udp.sourcePort !== k.srcPort) return undefined;
    index = o.udp.destinationPort - k.port;
  } else {
    if (!o.tcp || o.tcp.sourcePort !== k.srcPort || o.tcp.destinationPort !== k.port) return undefined;
    index = (o.tcp.sequence - k.tcpSeqBase) >>> 0;
  }
  if (m.errorKind === 'time-exceeded') return { index, answer: { from, kind: 'time-exceeded', final: false } };
  if (m.errorKind === 'unreachable' || m.errorKind === 'packet-too-big') {
    const annotation = m.errorKind === 'packet-too-big' ? `!F-${m.mtu ?? 0}` : unreachableAnnotation(k.family, m.code);
    return {
      index,
      answer: {
        from,
        kind: m.errorKind,
        final: true,
        ...(annotation ? { annotation } : {}),
        ...(m.mtu !== undefined ? { mtu: m.mtu } : {}),
      },
    };
  }
  return undefined;
}

/**
 * Send, set-up: opens the sockets of `k.protocol` (errors come back to a raw ICMP socket; TCP
 * answers to a raw TCP one), fills in `k.srcPort`, and returns `send`, which sends one probe and
 * returns its send time — read in the addon right before that probe's own sendmsg — or throws
 * the kernel's refusal. Closes what it opened when a later socket fails.
 */
export async function openProbeSockets(
  p: TracerouteParams,
  k: TraceKey,
  onIcmp: (batch: RawPacket[]) => void,
  onTcp: (batch: RawPacket[]) => void,
): Promise<{ sockets: RawSocket[]; tcpHold?: Server; send: (pr: Probe) => number }> {
  const { family: fam, dst } = k;
  const sockets: RawSocket[] = [];
  let tcpHold: Server | undefined;
  try {
    if (p.protocol === 'icmp') {
      const icmp = RawSocket.open({
        family: fam, protocol: 'icmp', mode: 'raw', onPackets: onIcmp, receiveBufferBytes: 1 << 20,
        icmpFilter: fam === 4 ? [0, 3, 11, 12] : [1, 2, 3, 4, 129],
        // DF on every probe, whatever the kernel learnt about the path: the MTU is for us to find.
        pmtu: 'probe',
      });
      const payload = new Uint8Array(p.size);
      sockets.push(icmp);
      return {
        sockets,
        send: (pr) =>
          icmp.send(buildEchoRequest({ family: fam, identifier: k.id, sequence: (k.seqBase + pr.index) & 0xffff, payload }), dst, { ttl: pr.ttl }),
      };
    }
    const icmp = RawSocket.open({
      family: fam, protocol: 'icmp', mode: 'raw', onPackets: onIcmp, receiveBufferBytes: 1 << 20,
      icmpFilter: fam === 4 ? [3, 11, 12] : [1, 2, 3, 4],
    });
    sockets.push(icmp);
    if (p.protocol === 'udp') {
      // A plain UDP socket: the kernel owns the source port and the checksum; errors come to
      // the raw ICMP socket above (recvErr off, so they do not also queue here).
      const udp = RawSocket.open({ family: fam, protocol: 'udp', mode: 'dgram', onPackets: () => {}, recvErr: false, recvTtl: false, pmtu: 'probe' });
      const payload = new Uint8Array(p.size);
      sockets.push(udp);
      udp.bind(fam === 4 ? '0.0.0.0' : '::', 0);
      k.srcPort = udp.localAddress().port;
      return { sockets, send: (pr) => udp.send(payload, dst, { port: p.port + pr.index, ttl: pr.ttl }) };
    }
    const srcAddr = await sourceAddressFor(dst, fam);
    // Hold the source port with a listener: the port is ours, and the SYN-ACKs our raw
    // probes provoke get a RST from the kernel, as with traceroute -T.
    tcpHold = createServer();
    tcpHold.listen(0, srcAddr);
    await once(tcpHold, 'listening');
    const srcPort = (tcpHold.address() as { port: number }).port;
    k.srcPort = srcPort;
    const tcp = RawSocket.open({ family: fam, protocol: 'tcp', mode: 'raw', onPackets: onTcp, recvTtl: false, receiveBufferBytes: 1 << 20 });
    sockets.push(tcp);
    return {
      sockets,
      tcpHold,
      send: (pr) =>
        tcp.send(buildTcpSyn({ srcPort, dstPort: p.port, seq: (k.tcpSeqBase + pr.index) >>> 0 }, { src: srcAddr, dst }), dst, { ttl: pr.ttl }),
    };
  } catch (err) {
    for (const s of sockets) s.close();
    tcpHold?.close();
    throw err;
  }
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
