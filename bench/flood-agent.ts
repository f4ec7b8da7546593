/**
 * A synthetic agent for the relay bench: for each target it emits `count` reply events at a
 * fixed total rate (events/s, 0 = as fast as possible), each stamped with its send time
 * (monotonic ms, see monoMs) so a client in another process can compute the delivery latency.
 * The stamp rides in `kind` as `t<ms>`: a hub relays only the fields of the event schema.
 */
import type { AgentInfo, AgentLink, AgentRunOptions } from '../shared/wire/agent-link.ts';
import type { MeasurementSpec } from '../shared/model/spec.ts';
import { computeStats } from '../shared/model/stats.ts';

/**
 * Milliseconds of process.hrtime (CLOCK_MONOTONIC on Linux): one clock shared by every process
 * of this machine, unlike performance.timeOrigin + now(), whose epoch offset is sampled per
 * process. Nanoseconds since boot fit a double exactly.
 */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class FloodAgent implements AgentLink {
  readonly info: AgentInfo;
  readonly #rate: number;

  constructor(name: string, ratePerS: number) {
    this.info = { name, capabilities: ['icmp'], version: 'bench' };
    this.#rate = ratePerS;
  }

  async run(spec: MeasurementSpec, { signal, emit }: AgentRunOptions): Promise<void> {
    const agent = this.info.name;
    const count = spec.count ?? 4;
    for (const target of spec.targets) {
      emit({ type: 'start', agent, target, measurement: 'ping', address: target, family: 4, protocol: 'icmp', params: { count } });
    }
    const total = count * spec.targets.length;
    const started = performance.now();
    let sent = 0;
    while (sent < total && !signal.aborted) {
      // Emit whatever the schedule says is due by now, then yield to the event loop.
      const due = this.#rate > 0 ? Math.min(total, Math.floor(((performance.now() - started) / 1000) * this.#rate) + 1) : Math.min(total, sent + 200);
      for (; sent < due; sent++) {
        const target = spec.targets[sent % spec.targets.length]!;
        const seq = Math.floor(sent / spec.targets.length) + 1;
        emit({ type: 'reply', agent, target, seq, ttl: 64, rttMs: 0.05, bytes: 64, from: target, kind: `t${monoMs()}` });
      }
      await new Promise((r) => (this.#rate > 0 ? setTimeout(r, 1) : setImmediate(r)));
    }
    for (const target of spec.targets) {
      const rtts = new Array<number>(count).fill(0.05);
      emit({ type: 'summary', agent, target, measurement: 'ping', address: target, durationMs: performance.now() - started, ...computeStats(count, rtts) });
    }
  }
}
