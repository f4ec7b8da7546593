/**
 * The event stream (design §5). One JSON object per NDJSON line. Every event has `type`;
 * per-target events carry `agent` and `target` (the target as the user wrote it).
 * `done` is always the last line of a stream.
 */
import type { Protocol, MeasurementType } from './spec.ts';

/** Statistics computed once (agent side, shared/stats.ts) and carried on the wire. */
export interface PingStats {
  sent: number;
  received: number;
  /** Percent, 0–100, not rounded. */
  lossPct: number;
  /** Round-trip times in ms; null when nothing was received. */
  minMs: number | null;
  avgMs: number | null;
  maxMs: number | null;
  /** Mean deviation as iputils computes it: sqrt(mean(x²) − mean(x)²). */
  mdevMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

interface TargetScoped {
  /** Name of the agent that measured. */
  agent: string;
  /** The target as given in the request. */
  target: string;
}

/** Per agent×target: what is about to be measured and with which parameters. */
export interface StartEvent extends TargetScoped {
  type: 'start';
  measurement: MeasurementType;
  /** The resolved address (for `probe`: the normalised prefix). */
  address: string;
  family: 4 | 6;
  protocol: Protocol;
  /** Parameters actually used, after defaults and clamps. */
  params: Record<string, number | string | boolean>;
  /** A remark such as "unprivileged ICMP datagram socket" or "TCP connect() fallback". */
  note?: string;
}

/** A response to probe `seq`. */
export interface ReplyEvent extends TargetScoped {
  type: 'reply';
  seq: number;
  /** TTL / hop limit of the reply, when the socket reports it. */
  ttl: number | null;
  /** Kernel receive timestamp − send timestamp, in ms. */
  rttMs: number;
  /** ICMP bytes received (header + payload), like iputils prints. */
  bytes: number;
  /** Source address of the reply. */
  from: string;
  /** For TCP ping: 'syn-ack' | 'rst'; otherwise absent. */
  kind?: string;
}

/** No response to `seq` within the timeout. */
export interface TimeoutEvent extends TargetScoped {
  type: 'timeout';
  seq: number;
}

export type IcmpErrorKind = 'unreachable' | 'time-exceeded' | 'packet-too-big' | 'parameter-problem' | 'other';

/** An ICMP error seen for a probe of ours. */
export interface IcmpErrorEvent extends TargetScoped {
  type: 'icmp-error';
  seq: number;
  kind: IcmpErrorKind;
  icmpType: number;
  icmpCode: number;
  /** Who sent the ICMP error. */
  from: string;
  /** Next-hop MTU for packet-too-big / fragmentation-needed. */
  mtu?: number;
  /** Human-readable, e.g. "Destination Host Unreachable". */
  message: string;
  rttMs?: number;
}

/** One responder at a traceroute hop. */
export interface HopResponder {
  address: string;
  /** Reverse DNS name, when known. */
  name?: string;
  rttsMs: number[];
  /** For the last hop: 'reply' | 'unreachable' | 'syn-ack' | 'rst'; for routers: 'time-exceeded'. */
  kind?: string;
  /** ICMP unreachable annotation, iputils-style: '!H', '!N', '!P', '!X', '!F-1400'. */
  annotation?: string;
  /** Next-hop MTU when the responder said fragmentation needed / packet too big. */
  mtu?: number;
}

/** Traceroute: everything learned about one TTL. */
export interface HopEvent extends TargetScoped {
  type: 'hop';
  ttl: number;
  responders: HopResponder[];
  sent: number;
  received: number;
  lossPct: number;
}

/** Sweep: one address and its RTT, or null when silent. */
export interface HostEvent extends TargetScoped {
  type: 'host';
  address: string;
  rttMs: number | null;
}

/** Per agent×target statistics; the last event for that pair. */
export interface SummaryEvent extends TargetScoped, PingStats {
  type: 'summary';
  measurement: MeasurementType;
  address?: string;
  /** Wall time of this agent×target part in ms. */
  durationMs: number;
  /** Traceroute: the destination answered. */
  reached?: boolean;
  /** Traceroute: the number of hops listed. */
  hops?: number;
  /** Sweep: hosts that answered / hosts probed. */
  hostsUp?: number;
  hostsTotal?: number;
  /**
   * Sweep: replies the agent's kernel dropped because the receive buffer was full, as the kernel
   * counts them (SO_RXQ_OVFL / SO_MEMINFO; Linux 6.18 was seen counting a raw socket's drop twice).
   */
  kernelDrops?: number;
}

/** A failure of one agent×target (or of the whole request when agent/target are absent). */
export interface ErrorEvent {
  type: 'error';
  agent?: string;
  target?: string;
  /** A stable MP_ERR_* code. */
  code: string;
  /** One line, safe to show to users. */
  message: string;
}

/** Always the last line of a stream. */
export interface DoneEvent {
  type: 'done';
  /** Agent×target pairs that ran. */
  parts: number;
  sent: number;
  received: number;
  errors: number;
  durationMs: number;
}

export type MeasurementEvent =
  | StartEvent
  | ReplyEvent
  | TimeoutEvent
  | IcmpErrorEvent
  | HopEvent
  | HostEvent
  | SummaryEvent
  | ErrorEvent
  | DoneEvent;

export type EventType = MeasurementEvent['type'];

/** Tallies a stream into the `done` totals. Pure: feed it every event, then call `done()`. */
export class DoneTally {
  #parts = 0;
  #sent = 0;
  #received = 0;
  #errors = 0;
  add(e: MeasurementEvent): void {
    if (e.type === 'summary') {
      this.#parts++;
      this.#sent += e.sent;
      this.#received += e.received;
    } else if (e.type === 'error') {
      this.#errors++;
    }
  }
  done(durationMs: number): DoneEvent {
    return { type: 'done', parts: this.#parts, sent: this.#sent, received: this.#received, errors: this.#errors, durationMs };
  }
}
