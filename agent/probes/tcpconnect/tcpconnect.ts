/**
 * tcpconnect's runner: a fresh TCP connect() per probe, timed from the call to the connection
 * (the kernel's SYN, SYN-ACK, ACK), then closed. A refused port answers too (its RST), counted
 * apart in the report; a silent one times out.
 */
import { connect } from 'node:net';
import { tcpconnectParams, type TcpconnectParams } from '../../../shared/measurements/tcpconnect/tcpconnect-params.ts';
import type { MeasurementSpec } from '../../../shared/model/spec.ts';
import { splitHostPort } from '../../../shared/net/host-port.ts';
import { perTarget, type ProbeContext, type ProbeRunOptions } from '../per-target.ts';
import { runSeries } from '../series-schedule.ts';

/** Runs tcpconnect against every target of `spec`. */
export async function runTcpconnect(spec: MeasurementSpec, o: ProbeRunOptions): Promise<void> {
  await perTarget(spec, o, (ctx) => connectTarget(ctx, tcpconnectParams(spec, ctx.target)), (t) => splitHostPort(t).host);
}

async function connectTarget(ctx: ProbeContext, p: TcpconnectParams): Promise<void> {
  const { address, family } = ctx;
  const open = new Map<number, ReturnType<typeof connect>>();
  let refused = 0;
  try {
    await runSeries(ctx, {
      count: p.count,
      intervalMs: p.intervalMs,
      timeoutMs: () => p.timeoutMs,
      start: {
        type: 'start', agent: ctx.agent, target: ctx.target, measurement: 'tcpconnect', address, family, protocol: 'tcp',
        params: { count: p.count, intervalMs: p.intervalMs, timeoutMs: p.timeoutMs, port: p.port },
      },
      send: (seq, answer) => {
        const at = performance.now();
        const s = connect({ host: address, port: p.port, family, noDelay: true });
        open.set(seq, s);
        s.once('connect', () => {
          answer({ rttMs: performance.now() - at, from: address, bytes: 0, kind: 'connected' });
          s.destroy();
        });
        s.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'ECONNREFUSED') {
            refused++;
            answer({ rttMs: performance.now() - at, from: address, bytes: 0, kind: 'rst' });
          }
        });
        s.once('close', () => open.delete(seq));
        return true;
      },
      // A silent port: the half-open attempt is abandoned with its probe.
      onTimeout: (seq) => open.get(seq)?.destroy(),
      report: () => ({ refused }),
    });
  } finally {
    for (const s of open.values()) s.destroy();
  }
}
