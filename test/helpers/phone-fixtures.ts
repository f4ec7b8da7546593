/**
 * Representative event streams for the phone-shaped renderings (issue 17): a ping of 3 agents ×
 * 2 targets with one lossy pair, a single-pair ping, a traceroute with long reverse names, and a
 * sweep of a /24. Built by hand with documentation-range addresses: they only feed renderers.
 */
import type { MeasurementEvent } from '../../shared/model/events.ts';

const stats = (sent: number, received: number, avg: number | null) => ({
  sent, received, lossPct: sent ? (100 * (sent - received)) / sent : 0,
  minMs: avg === null ? null : avg * 0.9, avgMs: avg, maxMs: avg === null ? null : avg * 1.2, mdevMs: avg === null ? null : avg * 0.05,
  p50Ms: avg, p90Ms: avg === null ? null : avg * 1.1, p99Ms: avg === null ? null : avg * 1.2,
});

/** ping -c 5 -s lax1,fra1,nyc1 a.example b.example: fra1 → b.example loses 40 %. */
export function matrixEvents(): MeasurementEvent[] {
  const out: MeasurementEvent[] = [];
  const rtt: Record<string, number> = { 'lax1 a.example': 12.3, 'lax1 b.example': 48.1, 'fra1 a.example': 151, 'fra1 b.example': 9.8, 'nyc1 a.example': 71.4, 'nyc1 b.example': 23.9 };
  let i = 0;
  for (const agent of ['lax1', 'fra1', 'nyc1']) {
    for (const target of ['a.example', 'b.example']) {
      const address = `198.51.100.${++i}`;
      const ms = rtt[`${agent} ${target}`]!;
      const lossy = agent === 'fra1' && target === 'b.example';
      out.push({ type: 'start', agent, target, measurement: 'ping', address, family: 4, protocol: 'icmp', params: { count: 5 } });
      for (let seq = 1; seq <= 5; seq++) {
        if (lossy && seq % 3 !== 1) out.push({ type: 'timeout', agent, target, seq });
        else out.push({ type: 'reply', agent, target, seq, from: address, ttl: 55, rttMs: ms * (1 + seq / 50), bytes: 64 });
      }
      out.push({ type: 'summary', agent, target, measurement: 'ping', address, durationMs: 4004, ...stats(5, lossy ? 2 : 5, ms) });
    }
  }
  out.push({ type: 'done', parts: 6, sent: 30, received: 27, errors: 0, durationMs: 4100 });
  return out;
}

/** ping -c 3 a.example from lax1. */
export function singlePingEvents(): MeasurementEvent[] {
  const agent = 'lax1';
  const target = 'a.example';
  const address = '198.51.100.7';
  return [
    { type: 'start', agent, target, measurement: 'ping', address, family: 4, protocol: 'icmp', params: { count: 3 } },
    ...[1, 2, 3].map((seq) => ({ type: 'reply', agent, target, seq, from: address, ttl: 55, rttMs: 123.4 + seq, bytes: 64 }) as MeasurementEvent),
    { type: 'summary', agent, target, measurement: 'ping', address, durationMs: 2003, ...stats(3, 3, 125.4) },
    { type: 'done', parts: 1, sent: 3, received: 3, errors: 0, durationMs: 2100 },
  ];
}

/** traceroute a.example from lax1: six hops, one silent, long reverse names. */
export function tracerouteEvents(): MeasurementEvent[] {
  const agent = 'lax1';
  const target = 'a.example';
  const out: MeasurementEvent[] = [{ type: 'start', agent, target, measurement: 'traceroute', address: '198.51.100.9', family: 4, protocol: 'udp', params: { maxHops: 30 } }];
  const names = ['gw.lab.example', 'xe-0-1-0.core1.lax1.transit.example.net', undefined, 'ae12.edge3.fra1.backbone.example.net', 'a.example'];
  names.forEach((name, k) => {
    const ttl = k + 1;
    if (ttl === 3) out.push({ type: 'hop', agent, target, ttl, responders: [], sent: 3, received: 0, lossPct: 100 });
    else out.push({ type: 'hop', agent, target, ttl, responders: [{ address: ttl === 5 ? '198.51.100.9' : `203.0.113.${ttl}`, ...(name ? { name } : {}), rttsMs: [ttl * 11.1, ttl * 11.3, ttl * 11.9] }], sent: 3, received: 3, lossPct: 0 });
  });
  out.push({ type: 'summary', agent, target, measurement: 'traceroute', address: '198.51.100.9', durationMs: 900, reached: true, hops: 5, ...stats(3, 3, 55.5) });
  out.push({ type: 'done', parts: 1, sent: 3, received: 3, errors: 0, durationMs: 950 });
  return out;
}

/** probe 198.51.100.0/24 from lax1: .1–.40, .42–.90 and .200 answer; .91–.127 not probed. */
export function sweepEvents(): MeasurementEvent[] {
  const agent = 'lax1';
  const target = '198.51.100.0/24';
  const out: MeasurementEvent[] = [{ type: 'start', agent, target, measurement: 'probe', address: target, family: 4, protocol: 'icmp', params: { rate: 1000 } }];
  for (let i = 0; i < 256; i++) {
    if (i > 90 && i < 128) continue;
    const up = (i >= 1 && i <= 40) || (i >= 42 && i <= 90) || i === 200;
    out.push({ type: 'host', agent, target, address: `198.51.100.${i}`, rttMs: up ? 0.5 + i * 0.7 : null });
  }
  const up = out.filter((e) => e.type === 'host' && e.rttMs !== null).length;
  out.push({ type: 'summary', agent, target, measurement: 'probe', durationMs: 1200, hostsUp: up, hostsTotal: 256, ...stats(256 - 37, up, 20) });
  out.push({ type: 'done', parts: 1, sent: 219, received: up, errors: 0, durationMs: 1250 });
  return out;
}
