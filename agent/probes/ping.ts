/**
 * ICMP echo ping, IPv4 and IPv6, iputils semantics: `count` requests `intervalMs` apart, each
 * answered by a reply, an ICMP error, or a timeout after `timeoutMs`; then a summary. All targets
 * of a measurement run concurrently over the process-wide shared socket of their family.
 */
import type { MeasurementSpec } from '../../shared/spec.ts';
import { pingParams, type PingParams } from '../../shared/spec.ts';
import type { MeasurementEvent } from '../../shared/events.ts';
import { computeStats } from '../../shared/stats.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { echoPayload } from '../../shared/icmp-packet.ts';
import { IcmpSocketPool, type EchoTicket } from '../icmp-socket-pool.ts';
import { perTarget, type ProbeRunOptions } from './per-target.ts';

export interface PingRunOptions extends ProbeRunOptions {
  /** Default: the process-wide pool. */
  pool?: IcmpSocketPool;
}

const DGRAM_NOTE = 'unprivileged ICMP datagram socket (no CAP_NET_RAW; allowed by net.ipv4.ping_group_range)';

/** Runs an ICMP ping of every target of `spec`; resolves when each has a summary or an error. */
export async function runPing(spec: MeasurementSpec, o: PingRunOptions): Promise<void> {
  const params = pingParams(spec);
  await perTarget(spec, o, async (ctx) => {
    // A failure to open the socket is this target's error event (perTarget reports it).
    const lease = (o.pool ?? IcmpSocketPool.shared()).acquire(ctx.family);
    try {
      await pingLoop(ctx.target, { address: ctx.address, family: ctx.family }, params, lease.channel, o);
    } finally {
      lease.release();
    }
  });
}

function pingLoop(
  target: string,
  resolved: { address: string; family: 4 | 6 },
  params: PingParams,
  channel: ReturnType<IcmpSocketPool['acquire']>['channel'],
  o: PingRunOptions,
): Promise<void> {
  const { agent, emit, signal } = o;
  const started = performance.now();
  emit({
    type: 'start',
    agent,
    target,
    measurement: 'ping',
    address: resolved.address,
    family: resolved.family,
    protocol: 'icmp',
    params: { count: params.count, intervalMs: params.intervalMs, timeoutMs: params.timeoutMs, size: params.size, ttl: params.ttl },
    ...(channel.mode === 'dgram' ? { note: DGRAM_NOTE } : {}),
  });

  const payload = echoPayload(params.size);
  const rtts: number[] = [];
  const inFlight = new Map<number, { ticket: EchoTicket; timer: NodeJS.Timeout }>();
  let sent = 0;
  let sendTimer: NodeJS.Timeout | undefined;
  let finished = false;

  return new Promise<void>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      if (sendTimer) clearTimeout(sendTimer);
      for (const f of inFlight.values()) {
        clearTimeout(f.timer);
        f.ticket.cancel();
      }
      inFlight.clear();
      signal.removeEventListener('abort', finish);
      emit({
        type: 'summary',
        agent,
        target,
        measurement: 'ping',
        address: resolved.address,
        durationMs: performance.now() - started,
        ...computeStats(sent, rtts),
      });
      resolve();
    };
    const settle = (seq: number) => {
      const f = inFlight.get(seq);
      if (f) clearTimeout(f.timer);
      inFlight.delete(seq);
      if (sent >= params.count && inFlight.size === 0) finish();
    };
    const sendOne = () => {
      if (finished || signal.aborted) return;
      const seq = sent + 1;
      const ticket = channel.send({
        address: resolved.address,
        ttl: params.ttl,
        payload,
        handler: {
          onReply: (r) => {
            if (finished) return;
            const rttMs = ns(r.time - ticket.sentAt);
            rtts.push(rttMs);
            emit({ type: 'reply', agent, target, seq, ttl: r.ttl, rttMs, bytes: r.bytes, from: r.from });
            settle(seq);
          },
          onError: (e) => {
            if (finished) return;
            emit({
              type: 'icmp-error',
              agent,
              target,
              seq,
              kind: e.kind,
              icmpType: e.icmpType,
              icmpCode: e.icmpCode,
              from: e.from,
              ...(e.mtu !== undefined ? { mtu: e.mtu } : {}),
              message: e.message,
              rttMs: ns(e.time - ticket.sentAt),
            });
            settle(seq);
          },
        },
      });
      // A full send buffer is local congestion, not a reason to stop: that request is lost.
      const congested = ticket.error === 'ENOBUFS' || ticket.error === 'EAGAIN';
      if (ticket.error && !congested) {
        // The kernel refused to send (no route, EACCES for a broadcast, …): like iputils we say
        // why; unlike it we stop, since every further request would fail the same way.
        emit({ type: 'error', agent, target, code: ErrorCode.Internal, message: `cannot send to ${resolved.address}: ${errnoText(ticket.error)}` });
        finished = true;
        if (sendTimer) clearTimeout(sendTimer);
        for (const f of inFlight.values()) {
          clearTimeout(f.timer);
          f.ticket.cancel();
        }
        signal.removeEventListener('abort', finish);
        resolve();
        return;
      }
      sent++;
      const timer = setTimeout(() => {
        if (finished || !inFlight.has(seq)) return;
        ticket.cancel();
        emit({ type: 'timeout', agent, target, seq });
        settle(seq);
      }, params.timeoutMs);
      inFlight.set(seq, { ticket, timer });
      if (sent < params.count) {
        // Scheduled against the start, so timer lateness does not accumulate over the run.
        const due = started + sent * params.intervalMs;
        sendTimer = setTimeout(sendOne, Math.max(0, due - performance.now()));
      }
    };
    signal.addEventListener('abort', finish, { once: true });
    sendOne();
  });
}

/** Rounds ms to whole nanoseconds: the clock's resolution, without float noise on the wire. */
function ns(ms: number): number {
  return Math.round(ms * 1e6) / 1e6;
}

const errnoTexts: Record<string, string> = {
  ENETUNREACH: 'Network is unreachable',
  EHOSTUNREACH: 'No route to host',
  EACCES: 'Permission denied (a broadcast address?)',
  EPERM: 'Operation not permitted (a firewall rule?)',
  EMSGSIZE: 'Message too long',
  EINVAL: 'Invalid argument',
  ENOBUFS: 'No buffer space available',
};

function errnoText(code: string): string {
  return errnoTexts[code] ?? code;
}
