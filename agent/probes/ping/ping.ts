/**
 * ICMP echo ping, IPv4 and IPv6, iputils semantics: `count` requests `intervalMs` apart, each
 * answered by a reply, an ICMP error, or a timeout after `timeoutMs`; then a summary. All targets
 * of a measurement run concurrently over the process-wide shared socket of their family.
 */
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { pingParams, type PingParams } from '../../../shared/measurements/ping/ping-params.ts';
import { echoPayload } from '../../packet/icmp-packet.ts';
import { IcmpSocketPool, type EchoTicket } from '../../socket/icmp-socket-pool.ts';
import { perTarget, type ProbeRunOptions } from '../per-target.ts';
import { runPingSchedule } from './ping-schedule.ts';
import { roundMs } from '../../../shared/model/stats.ts';

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
  const { agent } = o;
  const payload = echoPayload(params.size);
  return runPingSchedule({ ...o, target }, {
    count: params.count,
    ...(params.deadlineMs !== undefined ? { deadlineMs: params.deadlineMs } : {}),
    intervalMs: params.intervalMs,
    timeoutMs: params.timeoutMs,
    start: {
      type: 'start',
      agent,
      target,
      measurement: 'ping',
      address: resolved.address,
      family: resolved.family,
      protocol: 'icmp',
      params: { count: params.count, intervalMs: params.intervalMs, timeoutMs: params.timeoutMs, ...(params.deadlineMs !== undefined ? { deadlineMs: params.deadlineMs } : {}), size: params.size, ttl: params.ttl },
      ...(channel.mode === 'dgram' ? { note: DGRAM_NOTE } : {}),
    },
    send: (_seq, answer) => {
      const ticket: EchoTicket = channel.send({
        address: resolved.address,
        ttl: params.ttl,
        payload,
        handler: {
          onReply: (r) => answer({ type: 'reply', rttMs: ns(r.time - ticket.sentAt), ttl: r.ttl, bytes: r.bytes, from: r.from }),
          onError: (e) =>
            answer({
              type: 'icmp-error', rttMs: ns(e.time - ticket.sentAt), kind: e.kind, icmpType: e.icmpType, icmpCode: e.icmpCode, from: e.from,
              message: e.message, ...(e.mtu !== undefined ? { mtu: e.mtu } : {}),
            }),
        },
      });
      // A full send buffer is local congestion, not a reason to stop: that request is lost.
      const congested = ticket.error === 'ENOBUFS' || ticket.error === 'EAGAIN';
      // Any other refusal (no route, EACCES for a broadcast, …): like iputils we say why; unlike
      // it we stop, since every further request would fail the same way.
      if (ticket.error && !congested) return { refused: errnoText(ticket.error) };
      return { done: () => ticket.cancel() };
    },
  });
}

/** Rounds ms to whole nanoseconds: the clock's resolution, without float noise on the wire. */
const ns = roundMs;

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
