/**
 * traceroute: ICMP echo, UDP (destination ports from 33434 up, one per probe) and TCP SYN
 * flavours over IPv4 and IPv6.
 *
 * Every TTL is probed in parallel (a sliding window of probes, TTL-major, so the destination's
 * ICMP rate limit spends its burst on the lowest TTLs); per-packet TTLs travel as cmsg on one
 * socket. The steps of one trace:
 *  - plan: the next probes of the window (`plan` in {@link traceroute});
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
import { normalizeIp } from '../../../shared/net/cidr.ts';
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

interface Answer {
  from: string;
  rttMs: number;
  kind: string;
  annotation?: string;
  mtu?: number;
  /** The trace ends here (the destination or an unreachable answered). */
  final: boolean;
}

interface Probe {
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
  const p = tracerouteParams(spec);
  const fam = ctx.family;
  const dst = normalizeIp(ctx.address) ?? ctx.address;
  const t0 = performance.now();
  const total = p.maxHops * p.queries;
  const probes: Probe[] = [];
  const key: TraceKey = {
    protocol: p.protocol, family: fam, dst, port: p.port, srcPort: 0,
    id: (Math.random() * 0xffff) | 0,
    seqBase: (Math.random() * 0x10000) | 0,
    tcpSeqBase: (Math.random() * 0x1_0000_0000) >>> 0,
  };
  let destTtl: number | undefined;
  let finished = false;
  let wake: () => void = () => {};

  const onIcmp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const m = parseIcmp(pkt.data, { family: fam });
      const hit = m && matchIcmp(m, pkt.address, key);
      if (hit) record(hit.index, hit.answer, pkt.time);
    }
  };

  const onTcp = (batch: RawPacket[]) => {
    for (const pkt of batch) {
      const a = tcpAnswer(pkt, fam, dst, p.port, key.srcPort);
      if (a) record((a.header.ack - 1 - key.tcpSeqBase) >>> 0, { from: pkt.address, kind: a.kind, final: true }, pkt.time);
    }
  };

  function record(index: number, a: Omit<Answer, 'rttMs'>, time: number): void {
    const pr = probes[index];
    if (!pr || pr.answer || finished) return;
    // A late answer after the deadline still counts: it is real, only slow.
    pr.answer = { ...a, rttMs: Math.max(0, time - pr.sentAt) };
    pr.done = true;
    if (a.final && (destTtl === undefined || pr.ttl < destTtl)) destTtl = pr.ttl;
    // Lower TTLs that are still silent now get "near" deadlines (see NEAR_FACTOR).
    const near = Math.max(NEAR_FACTOR * pr.answer.rttMs, NEAR_FLOOR_MS);
    for (const q of probes) {
      if (q.ttl >= pr.ttl || q.done || !q.sent) continue;
      q.deadline = Math.min(q.deadline, q.sentAt + near);
    }
    wake();
  }

  const { sockets, tcpHold, send } = await openProbeSockets(p, key, onIcmp, onTcp);

  ctx.emit({
    type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'traceroute', address: dst, family: fam,
    protocol: p.protocol,
    params: { maxHops: p.maxHops, queriesPerHop: p.queries, port: p.port, timeoutMs: p.timeoutMs, ...(p.protocol !== 'tcp' ? { size: p.size } : {}), ...(p.protocol === 'tcp' ? { sourcePort: key.srcPort } : {}) },
  });

  // Assemble and emit: hops in TTL order, each once complete; names resolved while later hops finish.
  const names = new Map<string, Promise<string | undefined>>();
  const lookup = (a: string) => {
    let n = names.get(a);
    if (!n) {
      n = ctx.reverse
        ? Promise.race([ctx.reverse(a).catch(() => undefined), new Promise<undefined>((r) => setTimeout(() => r(undefined), RDNS_WAIT_MS).unref())])
        : Promise.resolve(undefined);
      names.set(a, n);
    }
    return n;
  };
  let chain = Promise.resolve();
  let nextEmit = 1;
  const emitted: HopEvent[] = [];

  const hopComplete = (ttl: number) => {
    for (let q = 0; q < p.queries; q++) {
      const pr = probes[(ttl - 1) * p.queries + q];
      if (!pr?.done) return false;
    }
    return true;
  };

  const flush = () => {
    while (nextEmit <= p.maxHops && (destTtl === undefined || nextEmit <= destTtl) && hopComplete(nextEmit)) {
      const ttl = nextEmit++;
      const mine = probes.slice((ttl - 1) * p.queries, ttl * p.queries);
      for (const pr of mine) if (pr.answer) void lookup(pr.answer.from);
      chain = chain.then(async () => {
        const hop = await assembleHop(ctx, ttl, mine, lookup);
        emitted.push(hop);
        ctx.emit(hop);
      });
    }
  };

  // Plan and send: a sliding window of probes, TTL-major, each expiring after its deadline.
  let next = 0;
  const windowProbes = WINDOW_HOPS * p.queries;
  const pacer = probePacer<Probe>((pr) => {
    if (pr.done || finished || ctx.signal.aborted) {
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
      pr.deadline = t + p.timeoutMs;
    } catch {
      // Refused locally (e.g. no route, a full send buffer): counts as lost.
      pr.sentAt = rawNow();
      pr.done = true;
      wake();
    }
    return true;
  });
  /** Settles probes past their deadline, and every probe beyond the destination. */
  const expire = () => {
    const now = rawNow();
    for (const pr of probes) {
      if (!pr.done && now >= pr.deadline) pr.done = true;
    }
    if (destTtl !== undefined) {
      // Nothing beyond the destination matters any more.
      for (const pr of probes) if (pr.ttl > destTtl) pr.done = true;
    }
  };
  /** The next probes, up to the window (queued ones count as in flight). */
  const plan = (): Probe[] => {
    const inflight = probes.filter((x) => !x.done).length;
    const batch: Probe[] = [];
    while (!ctx.signal.aborted && next < total && inflight + batch.length < windowProbes) {
      const ttl = Math.floor(next / p.queries) + 1;
      if (destTtl !== undefined && ttl > destTtl) break;
      const pr: Probe = { index: next, ttl, sent: false, sentAt: 0, deadline: Infinity, done: false };
      probes.push(pr);
      batch.push(pr);
      next++;
    }
    return batch;
  };
  const pump = () => {
    expire();
    const batch = plan();
    if (batch.length) pacer.enqueue(batch);
    flush();
    const allSent = next >= total || (destTtl !== undefined && Math.floor(next / p.queries) + 1 > destTtl);
    const lastTtl = destTtl ?? p.maxHops;
    if (ctx.signal.aborted || (allSent && nextEmit > lastTtl) || (allSent && probes.every((x) => x.done))) finished = true;
  };

  await new Promise<void>((resolve) => {
    let settled = false;
    const tick = () => {
      if (settled) return; // an immediate queued before the end must not pump closed sockets
      pump();
      if (finished) {
        settled = true;
        pacer.stop();
        clearInterval(timer);
        ctx.signal.removeEventListener('abort', tick);
        resolve();
      }
    };
    wake = () => queueMicrotask(tick);
    // Deadlines are checked after the poll phase (setImmediate), so an answer already queued in
    // a socket is read before its probe expires on a late loop (see ping-schedule.ts).
    const timer = setInterval(() => setImmediate(tick), 5);
    ctx.signal.addEventListener('abort', tick);
    tick();
  });
  for (const s of sockets) s.close();
  tcpHold?.close();
  await chain;

  const listed = probes.filter((x) => x.ttl <= (destTtl ?? p.maxHops));
  const rtts = listed.filter((x) => x.answer).map((x) => x.answer!.rttMs);
  const last = emitted.at(-1);
  const reached = destTtl !== undefined && !!last && last.ttl === destTtl && last.responders.some((r) => r.address === dst);
  ctx.emit({
    type: 'summary', agent: ctx.agent, target: ctx.target, measurement: 'traceroute', address: dst,
    ...computeStats(listed.length, rtts),
    durationMs: round3(performance.now() - t0),
    reached,
    hops: emitted.length,
  });
}

/** What a reply must quote back to be an answer to this trace's probes. */
interface TraceKey {
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
function matchIcmp(m: IcmpMessage, from: string, k: TraceKey): { index: number; answer: Omit<Answer, 'rttMs'> } | undefined {
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
async function openProbeSockets(
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
