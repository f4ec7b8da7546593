/**
 * Route watch (issue 13 item 9): one ICMP traceroute of a monitor's address, reduced to what the
 * hub compares between runs: the first responder per TTL. It reuses the traceroute runner
 * (traceroute.ts) with one query per hop and no reverse lookups. The monitor service reaches it
 * through agent/probes/registry.ts (`routeTracer`), loaded on first use.
 */
import type { MeasurementEvent } from '../../../shared/model/events.ts';
import { MonitorLimits } from '../../../shared/model/monitor-types.ts';
import type { TraceResult } from '../../monitors/monitor-engine.ts';

/** Traces `address`; resolves with the hops, or rejects with a one-line reason (no socket). */
export async function traceRoute(agent: string, address: string, family: 4 | 6, signal: AbortSignal): Promise<TraceResult> {
  const { traceroute } = await import('./traceroute.ts');
  const hops: (string | null)[] = [];
  let reached = false;
  let failure: string | undefined;
  const emit = (e: MeasurementEvent): void => {
    if (e.type === 'hop') {
      const first = e.responders[0]?.address ?? null;
      if (e.ttl >= 1 && e.ttl <= MonitorLimits.maxHops) {
        while (hops.length < e.ttl - 1) hops.push(null);
        hops[e.ttl - 1] = first;
      }
      if (first === address) reached = true;
    } else if (e.type === 'error') failure = e.message;
  };
  await traceroute(
    { type: 'traceroute', targets: [address], from: [], protocol: 'icmp', queriesPerHop: 1, maxHops: Math.min(30, MonitorLimits.maxHops), numeric: true },
    { agent, target: address, address, family, signal, emit },
  );
  if (failure && hops.length === 0) throw new Error(failure);
  return { hops, reached };
}
